#include "threads.h"

#include "aligned.h"

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

// Per-thread scratch that only grows, so a steady stream of same-shaped calls allocates nothing.
class ScratchBuffer {
 public:
  float* reserve(int64_t floats) {
    if (floats > capacity_) {
      std::unique_ptr<float, AlignedFree> grown = aligned_alloc64<float>(static_cast<size_t>(floats) * sizeof(float));
      if (!grown) throw std::bad_alloc();
      data_ = std::move(grown);
      capacity_ = floats;
    }
    return data_.get();
  }
  float* data() const { return data_.get(); }

 private:
  std::unique_ptr<float, AlignedFree> data_;
  int64_t capacity_ = 0;
};

// Workers spin this long for the next job before sleeping: a forward pass issues kernels back
// to back, and a condition-variable wake-up costs more than a small GEMM.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(200);
// The caller waits for a task another thread is running by spinning this many times, then by
// yielding its core, which a descheduled worker on a busy machine may need.
constexpr int kSpinsBeforeYield = 4096;
// Task counts and indices are 20-bit fields of the claim word; a larger job runs on the caller.
constexpr uint64_t kMaxClaimField = (uint64_t{1} << 20) - 1;

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
    if (tasks == 1 || threads <= 1 || workers_.empty() || static_cast<uint64_t>(tasks) > kMaxClaimField) {
      for (int64_t task = 0; task < tasks; task++) fn(context, task, scratch_[0].data());
      return;
    }
    fn_ = fn;
    context_ = context;
    job_threads_.store(threads, std::memory_order_relaxed);
    done_tasks_.store(0, std::memory_order_relaxed);
    uint64_t generation;
    {
      std::lock_guard<std::mutex> wake(wake_mutex_);
      generation = next_generation();
      claims_.store(claim_word(generation, tasks, 0), std::memory_order_release);
    }
    wake_.notify_all();
    work(0, generation);
    // Only the tasks are waited for, not the workers: on a busy machine a worker the scheduler
    // has not run yet would otherwise hold up a job the caller has already finished alone.
    for (int spins = 0; done_tasks_.load(std::memory_order_acquire) != tasks; spins++) {
      if (spins < kSpinsBeforeYield) SENTVEC_CPU_RELAX();
      else std::this_thread::yield();
    }
  }

 private:
  void start(int threads) {
    stopping_ = false;
    scratch_ = std::vector<ScratchBuffer>(static_cast<size_t>(threads));
    // read here, not in the new thread: a stop() before that thread first runs must still wake it
    const uint64_t generation = this->generation();
    for (int slot = 1; slot < threads; slot++) {
      workers_.emplace_back([this, slot, generation] { worker(slot, generation); });
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> wake(wake_mutex_);
      stopping_ = true;
      claims_.store(claim_word(next_generation(), 0, 0), std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
  }

  // Claims and runs tasks of job `generation` until none is left. A claim is a compare-exchange
  // on the whole (generation, tasks, next task) word, so a worker that wakes late can never take
  // a task of a later job, nor judge an earlier job's claim by a later job's task count.
  void work(int slot, uint64_t generation) {
    uint64_t claim = claims_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t next = claim & kMaxClaimField;
      if (claim >> 40 != generation || next >= (claim >> 20 & kMaxClaimField)) return;
      if (!claims_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      fn_(context_, static_cast<int64_t>(next), scratch_[static_cast<size_t>(slot)].data());
      done_tasks_.fetch_add(1, std::memory_order_release);
      claim = claims_.load(std::memory_order_acquire);
    }
  }

  static uint64_t claim_word(uint64_t generation, int64_t tasks, int64_t next) {
    return generation << 40 | static_cast<uint64_t>(tasks) << 20 | static_cast<uint64_t>(next);
  }
  uint64_t generation() const { return claims_.load(std::memory_order_acquire) >> 40; }
  uint64_t next_generation() const { return (generation() + 1) & 0xffffff; }

  void worker(int slot, uint64_t seen) {
    for (;;) {
      const auto spin_until = std::chrono::steady_clock::now() + kSpinBeforeSleep;
      while (generation() == seen && std::chrono::steady_clock::now() < spin_until) SENTVEC_CPU_RELAX();
      {
        std::unique_lock<std::mutex> wake(wake_mutex_);
        // stopping_ too, not only a new generation: a worker that woke for the job before a
        // stop may already have read the stop's generation as `seen`, and would sleep past it
        wake_.wait(wake, [&] { return stopping_ || generation() != seen; });
        if (stopping_) return;
        seen = generation();
      }
      if (slot < job_threads_.load(std::memory_order_relaxed)) work(slot, seen);
    }
  }

  std::mutex job_mutex_;  // held for a whole job: one job at a time, whoever calls
  std::vector<std::thread> workers_;
  std::vector<ScratchBuffer> scratch_;

  TaskFn fn_ = nullptr;
  const void* context_ = nullptr;
  std::atomic<int64_t> job_threads_{0};
  // bits 40..63: the job's generation; 20..39: its task count; 0..19: its next unclaimed task
  std::atomic<uint64_t> claims_{0};
  std::atomic<int64_t> done_tasks_{0};

  std::mutex wake_mutex_;
  std::condition_variable wake_;
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
