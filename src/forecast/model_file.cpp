#include "forecast/model_file.hpp"

#include <algorithm>
#include <cmath>

#include "forecast/binary_io.hpp"

namespace cloudopt {

namespace {
constexpr std::string_view kModelFileMagic = "COMODEL5";
constexpr std::string_view kModelFileMagicV4 = "COMODEL4";  // v4: no bands by level; still read
constexpr std::string_view kModelFileMagicV3 = "COMODEL3";  // v3: no p99; still read
constexpr std::string_view kModelFileMagicV2 = "COMODEL2";  // v2: no phase bands; still read
constexpr std::string_view kModelFileMagicV1 = "COMODEL1";  // v1: no mae either; still read
constexpr std::uint32_t kMaxSteps = 100000;

// A p99 offset for a file saved before p99 bands: as far above p95 as normal errors would put it. For a normal
// distribution (z99 - z95) / (z95 - z90) = (2.326 - 1.645) / (1.645 - 1.282) = 1.876. Heavier tails than normal
// make it too narrow; retraining (or the band tracking the service does) measures the real one.
std::vector<double> Extrapolate99(const std::vector<double>& q90, const std::vector<double>& q95) {
    constexpr double kNormalTailRatio = 1.876;
    std::vector<double> q99(q95.size());
    for (std::size_t i = 0; i < q95.size(); ++i) q99[i] = q95[i] + kNormalTailRatio * std::max(0.0, q95[i] - q90[i]);
    return q99;
}
}  // namespace

std::string SaveModels(const std::vector<NamedModel>& models) {
    using namespace binary;
    std::string out(kModelFileMagic);
    Put<std::uint32_t>(out, static_cast<std::uint32_t>(models.size()));
    for (const NamedModel& m : models) {
        const TrainedModel& t = m.trained;
        PutString(out, m.series);
        PutString(out, t.model);
        PutString(out, t.base);
        Put<std::uint32_t>(out, static_cast<std::uint32_t>(t.parts.size()));
        for (std::size_t i = 0; i < t.parts.size(); ++i) {
            PutString(out, t.parts[i]);
            Put<double>(out, t.weights[i]);
        }
        PutString(out, t.chosen);
        Put<std::int32_t>(out, t.context.season);
        Put<std::int64_t>(out, t.context.start);
        Put<std::int64_t>(out, t.context.step);
        Put<std::int32_t>(out, t.context.horizon);
        Put<double>(out, t.bands.accuracy);
        Put<std::uint32_t>(out, static_cast<std::uint32_t>(t.bands.q90.size()));
        for (double q : t.bands.q90) Put<double>(out, q);
        for (double q : t.bands.q95) Put<double>(out, q);
        for (std::size_t k = 0; k < t.bands.q90.size(); ++k)
            Put<double>(out, k < t.bands.q99.size() ? t.bands.q99[k] : t.bands.q95[k]);
        for (std::size_t k = 0; k < t.bands.q90.size(); ++k)
            Put<double>(out, k < t.bands.mae.size() ? t.bands.mae[k] : 0.0);
        const PhaseBands& phase = t.bands.phase;
        Put<std::int64_t>(out, phase.period);
        Put<std::int64_t>(out, phase.width);
        Put<std::uint32_t>(out, static_cast<std::uint32_t>(phase.levels.size()));
        for (double bound : phase.levels) Put<double>(out, bound);
        for (double q : phase.q90) Put<double>(out, q);
        for (double q : phase.q95) Put<double>(out, q);
        for (double q : phase.q99) Put<double>(out, q);
        PutString(out, t.point->SaveState());
    }
    return out;
}

Result<std::vector<NamedModel>> LoadModels(std::string_view in, const ModelOptions& options) {
    using namespace binary;
    auto bad = [](const std::string& why) { return MakeError(ErrorCode::kInvalidArgument, "model file: " + why); };
    const std::string_view magic = in.substr(0, kModelFileMagic.size());
    const int version = magic == kModelFileMagic     ? 5
                        : magic == kModelFileMagicV4 ? 4
                        : magic == kModelFileMagicV3 ? 3
                        : magic == kModelFileMagicV2 ? 2
                        : magic == kModelFileMagicV1 ? 1
                                            : 0;
    if (version == 0) return bad("not a cloudopt model file of format v1 to v5 (wrong magic)");
    in.remove_prefix(kModelFileMagic.size());
    std::uint32_t count = 0;
    if (!Get(in, count)) return bad("truncated");
    std::vector<NamedModel> out;
    for (std::uint32_t k = 0; k < count; ++k) {
        NamedModel m;
        TrainedModel& t = m.trained;
        std::uint32_t parts = 0, steps = 0;
        if (!GetString(in, m.series) || !GetString(in, t.model) || !GetString(in, t.base) || !Get(in, parts))
            return bad("truncated");
        if (parts > 16) return bad("implausible number of combined models");
        for (std::uint32_t i = 0; i < parts; ++i) {
            std::string name;
            double weight = 0;
            if (!GetString(in, name) || !Get(in, weight)) return bad("truncated");
            t.parts.push_back(name);
            t.weights.push_back(weight);
        }
        std::int32_t season = 0, horizon = 0;
        std::int64_t start = 0, step = 0;
        if (!GetString(in, t.chosen) || !Get(in, season) || !Get(in, start) || !Get(in, step) || !Get(in, horizon) ||
            !Get(in, t.bands.accuracy) || !Get(in, steps))
            return bad("truncated");
        if (steps < 1 || steps > kMaxSteps || season < 1 || !PlausibleGrid(start, step))
            return bad("implausible header values");
        t.context = SeriesContext{season, start, step, horizon};
        t.bands.q90.resize(steps);
        t.bands.q95.resize(steps);
        for (double& q : t.bands.q90)
            if (!Get(in, q)) return bad("truncated");
        for (double& q : t.bands.q95)
            if (!Get(in, q)) return bad("truncated");
        if (version >= 4) {
            t.bands.q99.resize(steps);
            for (double& q : t.bands.q99)
                if (!Get(in, q)) return bad("truncated");
        } else {
            t.bands.q99 = Extrapolate99(t.bands.q90, t.bands.q95);
        }
        if (version >= 2) {
            t.bands.mae.resize(steps);
            for (double& e : t.bands.mae)
                if (!Get(in, e) || !(e >= 0)) return bad("truncated or negative error scale");
        }
        if (version >= 3) {
            PhaseBands& phase = t.bands.phase;
            std::int64_t period = 0, width = 0;
            if (!Get(in, period) || !Get(in, width)) return bad("truncated");
            if (period < 0 || width < 0 || (period > 0) != (width > 0) ||
                (width > 0 && (period % width != 0 || period / width > kMaxPhases)))
                return bad("implausible phase bands");
            phase.period = period;
            phase.width = width;
            if (version >= 5) {
                std::uint32_t levels = 0;
                if (!Get(in, levels)) return bad("truncated");
                if (levels >= kLevelGroups || (levels > 0 && period > 0)) return bad("implausible bands by level");
                phase.levels.resize(levels);
                for (double& bound : phase.levels)
                    if (!Get(in, bound)) return bad("truncated");
            }
            // Sized only once the bytes are there: a damaged count must not allocate what the file does not hold.
            const std::size_t tables = version >= 4 ? 3 : 2;
            if (in.size() / (tables * sizeof(double)) < steps * phase.groups()) return bad("truncated");
            phase.q90.resize(steps * phase.groups());
            phase.q95.resize(steps * phase.groups());
            for (double& q : phase.q90)
                if (!Get(in, q)) return bad("truncated");
            for (double& q : phase.q95)
                if (!Get(in, q)) return bad("truncated");
            if (version >= 4) {
                phase.q99.resize(steps * phase.groups());
                for (double& q : phase.q99)
                    if (!Get(in, q)) return bad("truncated");
            } else if (phase.active()) {
                phase.q99 = Extrapolate99(phase.q90, phase.q95);
            }
            if (!phase.Consistent(steps)) return bad("implausible phase bands");
        }
        std::string state;
        if (!GetString(in, state)) return bad("truncated");
        const bool known_base = t.base == "combination" ? !t.parts.empty() : IsKnownModel(t.base) && t.base != "auto";
        for (const std::string& part : t.parts)
            if (!IsKnownModel(part) || part == "auto") return bad("unknown model '" + part + "'");
        if (!known_base) return bad("unknown model '" + t.base + "'");
        t.reweigh = options.reweigh;
        t.point = MakePointModel(t.base, t.parts, t.weights, options);
        if (Status s = t.point->LoadState(state, t.context); !s)
            return bad("series '" + m.series + "': " + s.error().message);
        out.push_back(std::move(m));
    }
    if (!in.empty()) return bad("trailing bytes after the last model");
    return out;
}

}  // namespace cloudopt
