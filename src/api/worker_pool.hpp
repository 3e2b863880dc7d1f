#pragma once
// A fixed set of threads with a bounded queue, for request handlers that spend CPU by design (password hashing),
// so that the I/O threads keep answering probes and other requests meanwhile. A full queue refuses new work
// instead of growing: the caller answers 503.
// Thread safety: Submit from any thread; Stop (and the destructor) from one thread, after which Submit refuses.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cloudopt::api {

class WorkerPool {
  public:
    WorkerPool(int threads, std::size_t max_queued);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // False when `max_queued` tasks already wait or the pool is stopping; the task is then not run.
    bool Submit(std::function<void()> task);
    // Runs what is queued, then joins the threads. Idempotent.
    void Stop();

  private:
    void Work();

    const std::size_t max_queued_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace cloudopt::api
