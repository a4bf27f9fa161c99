// The process-wide worker pool the GEMM, attention and layer norm split their work over.
// Its interface is a plain function pointer, not a template, so per-ISA translation units share
// no inline code with it (see simd.h).
#pragma once

#include <cstdint>

namespace sentvec {

// One unit of work: `scratch` holds the float count asked of parallel_for, 64-byte aligned, and
// is private to the thread running the task.
using TaskFn = void (*)(const void* context, int64_t task, float* scratch);

// Runs fn(context, task, scratch) for every task in 0..tasks-1 on up to `threads` threads (the
// caller among them, and never more than thread_count()) and returns when all are done. Calls
// from several JS threads are safe: the pool runs one job at a time and the others wait for it.
// Throws std::bad_alloc (on the caller, before any task runs) if scratch cannot grow; tasks
// themselves must not throw.
void parallel_for(int64_t tasks, int64_t scratch_floats, TaskFn fn, const void* context, int64_t threads);

int thread_count();
// Restarts the pool with `threads` threads (caller included); throws std::system_error if the
// operating system refuses a thread.
void set_thread_count(int threads);

}  // namespace sentvec
