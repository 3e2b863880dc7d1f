#include "control/in_flight.hpp"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

namespace cloudopt {

std::size_t RunInFlight(std::size_t count, int in_flight, const std::function<void(std::size_t)>& work,
                        const std::function<bool()>& stop) {
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> started{0};
    auto worker = [&] {
        for (;;) {
            if (stop && stop()) return;
            const std::size_t index = next.fetch_add(1);
            if (index >= count) return;
            started.fetch_add(1);
            work(index);
        }
    };
    const std::size_t helpers = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, in_flight))) -
                                std::min<std::size_t>(count, 1);
    std::vector<std::thread> threads;
    threads.reserve(helpers);
    for (std::size_t t = 0; t < helpers; ++t) {
        try {
            threads.emplace_back(worker);
        } catch (const std::system_error&) {
            break;  // no thread to be had: the ones running (and this one) take the rest
        }
    }
    worker();
    for (std::thread& t : threads) t.join();
    return started.load();
}

}  // namespace cloudopt
