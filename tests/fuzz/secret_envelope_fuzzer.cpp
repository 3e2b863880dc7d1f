// The sealed-credential envelope: whatever is in the credentials table must open or fail, never crash, and a
// mutated envelope must never open.

#include <cstddef>
#include <cstdint>
#include <string>

#include "security/secret_box.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto ring = *cloudopt::security::Keyring::Create(std::string(32, 'k'));
    const std::string sealed(reinterpret_cast<const char*>(data), size);
    if (ring.Open(sealed, "credential:aws:prod")) __builtin_trap();  // forging Poly1305 by mutation: a bug
    return 0;
}
