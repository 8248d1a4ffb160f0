// The persistent thread pool behind parallel_for: helpers spin briefly between jobs (one forward pass is
// many short jobs back to back) and then sleep on a condition variable.
#include "parallel.h"

#include <algorithm>

#if defined(DAE_HAVE_THREADS)
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#endif

#if !defined(DAE_MAX_THREADS)
#define DAE_MAX_THREADS 64
#endif

namespace dae::detail {

#if !defined(DAE_HAVE_THREADS)

int max_threads() {
  return 1;
}

void parallel_for(int, int count, int grain, const RangeFn& fn) {
  if (count > 0) fn(0, count, 0);
  (void)grain;
}

#else

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// How long an idle helper keeps polling for the next job before it sleeps: longer than the gap between two
// operators of one forward pass, short enough not to hold a core when nothing follows.
constexpr auto kSpin = std::chrono::microseconds(200);

struct Job {
  const RangeFn* fn = nullptr;
  int count = 0, grain = 1, workers = 1;
  std::atomic<int> next{0};   // first item not yet claimed
  std::atomic<int> done{0};   // items finished
  std::atomic<int> users{0};  // helpers inside the job (the job lives on its caller's stack)
};

void work(Job& job, int worker) {
  for (;;) {
    const int begin = job.next.fetch_add(job.grain, std::memory_order_relaxed);
    if (begin >= job.count) return;
    const int end = std::min(job.count, begin + job.grain);
    (*job.fn)(begin, end, worker);
    job.done.fetch_add(end - begin, std::memory_order_release);
  }
}

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : helpers_) t.join();
  }

  void run(int threads, int count, int grain, const RangeFn& fn) {
    std::unique_lock<std::mutex> busy(submit_, std::try_to_lock);
    if (!busy.owns_lock()) return fn(0, count, 0);
    while (static_cast<int>(helpers_.size()) < threads - 1) {
      const int index = static_cast<int>(helpers_.size()) + 1;
      helpers_.emplace_back([this, index] { helper(index); });
    }
    Job job;
    job.fn = &fn;
    job.count = count;
    job.grain = grain;
    job.workers = threads;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(job, 0);
    // Chunks claimed by helpers may still be running; a helper that has not woken yet is simply not needed.
    for (int spins = 0; job.done.load(std::memory_order_acquire) < count; ++spins)
      if (spins < 4096) cpu_relax(); else std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = nullptr;
    }
    while (job.users.load(std::memory_order_acquire) > 0) cpu_relax();
  }

 private:
  void helper(int index) {
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until)
        for (int i = 0; i < 64; ++i) cpu_relax();
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = generation_.load(std::memory_order_relaxed);
        if (!job_ || index >= job_->workers) continue;
        job = job_;
        // Counted under the lock, so the caller, which clears job_ under it too, waits for this helper.
        job->users.fetch_add(1, std::memory_order_relaxed);
      }
      work(*job, index);
      job->users.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex submit_;  // one job at a time
  std::mutex mutex_;   // guards job_ and stop_
  std::condition_variable wake_;
  Job* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

}  // namespace

int max_threads() {
  return DAE_MAX_THREADS;
}

void parallel_for(int threads, int count, int grain, const RangeFn& fn) {
  if (count <= 0) return;
  grain = std::max(grain, 1);
  threads = std::clamp(std::min(threads, (count + grain - 1) / grain), 1, max_threads());
  if (threads == 1) return fn(0, count, 0);
  static Pool pool;
  pool.run(threads, count, grain, fn);
}

#endif

}  // namespace dae::detail
