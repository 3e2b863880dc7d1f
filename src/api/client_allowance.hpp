#pragma once
// A shared allowance of some resource (open connections, buffered request bytes), capped in total and per client
// address, so that one client cannot take what every other client needs.
// Thread safety: every method may be called from any thread.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cloudopt::api {

class ClientAllowance {
  public:
    // 0 for either cap: no cap of that kind.
    ClientAllowance(std::size_t total_cap, std::size_t per_address_cap);

    enum class Grant { kGranted, kTotalExhausted, kAddressExhausted };
    // Takes `amount` for `address` when both caps allow it; nothing is taken otherwise.
    Grant Take(const std::string& address, std::size_t amount);
    // Gives back what Take granted.
    void Give(const std::string& address, std::size_t amount);

    std::size_t in_use() const;
    std::size_t total_cap() const { return total_cap_; }
    std::size_t per_address_cap() const { return per_address_cap_; }

  private:
    const std::size_t total_cap_;
    const std::size_t per_address_cap_;
    mutable std::mutex mutex_;
    std::size_t in_use_ = 0;
    std::unordered_map<std::string, std::size_t> by_address_;
};

}  // namespace cloudopt::api
