#include "app/adopted_settings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>

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

std::string UtcStamp() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

}  // namespace

Result<std::string> WriteAdoptedSettings(const std::string& data_dir, const AdoptedSettings& s,
                                         const std::string& evidence_json) {
    const auto quantile = QuantileName(s.quantile);
    if (!quantile)
        return MakeError(ErrorCode::kInvalidArgument, "quantile must be 0.5, 0.9, 0.95, 0.99 or 0.999 (p99.9)");
    const std::filesystem::path dir(data_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir / "evidence", ec);
    if (ec)
        return MakeError(ErrorCode::kInvalidArgument,
                         "cannot create '" + (dir / "evidence").string() + "': " + ec.message());
    const std::string evidence = "evidence/sweep-" + UtcStamp() + ".json";
    if (Status w = WriteWholeFile((dir / evidence).string(), evidence_json + "\n", "sweep evidence"); !w)
        return w.error();
    char budget[32];
    std::snprintf(budget, sizeof budget, "%g", s.unmet_budget);
    const std::string yaml = "# Written by `cloudopt simulate --sweep --adopt`: " + s.reason +
                             ".\n# Evidence: " + evidence +
                             ". cloudopt serve applies these keys over its config file and environment;\n"
                             "# delete this file to go back to them.\nloop:\n  quantile: " +
                             *quantile + "\n  unmet_budget: " + budget + "\n";
    const std::string path = (dir / kAdoptedSettingsFile).string();
    if (Status w = WriteWholeFile(path, yaml, "adopted settings"); !w) return w.error();
    return path;
}

Result<std::optional<std::string>> ApplyAdoptedSettings(Config& config) {
    const std::filesystem::path path = std::filesystem::path(config.data_dir) / kAdoptedSettingsFile;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
    const std::string where = path.string();
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
    }
    return std::optional<std::string>(applied + " adopted from " + where);
}

}  // namespace cloudopt
