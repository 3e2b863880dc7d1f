#include "app/adopted_settings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "app/files.hpp"

namespace cloudopt {

namespace {

// Only what the sweep chooses may be set this way: anything else belongs in the config file.
constexpr const char* kAdoptableKeys[] = {"quantile", "unmet_budget"};

std::optional<std::string> QuantileName(double q) {
    for (auto [level, name] : {std::pair{0.5, "p50"}, {0.9, "p90"}, {0.95, "p95"}, {0.99, "p99"}, {0.999, "p99.9"}})
        if (std::abs(q - level) < 1e-9) return std::string(name);
    return std::nullopt;
}

// To the millisecond: two adoptions within a second (the API's and a CLI's) must not share an evidence file.
std::string UtcStamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(millis));
    return out;
}

// A comment line's text after `prefix`, without its trailing full stop; empty when no line has it.
std::string CommentAfter(const std::string& text, const std::string& prefix) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        std::string rest = line.substr(prefix.size());
        if (const auto end = rest.find(". "); end != std::string::npos) rest.resize(end);
        if (!rest.empty() && rest.back() == '.') rest.pop_back();
        return rest;
    }
    return {};
}

// What adopted.yaml in `dir` names as its evidence ("evidence/sweep-...json"); empty without the file or the line.
std::string NamedEvidence(const std::filesystem::path& dir) {
    std::ifstream in(dir / kAdoptedSettingsFile, std::ios::binary);
    if (!in) return {};
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return CommentAfter(text, "# Evidence: ");
}

}  // namespace

Result<std::string> WriteAdoptedSettings(const std::string& data_dir, const AdoptedSettings& s,
                                         const std::string& evidence_json) {
    const auto quantile = QuantileName(s.quantile);
    if (!quantile)
        return MakeError(ErrorCode::kInvalidArgument, "quantile must be 0.5, 0.9, 0.95, 0.99 or 0.999 (p99.9)");
    const std::filesystem::path dir(data_dir);
    auto written = WriteEvidence(data_dir, evidence_json);
    if (!written) return written.error();
    const std::string& evidence = *written;
    char budget[32];
    std::snprintf(budget, sizeof budget, "%.17g", s.unmet_budget);  // read back exactly
    const std::string yaml = "# Written by " + s.written_by + ": " + s.reason + ".\n# Evidence: " + evidence +
                             ". cloudopt serve applies these keys over its config file and environment;\n"
                             "# delete this file to go back to them.\nloop:\n  quantile: " +
                             *quantile + "\n  unmet_budget: " + budget + "\n";
    const std::string path = (dir / kAdoptedSettingsFile).string();
    if (Status w = WriteWholeFile(path, yaml, "adopted settings"); !w) return w.error();
    (void)PruneEvidence(data_dir);  // what it cannot delete, a later adoption tries again
    return path;
}

Result<std::string> WriteEvidence(const std::string& data_dir, const std::string& evidence_json) {
    const std::filesystem::path dir(data_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir / "evidence", ec);
    if (ec)
        return MakeError(ErrorCode::kInvalidArgument,
                         "cannot create '" + (dir / "evidence").string() + "': " + ec.message());
    const std::string evidence = "evidence/sweep-" + UtcStamp() + ".json";
    if (Status w = WriteWholeFile((dir / evidence).string(), evidence_json + "\n", "sweep evidence"); !w)
        return w.error();
    return evidence;
}

int PruneEvidence(const std::string& data_dir, std::size_t keep) {
    const std::filesystem::path dir(data_dir);
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "evidence", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("sweep-", 0) == 0 && entry.path().extension() == ".json" && entry.is_regular_file(ec))
            names.push_back(name);
    }
    if (names.size() <= keep) return 0;
    // The names carry the UTC time (UtcStamp), so the newest sort last.
    std::sort(names.begin(), names.end());
    const std::string named = NamedEvidence(dir);
    int removed = 0;
    for (std::size_t i = 0; i + keep < names.size(); ++i) {
        if ("evidence/" + names[i] == named) continue;
        if (std::filesystem::remove(dir / "evidence" / names[i], ec)) ++removed;
    }
    return removed;
}

Result<std::optional<std::string>> ApplyAdoptedSettings(Config& config) {
    const std::filesystem::path path = std::filesystem::path(config.data_dir) / kAdoptedSettingsFile;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
    const std::string where = path.string();
    if (!std::filesystem::is_regular_file(path, ec))
        return MakeError(ErrorCode::kInvalidArgument, where + " is not a file; delete it");
    std::string applied;
    try {
        const YAML::Node root = YAML::LoadFile(where);
        if (!root.IsMap() || root.size() != 1 || !root["loop"] || !root["loop"].IsMap())
            return MakeError(ErrorCode::kInvalidArgument,
                             where + ": must hold only loop.quantile and loop.unmet_budget; fix or delete it");
        for (const auto& item : root["loop"]) {
            const std::string key = item.first.as<std::string>();
            if (std::find(std::begin(kAdoptableKeys), std::end(kAdoptableKeys), key) == std::end(kAdoptableKeys) ||
                !item.second.IsScalar())
                return MakeError(ErrorCode::kInvalidArgument,
                                 where + ": loop." + key +
                                     " cannot be adopted (only loop.quantile and loop.unmet_budget); move it to the "
                                     "config file or delete the file");
            if (Status s = SetConfigKey(config, "loop." + key, item.second.Scalar()); !s)
                return MakeError(ErrorCode::kInvalidArgument, where + ": " + s.error().message);
            applied += (applied.empty() ? "" : ", ") + ("loop." + key + " = " + item.second.Scalar());
        }
    } catch (const YAML::Exception& e) {
        return MakeError(ErrorCode::kInvalidArgument,
                         where + " is not valid YAML (" + e.what() + "); fix or delete it");
    } catch (const std::exception& e) {
        return MakeError(ErrorCode::kInvalidArgument, where + " cannot be read (" + e.what() + ")");
    }
    return std::optional<std::string>(applied + " adopted from " + where);
}

namespace {

// The evidence file's summary (EvidenceSummaryJson); empty when it cannot be read.
std::string EvidenceSummary(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    return EvidenceSummaryJson(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

// An adoption kept in the shared store, as GET /api/settings/adopt shows it.
api::AdoptedRecord RecordOf(const SharedAdoption& a) {
    api::AdoptedRecord record;
    record.quantile = a.quantile;
    record.unmet_budget = a.unmet_budget;
    record.evidence = a.evidence;
    record.reason = a.reason;
    record.evidence_summary_json = a.evidence_summary;
    record.shared_id = a.id;
    record.replica = a.member;
    record.adopted_at = a.adopted_at;
    return record;
}

}  // namespace

std::string EvidenceSummaryJson(const std::string& evidence_json) {
    const nlohmann::json sweep = nlohmann::json::parse(evidence_json, nullptr, false);
    if (!sweep.is_object()) return {};
    nlohmann::json out = {
        {"source", sweep.contains("source") ? sweep["source"] : sweep.value("data", nlohmann::json())},
        {"unmet_budget", sweep.value("unmet_budget", nlohmann::json())},
        {"cheapest_predictive", sweep.value("cheapest_predictive", nlohmann::json())}};
    return out.dump();
}

Result<std::optional<api::AdoptedRecord>> ReadAdoptedSettings(const std::string& data_dir) {
    const std::filesystem::path dir(data_dir);
    const std::filesystem::path path = dir / kAdoptedSettingsFile;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<api::AdoptedRecord>();
    Config read;
    read.data_dir = data_dir;
    auto applied = ApplyAdoptedSettings(read);  // the same checks as at start
    if (!applied) return applied.error();
    api::AdoptedRecord record;
    record.quantile = ParseQuantileLevel(read.quantile).value_or(QuantileLevel::kP95);
    record.unmet_budget = read.unmet_budget;
    record.file = path.string();
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    record.evidence = CommentAfter(text, "# Evidence: ");
    if (const std::string first = CommentAfter(text, "# Written by "); !first.empty())
        record.reason = first.substr(first.find(": ") == std::string::npos ? 0 : first.find(": ") + 2);
    if (!record.evidence.empty()) record.evidence_summary_json = EvidenceSummary(dir / record.evidence);
    return std::optional<api::AdoptedRecord>(std::move(record));
}

api::SettingsAdoption SettingsAdoptionFor(const Config& config, Coordination* shared, const std::string& member) {
    api::SettingsAdoption adoption;
    const std::string data_dir = config.data_dir;
    if (shared) {
        // Replicas: the setting goes to the shared store, where every replica's lease rounds read it
        // (FollowAdoptions); the sweep's whole JSON stays in this replica's data directory, named in the row.
        adoption.persist = [data_dir, shared, member](QuantileLevel quantile, double unmet_budget,
                                                      const std::string& reason,
                                                      const std::string& evidence_json) -> Result<api::AdoptedRecord> {
            auto evidence = WriteEvidence(data_dir, evidence_json);
            if (!evidence) return evidence.error();
            (void)PruneEvidence(data_dir);
            SharedAdoption row;
            row.quantile = quantile;
            row.unmet_budget = unmet_budget;
            row.reason = reason;
            row.evidence = *evidence;
            row.evidence_summary = EvidenceSummaryJson(evidence_json);
            row.member = member;
            auto recorded = shared->RecordAdoption(row);
            if (!recorded) return recorded.error();
            return RecordOf(*recorded);
        };
        adoption.current = [data_dir, shared]() -> Result<std::optional<api::AdoptedRecord>> {
            auto latest = shared->LatestAdoption();
            if (!latest) return latest.error();
            if (*latest) return std::optional<api::AdoptedRecord>(RecordOf(**latest));
            return ReadAdoptedSettings(data_dir);  // what `--adopt` wrote for this replica, applied at its start
        };
        return adoption;
    }
    adoption.persist = [data_dir](QuantileLevel quantile, double unmet_budget, const std::string& reason,
                                  const std::string& evidence_json) -> Result<api::AdoptedRecord> {
        AdoptedSettings settings;
        settings.quantile = quantile == QuantileLevel::kP50   ? 0.5
                            : quantile == QuantileLevel::kP90 ? 0.9
                            : quantile == QuantileLevel::kP95 ? 0.95
                            : quantile == QuantileLevel::kP99 ? 0.99
                                                              : 0.999;
        settings.unmet_budget = unmet_budget;
        settings.reason = reason;
        settings.written_by = "cloudopt serve";
        if (auto written = WriteAdoptedSettings(data_dir, settings, evidence_json); !written) return written.error();
        auto record = ReadAdoptedSettings(data_dir);
        if (!record) return record.error();
        if (!*record) return MakeError(ErrorCode::kInternal, "adopted.yaml was written but cannot be found");
        return **record;
    };
    adoption.current = [data_dir] { return ReadAdoptedSettings(data_dir); };
    return adoption;
}

}  // namespace cloudopt
