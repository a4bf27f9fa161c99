#include "threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SENTVEC_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define SENTVEC_CPU_RELAX() asm volatile("yield")
#else
#define SENTVEC_CPU_RELAX() std::this_thread::yield()
#endif

namespace sentvec {
namespace {

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// Per-thread scratch that only grows, so a steady stream of same-shaped calls allocates nothing.
class ScratchBuffer {
 public:
  float* reserve(int64_t floats) {
    if (floats > capacity_) {
      const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
      std::unique_ptr<float, FreeDeleter> grown(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!grown) throw std::bad_alloc();
      data_ = std::move(grown);
      capacity_ = floats;
    }
    return data_.get();
  }
  float* data() const { return data_.get(); }

 private:
  std::unique_ptr<float, FreeDeleter> data_;
  int64_t capacity_ = 0;
};

// Workers spin this long for the next job before sleeping: a forward pass issues kernels back
// to back, and a condition-variable wake-up costs more than a small GEMM.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(200);

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { start(threads); }
  ~ThreadPool() { stop(); }

  int threads() {
    std::lock_guard<std::mutex> job(job_mutex_);
    return static_cast<int>(workers_.size()) + 1;
  }

  void resize(int threads) {
    std::lock_guard<std::mutex> job(job_mutex_);
    stop();
    start(threads);
  }

  void run(int64_t tasks, int64_t scratch_floats, TaskFn fn, const void* context, int64_t threads) {
    std::lock_guard<std::mutex> job(job_mutex_);
    // any thread may take any task, so every slot gets the scratch
    for (ScratchBuffer& scratch : scratch_) scratch.reserve(std::max<int64_t>(scratch_floats, 1));
    if (tasks == 1 || threads <= 1 || workers_.empty()) {
      for (int64_t task = 0; task < tasks; task++) fn(context, task, scratch_[0].data());
      return;
    }
    fn_ = fn;
    context_ = context;
    tasks_ = tasks;
    job_threads_ = threads;
    next_task_.store(0, std::memory_order_relaxed);
    pending_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> wake(wake_mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(0);
    while (pending_workers_.load(std::memory_order_acquire) != 0) SENTVEC_CPU_RELAX();
  }

 private:
  void start(int threads) {
    stopping_ = false;
    scratch_ = std::vector<ScratchBuffer>(static_cast<size_t>(threads));
    // read here, not in the new thread: a stop() before that thread first runs must still wake it
    const uint64_t generation = generation_.load(std::memory_order_acquire);
    for (int slot = 1; slot < threads; slot++) {
      workers_.emplace_back([this, slot, generation] { worker(slot, generation); });
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> wake(wake_mutex_);
      stopping_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
  }

  void work(int slot) {
    float* scratch = scratch_[static_cast<size_t>(slot)].data();
    for (int64_t task; (task = next_task_.fetch_add(1, std::memory_order_relaxed)) < tasks_;) fn_(context_, task, scratch);
  }

  void worker(int slot, uint64_t seen) {
    for (;;) {
      const auto spin_until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < spin_until) {
        SENTVEC_CPU_RELAX();
      }
      {
        std::unique_lock<std::mutex> wake(wake_mutex_);
        wake_.wait(wake, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        if (stopping_) return;
      }
      seen = generation_.load(std::memory_order_acquire);
      // Every worker checks in, even one left out of the job or one that slept through it.
      if (slot < job_threads_) work(slot);
      pending_workers_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex job_mutex_;  // held for a whole job: one job at a time, whoever calls
  std::vector<std::thread> workers_;
  std::vector<ScratchBuffer> scratch_;

  TaskFn fn_ = nullptr;
  const void* context_ = nullptr;
  int64_t tasks_ = 0;
  int64_t job_threads_ = 0;
  std::atomic<int64_t> next_task_{0};
  std::atomic<int> pending_workers_{0};

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  bool stopping_ = false;
};

ThreadPool& pool() {
  static ThreadPool instance(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return instance;
}

}  // namespace

void parallel_for(int64_t tasks, int64_t scratch_floats, TaskFn fn, const void* context, int64_t threads) {
  if (tasks > 0) pool().run(tasks, scratch_floats, fn, context, threads);
}

int thread_count() { return pool().threads(); }

void set_thread_count(int threads) { pool().resize(std::max(1, threads)); }

}  // namespace sentvec
