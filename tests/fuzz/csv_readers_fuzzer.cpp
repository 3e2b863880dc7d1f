// The CSV readers: workload traces (timestamp,series,value) and the instance catalog.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/catalog.hpp"
#include "core/trace_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)cloudopt::ParseTraceCsv(text);
    (void)cloudopt::ParseCatalogCsv(text);
    return 0;
}
