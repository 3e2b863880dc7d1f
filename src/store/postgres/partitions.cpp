#include "store/postgres/partitions.hpp"

#include <limits>
#include <optional>

namespace cloudopt::pg {

namespace {

// Taken by every creator and dropper of partitions for the length of its transaction.
constexpr std::int64_t kPartitionLockKey = 0x636c6f75646f7002;  // "cloudop" + 2

std::optional<std::int64_t> WeekFromName(const std::string& name) {
    const std::string prefix = "samples_w";
    if (name.rfind(prefix, 0) != 0) return std::nullopt;
    std::string digits = name.substr(prefix.size());
    bool negative = false;
    if (!digits.empty() && digits[0] == 'm') {
        negative = true;
        digits.erase(0, 1);
    }
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    try {
        const std::int64_t n = std::stoll(digits);
        return negative ? -n : n;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The bound of the week's range as SQL: a number, or MINVALUE/MAXVALUE where the seconds would overflow.
std::string WeekStartSql(std::int64_t week) {
    std::int64_t start = 0;
    if (__builtin_mul_overflow(week, kPartitionSeconds, &start)) return week < 0 ? "MINVALUE" : "MAXVALUE";
    return std::to_string(start);
}

}  // namespace

std::int64_t PartitionOf(UnixSeconds ts) {
    std::int64_t week = ts / kPartitionSeconds;
    if (ts % kPartitionSeconds < 0) --week;
    return week;
}

std::string PartitionName(std::int64_t week) {
    if (week >= 0) return "samples_w" + std::to_string(week);
    return "samples_wm" + std::to_string(0ULL - static_cast<unsigned long long>(week));
}

std::set<std::int64_t> ExistingPartitions(pqxx::work& tx) {
    std::set<std::int64_t> weeks;
    const pqxx::result rows = tx.exec(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'samples'::regclass");
    for (const auto& row : rows) {
        if (auto week = WeekFromName(row[0].as<std::string>())) weeks.insert(*week);
    }
    return weeks;
}

int CreatePartitions(pqxx::work& tx, const std::set<std::int64_t>& weeks) {
    if (weeks.empty()) return 0;
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPartitionLockKey);
    const std::set<std::int64_t> existing = ExistingPartitions(tx);
    int created = 0;
    for (std::int64_t week : weeks) {
        if (existing.count(week)) continue;
        const std::string to = week == std::numeric_limits<std::int64_t>::max() ? "MAXVALUE" : WeekStartSql(week + 1);
        tx.exec("CREATE TABLE " + PartitionName(week) + " PARTITION OF samples FOR VALUES FROM (" + WeekStartSql(week) +
                ") TO (" + to + ")");
        ++created;
    }
    return created;
}

std::vector<std::int64_t> DropPartitionsBefore(pqxx::work& tx, UnixSeconds before) {
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPartitionLockKey);
    std::vector<std::int64_t> dropped;
    for (std::int64_t week : ExistingPartitions(tx)) {
        std::int64_t end = 0;
        if (week == std::numeric_limits<std::int64_t>::max() ||
            __builtin_mul_overflow(week + 1, kPartitionSeconds, &end))
            continue;  // ends at MAXVALUE: never wholly before anything
        if (end > before) continue;
        tx.exec("DROP TABLE " + PartitionName(week));
        dropped.push_back(week);
    }
    return dropped;
}

}  // namespace cloudopt::pg
