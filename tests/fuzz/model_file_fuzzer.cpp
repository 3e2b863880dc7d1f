// The model file reader (forecast/model_file.hpp) and the shared network's (forecast/fleet_file.hpp): models come
// from the store or from a file a user hands over.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "forecast/fleet_file.hpp"
#include "forecast/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)cloudopt::LoadModels(bytes);
    (void)cloudopt::LoadFleetNetworks(bytes);
    return 0;
}
