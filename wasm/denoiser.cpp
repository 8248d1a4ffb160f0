// Denoising jobs in tiles: on a background thread in the threaded build (-pthread), a few tiles per frame otherwise.
#include "denoiser.h"

#include <emscripten.h>

#include <algorithm>
#include <mutex>
#if defined(__EMSCRIPTEN_PTHREADS__)
#include <condition_variable>
#include <thread>
#endif

#include "app_state.h"
#include "dae/tiles.h"

#if !defined(DAE_APP_MAX_THREADS)
#define DAE_APP_MAX_THREADS 1
#endif

namespace {

// Images up to this many pixels run whole, as one tile: a drawing's result comes back within a frame or two.
constexpr size_t kWholeImagePixels = 160 * 160;
// Core tile side, a multiple of every model's size multiple; the context around each tile is the model's
// dae::context_radius, so the tiles together give exactly the whole-image result. A tile is the unit of progress
// and of cancellation. The threaded build takes larger ones: the halo is a smaller share of the work, and the
// engine's threads split a larger tile better; it need not hand the frame back between tiles.
#if defined(__EMSCRIPTEN_PTHREADS__)
constexpr int kTile = 256;
#else
constexpr int kTile = 128;
#endif

struct Job {
  int id = 0;
  std::shared_ptr<const dae::Model> model;
  Image noisy, out;
  dae::ChannelOptions channels;  // how the image's channels meet the model's; origin set per tile
  dae::TileGrid grid;
  std::vector<int> order;  // the tiles in the order they run: nearest the focus first
  int next = 0;            // how many have run (order[next] is the next one)
  double compute_ms = 0;
  int count() const { return grid.count(); }
};

Job make_job(std::shared_ptr<const dae::Model> model, const Image& noisy, float focus_x, float focus_y) {
  Job j;
  j.model = std::move(model);
  j.noisy = noisy;  // shares the pixels
  j.grid = dae::tile_grid(j.model->arch(), noisy.h, noisy.w, noisy.plane() <= kWholeImagePixels ? 0 : kTile);
  j.out = Image(noisy.w, noisy.h, noisy.c, 0.0f);
  j.channels = channel_options(noisy, j.model->arch().channels);
  // Every tile gives the same pixels whenever it runs: the order only decides what is ready first.
  const float fx = focus_x * noisy.w, fy = focus_y * noisy.h;
  const auto distance = [&](int i) {
    const dae::TileRect c = j.grid.core(i);
    const float dx = (c.x0 + c.x1) * 0.5f - fx, dy = (c.y0 + c.y1) * 0.5f - fy;
    return dx * dx + dy * dy;
  };
  j.order.resize(j.grid.count());
  for (int i = 0; i < j.grid.count(); ++i) j.order[i] = i;
  std::stable_sort(j.order.begin(), j.order.end(), [&](int a, int b) { return distance(a) < distance(b); });
  return j;
}

// Runs the job's next tile with `threads` engine threads; false with `error` set if the engine refused it.
bool run_tile(Job& j, int threads, std::string& error) {
  const int tile = j.order[j.next];
  const dae::TileRect core = j.grid.core(tile), region = j.grid.region(tile);
  const double t0 = emscripten_get_now();
  dae::ChannelOptions options = j.channels;
  options.run.threads = threads;
  dae::Result<dae::Tensor> r = dae::denoise_tile(
      *j.model, region_tensor(j.noisy, region.x0, region.y0, region.w(), region.h()), options, region, core);
  if (!r.ok()) {
    error = r.error();
    return false;
  }
  j.compute_ms += emscripten_get_now() - t0;
  for (int k = 0; k < r->c; ++k)
    for (int y = 0; y < core.h(); ++y)
      std::copy_n(r->at(0, k) + static_cast<size_t>(y) * core.w(), core.w(),
                  j.out.mutable_channel(k) + static_cast<size_t>(core.y0 + y) * j.out.w + core.x0);
  ++j.next;
  return true;
}

}  // namespace

// Everything below `mutex` is shared between the app's thread and the job thread; neither holds the lock while
// computing, so the app's thread never waits long for it.
struct Denoiser::Impl {
  mutable std::mutex mutex;
  int threads = 1;
  int next_id = 0;
  int latest = 0;           // the newest job submitted; a job that is not the latest stops before its next tile
  int floor = 0;            // jobs up to this id were cancelled outright and deliver nothing
  int waiting = 0;          // the job whose result busy() waits for; 0 when none
  int done = 0, total = 0;  // the latest job's tiles
  // The latest job while it runs (null otherwise) and how many of its tiles take_finished has handed out; set and
  // cleared under the lock before the job's output moves or goes.
  const Job* running = nullptr;
  int seen = 0;
  std::optional<DenoiseResult> result;
  DenoiseStats stats;
#if defined(__EMSCRIPTEN_PTHREADS__)
  std::condition_variable wake;
  std::optional<Job> pending;  // submitted, not yet picked up by the job thread
  std::thread thread;
  bool stop = false;
#else
  std::optional<Job> job;  // the job being stepped through frame by frame
#endif

  // Under the lock: `j` stopped before its last tile.
  void record_cancel(const Job& j) {
    unpublish(j);
    ++stats.cancelled;
    stats.last_cancelled = j.id;
    stats.last_cancelled_done = j.next;
    stats.last_cancelled_tiles = j.count();
  }

  // Under the lock: `j` is the latest job and about to run its tiles.
  void publish(const Job& j) {
    running = j.count() > 1 ? &j : nullptr;
    seen = 0;
  }
  // Under the lock: `j` stops (finished, failed or cancelled); its tiles are no longer handed out.
  void unpublish(const Job& j) {
    if (running == &j) running = nullptr;
  }

  // Under the lock: `j` ran all its tiles, or failed with `error`.
  void finish(Job& j, std::string error) {
    unpublish(j);
    const bool current = j.id == latest;
    if (error.empty()) ++stats.finished;
    // A single tile overtaken by a newer job (a stroke continues) is still the freshest result there is.
    if (!current && !(error.empty() && j.count() == 1 && j.id > floor)) return;
    DenoiseResult r;
    r.job = j.id;
    r.current = current;
    r.compute_ms = j.compute_ms;
    r.error = std::move(error);
    if (r.error.empty()) r.out = std::move(j.out);
    result = std::move(r);
  }

#if defined(__EMSCRIPTEN_PTHREADS__)
  void loop() {
    for (;;) {
      Job j;
      int n = 1;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stop || pending; });
        if (stop) return;
        j = std::move(*pending);
        pending.reset();
        n = threads;
        if (j.id == latest) publish(j);
      }
      std::string error;
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (j.id == latest) done = j.next;
          if (j.next == j.count() || !error.empty()) {
            finish(j, std::move(error));
            break;
          }
          if (j.id != latest) {
            record_cancel(j);
            break;
          }
        }
        run_tile(j, n, error);  // a refusal is delivered at the top of the next round
      }
    }
  }
#endif
};

Denoiser::Denoiser() : impl_(std::make_unique<Impl>()) {}

Denoiser::~Denoiser() {
#if defined(__EMSCRIPTEN_PTHREADS__)
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop = true;
    impl_->latest = ++impl_->next_id;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
#endif
}

bool Denoiser::threaded() {
#if defined(__EMSCRIPTEN_PTHREADS__)
  return true;
#else
  return false;
#endif
}

void Denoiser::set_threads(int threads) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  m.threads = std::clamp(threads, 1, DAE_APP_MAX_THREADS);
#if defined(__EMSCRIPTEN_PTHREADS__)
  // Started now, from the app's thread, so it is up by the first job: the page's worker pool holds a worker for it.
  if (!m.thread.joinable()) m.thread = std::thread([&m] { m.loop(); });
#endif
}

int Denoiser::threads() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->threads;
}

int Denoiser::submit(std::shared_ptr<const dae::Model> model, const Image& noisy, int ensemble, float focus_x,
                     float focus_y) {
  Job j = make_job(std::move(model), noisy, focus_x, focus_y);  // allocates the output outside the lock
  j.channels.run.ensemble = ensemble;
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  j.id = m.latest = m.waiting = ++m.next_id;
  m.running = nullptr;  // the job in progress no longer hands out tiles
  m.done = 0;
  m.total = j.count();
  ++m.stats.submitted;
#if defined(__EMSCRIPTEN_PTHREADS__)
  if (m.pending) m.record_cancel(*m.pending);
  m.pending = std::move(j);
  if (!m.thread.joinable()) m.thread = std::thread([&m] { m.loop(); });  // set_threads was not called
  m.wake.notify_one();
#else
  if (m.job) m.record_cancel(*m.job);
  m.job = std::move(j);
  m.publish(*m.job);
#endif
  return m.latest;
}

void Denoiser::cancel() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  if (m.waiting == 0) return;
  m.latest = m.floor = ++m.next_id;
  m.waiting = 0;
  m.running = nullptr;
  m.done = m.total = 0;
  m.result.reset();
#if defined(__EMSCRIPTEN_PTHREADS__)
  if (m.pending) m.record_cancel(*m.pending);
  m.pending.reset();
#else
  if (m.job) m.record_cancel(*m.job);
  m.job.reset();
#endif
}

void Denoiser::step(double budget_ms) {
#if defined(__EMSCRIPTEN_PTHREADS__)
  (void)budget_ms;
#else
  Impl& m = *impl_;
  if (!m.job) return;
  Job& j = *m.job;
  std::string error;
  const double start = emscripten_get_now();
  do {
    if (!run_tile(j, 1, error)) break;
  } while (j.next < j.count() && emscripten_get_now() - start < budget_ms);
  m.done = j.next;
  if (j.next == j.count() || !error.empty()) {
    m.finish(j, std::move(error));
    m.job.reset();
  }
#endif
}

std::optional<DenoiseResult> Denoiser::take() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  if (!m.result) return std::nullopt;
  DenoiseResult r = std::move(*m.result);
  m.result.reset();
  r.current = r.job == m.latest;
  if (r.job == m.waiting) m.waiting = 0;
  return r;
}

void Denoiser::take_finished(const std::function<void(const dae::TileRect& core, const Image& out)>& see) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  if (!m.running) return;
  // `done` counts the latest job's tiles whose pixels are written (set under this lock after each tile).
  for (; m.seen < m.done; ++m.seen) see(m.running->grid.core(m.running->order[m.seen]), m.running->out);
}

bool Denoiser::busy() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->waiting != 0;
}

int Denoiser::tiles_done() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->done;
}

int Denoiser::tiles() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->total;
}

DenoiseStats Denoiser::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->stats;
}
