#include "forecast/fleet_file.hpp"

#include <cstring>
#include <memory>

#include "forecast/binary_io.hpp"
#include "forecast/lstm_model.hpp"

namespace cloudopt {

namespace {
// v2 adds a byte per network after its series count: 1 when it reads the log scale. v1 networks read linear.
constexpr std::string_view kFleetFileMagic = "COFLEET2";
constexpr std::string_view kFleetFileMagicV1 = "COFLEET1";
using binary::Get;
using binary::Put;

void PutNetwork(std::string& out, const LstmFleet& n) {
    for (int v : {n.shape.inputs, n.shape.hidden, n.shape.layers, n.shape.window, n.shape.outputs})
        Put<std::int32_t>(out, v);
    Put<std::int32_t>(out, n.epochs_run);
    Put<std::uint64_t>(out, n.series);
    Put<std::uint8_t>(out, n.log_scale ? 1 : 0);
    Put<std::uint64_t>(out, n.params.size());
    out.append(reinterpret_cast<const char*>(n.params.data()), n.params.size() * sizeof(float));
}

Result<std::shared_ptr<const LstmFleet>> GetNetwork(std::string_view& in, const char* which, bool v1) {
    auto bad = [which](const std::string& why) {
        return MakeError(ErrorCode::kInvalidArgument, std::string("shared network (") + which + "): " + why);
    };
    std::int32_t dims[5], epochs = 0;
    std::uint64_t series = 0, count = 0;
    std::uint8_t log_scale = 0;
    for (std::int32_t& d : dims)
        if (!Get(in, d)) return bad("truncated header");
    if (!Get(in, epochs) || !Get(in, series) || (!v1 && !Get(in, log_scale)) || !Get(in, count))
        return bad("truncated header");
    if (log_scale > 1) return bad("unknown scale");
    auto fleet = std::make_shared<LstmFleet>();
    fleet->shape = {dims[0], dims[1], dims[2], dims[3], dims[4]};
    const LstmShape& s = fleet->shape;
    if (!PlausibleLstmShape(s) || epochs < 0) return bad("implausible shape");
    if (count != LstmLayout(s).size()) return bad("parameter count does not match the shape");
    if (in.size() < count * sizeof(float)) return bad("truncated parameters");
    fleet->params.resize(count);
    std::memcpy(fleet->params.data(), in.data(), count * sizeof(float));
    in.remove_prefix(count * sizeof(float));
    fleet->epochs_run = epochs;
    fleet->series = series;
    fleet->log_scale = log_scale == 1;
    fleet->fused = FuseForInference(LstmLayout(s), fleet->params.data());
    return std::shared_ptr<const LstmFleet>(std::move(fleet));
}
}  // namespace

std::string SaveFleetNetworks(const FleetNetworks& networks) {
    std::string out(kFleetFileMagic);
    Put<double>(out, networks.seconds);
    PutNetwork(out, *networks.calibration);
    PutNetwork(out, *networks.full);
    return out;
}

Result<FleetNetworks> LoadFleetNetworks(std::string_view in) {
    const bool v1 = in.substr(0, kFleetFileMagicV1.size()) == kFleetFileMagicV1;
    if (!v1 && in.substr(0, kFleetFileMagic.size()) != kFleetFileMagic)
        return MakeError(ErrorCode::kInvalidArgument, "shared network: not of format v1 or v2 (wrong magic)");
    in.remove_prefix(kFleetFileMagic.size());
    FleetNetworks out;
    if (!Get(in, out.seconds)) return MakeError(ErrorCode::kInvalidArgument, "shared network: truncated header");
    auto calibration = GetNetwork(in, "calibration", v1);
    if (!calibration) return calibration.error();
    auto full = GetNetwork(in, "full", v1);
    if (!full) return full.error();
    if (!in.empty()) return MakeError(ErrorCode::kInvalidArgument, "shared network: trailing bytes");
    if ((*calibration)->shape != (*full)->shape || (*calibration)->log_scale != (*full)->log_scale)
        return MakeError(ErrorCode::kInvalidArgument, "shared network: the two networks differ in shape or scale");
    out.calibration = std::move(*calibration);
    out.full = std::move(*full);
    return out;
}

}  // namespace cloudopt
