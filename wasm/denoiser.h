// The engine's denoising jobs, kept off the frame that draws the app: the threaded build runs each job on a background
// thread with the engine's threads, the single-threaded build a few tiles per frame. A newer job, or a cancel,
// stops the one in progress before its next tile instead of queueing behind it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dae/engine.h"
#include "dae/tiles.h"
#include "image.h"

struct DenoiseResult {
  int job = 0;
  // False when a newer job was submitted meanwhile: only single-tile jobs (drawing at 28×28) deliver such results,
  // so a stroke's result shows while the next one is computed.
  bool current = true;
  Image out;
  double compute_ms = 0;  // engine time over the job's tiles (waits between tiles not counted)
  std::string error;      // why the engine refused; empty on success
};

struct DenoiseStats {
  int submitted = 0, finished = 0, cancelled = 0;
  // The latest cancelled job: its id and how many of its tiles had run when it stopped.
  int last_cancelled = 0, last_cancelled_done = 0, last_cancelled_tiles = 0;
};

class Denoiser {
 public:
  Denoiser();
  ~Denoiser();
  Denoiser(const Denoiser&) = delete;
  Denoiser& operator=(const Denoiser&) = delete;

  // Whether this is the threaded build (jobs run on a background thread).
  static bool threaded();
  // The engine's thread count for every job (clamped to what the build supports; 1 without threads). The threaded
  // build starts its job thread here.
  void set_threads(int threads);
  int threads() const;

  // Starts denoising `noisy` with `model` (averaged over `ensemble` symmetries, dae::RunOptions) and returns the
  // job's id; the job in progress, if any, is cancelled. Tiles run nearest first to the focus (fractions of the
  // image's width and height: the middle of what the person is looking at), so what is on screen is done first.
  int submit(std::shared_ptr<const dae::Model> model, const Image& noisy, int ensemble = 1, float focus_x = 0.5f,
             float focus_y = 0.5f);
  // Cancels the job in progress (the image or model changed and its result would be thrown away).
  void cancel();
  // Single-threaded build: runs tiles on the caller for up to budget_ms (at least one). Threaded build: nothing.
  void step(double budget_ms);
  // A finished result not yet taken: the latest job's, or a single-tile job's that a newer one overtook.
  std::optional<DenoiseResult> take();

  // The latest job's tiles finished since the last call, each as its core and the job's output image (cores
  // already delivered hold their final pixels); `see` runs under the lock and must only read that core. Nothing for
  // a job of one tile.
  void take_finished(const std::function<void(const dae::TileRect& core, const Image& out)>& see);

  // A job was submitted and its result has not been taken yet.
  bool busy() const;
  // Tiles done and in all of the latest job.
  int tiles_done() const;
  int tiles() const;
  DenoiseStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
