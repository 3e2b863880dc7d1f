// The model file reader (forecast/model_file.hpp): models come from the store or from a file a user hands over.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "forecast/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)cloudopt::LoadModels(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
