#pragma once
// libsodium must be initialised once before use; every security function calls this first (it is cheap after
// the first call and safe from any thread).

namespace cloudopt::security {

void EnsureSodium();

}  // namespace cloudopt::security
