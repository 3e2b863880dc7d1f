#include "core/catalog.hpp"

#include <charconv>
#include <map>

#include "core/text.hpp"

namespace cloudopt {

std::optional<InstanceType> Catalog::Find(std::string_view provider, std::string_view name) const {
    std::optional<InstanceType> any;
    for (const InstanceType& t : types_) {
        if (t.name != name) continue;
        if (t.provider == provider) return t;
        if (!any) any = t;
    }
    return any;
}

std::optional<InstanceType> Catalog::FindEntry(std::string_view default_provider, std::string_view entry) const {
    const std::size_t slash = entry.find('/');
    if (slash == std::string_view::npos) return Find(default_provider, entry);
    auto t = Find(entry.substr(0, slash), entry.substr(slash + 1));
    if (t && t->provider != entry.substr(0, slash)) return std::nullopt;  // "gcp/m5.large" is not an AWS type
    return t;
}

Status Catalog::CheckEntries(std::string_view default_provider, const std::vector<std::string>& entries) const {
    for (const std::string& e : entries)
        if (!FindEntry(default_provider, e))
            return MakeError(ErrorCode::kUnprocessable,
                             "allowed_types: '" + e +
                                 "' is not in the instance catalog; name a listed type (see "
                                 "data/catalog/instances.csv, or add it through catalog.file)");
    return Status::Ok();
}

Result<Catalog> ParseCatalogCsv(std::string_view text) {
    std::vector<InstanceType> types;
    std::map<std::string, std::size_t> column;
    std::size_t line_no = 0;
    for (std::string_view line : SplitLines(text)) {
        ++line_no;
        line = Trim(line);
        if (line.empty() || line.front() == '#') continue;
        std::vector<std::string_view> cells = Split(line, ',');
        if (column.empty()) {
            for (std::size_t i = 0; i < cells.size(); ++i) column[std::string(Trim(cells[i]))] = i;
            for (const char* required : {"provider", "name", "vcpu", "memory_gib", "price_per_hour"}) {
                if (!column.count(required))
                    return MakeError(ErrorCode::kInvalidArgument,
                                     std::string("catalog header lacks the column '") + required + "'");
            }
            continue;
        }
        auto cell = [&](const char* name) -> std::string_view {
            auto it = column.find(name);
            if (it == column.end() || it->second >= cells.size()) return {};
            return Trim(cells[it->second]);
        };
        auto number = [&](const char* name, double& out) -> Status {
            std::string_view s = cell(name);
            if (s.empty() && (std::string_view(name) == "spot_price_per_hour" ||
                              std::string_view(name) == "commit_1y_price_per_hour"))
                return Status::Ok();
            auto parsed = ParseDouble(s);
            if (!parsed || *parsed < 0)
                return MakeError(ErrorCode::kInvalidArgument, "catalog line " + std::to_string(line_no) + ": " + name +
                                                                  " must be a non-negative number");
            out = *parsed;
            return Status::Ok();
        };
        InstanceType t;
        t.provider = std::string(cell("provider"));
        t.name = std::string(cell("name"));
        t.region = std::string(cell("region"));
        t.commit_offer = std::string(cell("commit_1y_offer"));
        if (t.provider.empty() || t.name.empty())
            return MakeError(ErrorCode::kInvalidArgument,
                             "catalog line " + std::to_string(line_no) + ": provider and name are required");
        for (auto [name, field] :
             {std::pair{"vcpu", &t.vcpu}, std::pair{"memory_gib", &t.memory_gib},
              std::pair{"price_per_hour", &t.price_per_hour}, std::pair{"spot_price_per_hour", &t.spot_price_per_hour},
              std::pair{"commit_1y_price_per_hour", &t.commit_price_per_hour}}) {
            if (Status s = number(name, *field); !s) return s.error();
        }
        if (t.commit_price_per_hour >= t.price_per_hour && t.commit_price_per_hour > 0)
            return MakeError(
                ErrorCode::kInvalidArgument,
                "catalog line " + std::to_string(line_no) + ": commit_1y_price_per_hour must be below price_per_hour");
        types.push_back(std::move(t));
    }
    if (types.empty()) return MakeError(ErrorCode::kInvalidArgument, "catalog has no instance types");
    return Catalog(std::move(types));
}

}  // namespace cloudopt
