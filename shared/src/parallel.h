// The engine's small persistent thread pool: splits one operator's work (rows, tiles, channels, images) over
// threads. Without thread support (the single-threaded WebAssembly build) everything runs on the caller.
#pragma once

#include <functional>

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#define DAE_HAVE_THREADS 1
#endif

namespace dae::detail {

// The most threads one run may use: 1 without thread support; under Emscripten with threads, DAE_MAX_THREADS
// (the build's worker pool must hold DAE_MAX_THREADS - 1 workers for the engine, because a worker that is
// not in the pool cannot start while its creator waits for it).
int max_threads();

// fn(begin, end, worker) for consecutive chunks of at most `grain` items covering [0, count).
using RangeFn = std::function<void(int begin, int end, int worker)>;

// Runs the chunks on up to `threads` threads and returns when all are done. The caller is worker 0, pool
// threads are 1 .. threads - 1. Which worker runs which chunk changes from run to run: fn may use `worker`
// only to pick scratch memory, so results never depend on it. A second run that starts while the pool is
// busy (another thread's model) runs on its caller alone.
void parallel_for(int threads, int count, int grain, const RangeFn& fn);

}  // namespace dae::detail
