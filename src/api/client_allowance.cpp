#include "api/client_allowance.hpp"

namespace cloudopt::api {

ClientAllowance::ClientAllowance(std::size_t total_cap, std::size_t per_address_cap)
    : total_cap_(total_cap), per_address_cap_(per_address_cap) {}

ClientAllowance::Grant ClientAllowance::Take(const std::string& address, std::size_t amount) {
    std::lock_guard lock(mutex_);
    if (total_cap_ != 0 && (amount > total_cap_ || in_use_ > total_cap_ - amount)) return Grant::kTotalExhausted;
    std::size_t& mine = by_address_[address];
    if (per_address_cap_ != 0 && (amount > per_address_cap_ || mine > per_address_cap_ - amount)) {
        if (mine == 0) by_address_.erase(address);
        return Grant::kAddressExhausted;
    }
    mine += amount;
    in_use_ += amount;
    return Grant::kGranted;
}

void ClientAllowance::Give(const std::string& address, std::size_t amount) {
    std::lock_guard lock(mutex_);
    auto it = by_address_.find(address);
    if (it == by_address_.end()) return;
    const std::size_t given = amount < it->second ? amount : it->second;
    it->second -= given;
    in_use_ -= given;
    if (it->second == 0) by_address_.erase(it);  // the map holds only addresses with something in use
}

std::size_t ClientAllowance::in_use() const {
    std::lock_guard lock(mutex_);
    return in_use_;
}

}  // namespace cloudopt::api
