// The app's data flow: drawing, noise, denoising (through the Denoiser's jobs, any image and model channels), metrics
// and textures.
// Every number shown comes from the shared engine, noise and metrics code.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <emscripten.h>

#include "app_state.h"
#include "dae/tiles.h"
#include "dae/metrics.h"

// Engine work per frame before yielding to the browser, in the single-threaded build (the threaded one runs it on
// its own thread).
static constexpr double kTileBudgetMs = 40;
static constexpr size_t kUndoDepth = 32;
static constexpr size_t kUndoBytes = size_t(48) << 20;  // four 1024×1024 color photos

void set_message(AppState& s, const std::string& text, bool is_error) {
  s.message = text;
  s.message_is_error = is_error;
}

bool heap_can_take(size_t bytes) {
  // malloc returns null when the heap cannot grow that far (the build grows memory on demand); a vector would stop
  // the app instead. Freed at once: the heap keeps the room for the allocation that follows.
  void* p = std::malloc(std::max<size_t>(bytes, 1));
  if (!p) return false;
  std::free(p);
  return true;
}

void save_result(AppState& s, int jpeg_quality) {
  if (s.denoised.empty()) {
    set_message(s, "Nothing to save yet: the image is still being denoised", true);
    return;
  }
  const std::string stem = s.image_name.empty() ? "image" : s.image_name;
  host_save_image(s.denoised, stem + "-denoised." + (jpeg_quality > 0 ? "jpg" : "png"), jpeg_quality);
}

bool uses_large_view(const AppState& s) {
  return s.kind == ImageKind::Photo;
}

// Drawing pushes many small images, uploads a few large ones: both the count and the memory are bounded. An entry
// shares its pixels with the image it was (no copy), but keeps them alive once that image is replaced, so a photo
// larger than the whole budget is not kept at all.
void push_undo(AppState& s) {
  s.undo.emplace_back(s.clean, s.kind);
  size_t bytes = 0;
  for (const auto& entry : s.undo) bytes += entry.first.bytes();
  while (!s.undo.empty() && (s.undo.size() > kUndoDepth || bytes > kUndoBytes)) {
    bytes -= s.undo.front().first.bytes();
    s.undo.erase(s.undo.begin());
  }
}

// A new image (or an undone one) starts a fresh noise mask, view and denoising, and may call for another model.
static void image_changed(AppState& s, bool reset_view) {
  if (s.noise_mask.w != s.clean.w || s.noise_mask.h != s.clean.h) s.noise_mask = Image(s.clean.w, s.clean.h, 1, 0.0f);
  if (reset_view) {
    s.zoom = 1.0f;
    s.pan_x = s.pan_y = 0.5f;
  }
  s.denoiser.cancel();
  s.need_noise = true;
  pick_model_for_image(s);
}

void pop_undo(AppState& s) {
  if (s.undo.empty()) return;
  const bool resized = !s.undo.back().first.same_shape(s.clean);
  s.clean = std::move(s.undo.back().first);
  s.kind = s.undo.back().second;
  s.undo.pop_back();
  image_changed(s, resized);
}

void set_clean_image(AppState& s, Image image, const std::string& source, ImageKind kind) {
  if (!s.clean.empty()) push_undo(s);
  s.image_name.clear();
  s.clean = std::move(image);
  s.kind = kind;
  s.noise_mask = Image(s.clean.w, s.clean.h, 1, 0.0f);
  s.image_source = source;
  image_changed(s, true);
}

void load_sample(AppState& s, int index) {
  if (index < 0 || index >= static_cast<int>(s.samples.size())) return;
  s.sample_index = index;
  set_clean_image(s, Image(28, 28, 1, s.samples[index].px),
                  std::string("sample ") + std::to_string(index) + " (" +
                      dae::fashion_mnist::kClassNames[s.samples[index].label] + ")",
                  ImageKind::Small);
  s.image_name = "sample-" + std::to_string(index);
}

void clear_image(AppState& s, int w, int h) {
  set_clean_image(s, Image(w, h, 1, 0.0f), "blank", ImageKind::Small);
  s.image_name = "drawing";
}

// One soft round dab: full strength inside the radius, fading over the last pixel so strokes are antialiased.
static void dab(AppState& s, float cx, float cy, float radius, float strength) {
  Image& target = s.tool == Tool::NoiseBrush ? s.noise_mask : s.clean;
  const int x0 = std::max(0, static_cast<int>(std::floor(cx - radius - 1)));
  const int x1 = std::min(target.w - 1, static_cast<int>(std::ceil(cx + radius + 1)));
  const int y0 = std::max(0, static_cast<int>(std::floor(cy - radius - 1)));
  const int y1 = std::min(target.h - 1, static_cast<int>(std::ceil(cy + radius + 1)));
  float* px = target.mutable_data();
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
      const float cover = std::clamp(radius + 0.5f - d, 0.0f, 1.0f) * strength;
      if (cover <= 0) continue;
      // The pen paints white and the eraser black in every channel.
      for (int k = 0; k < target.c; ++k) {
        float& v = px[k * target.plane() + static_cast<size_t>(y) * target.w + x];
        v = s.tool == Tool::Eraser ? std::min(v, 1.0f - cover) : std::max(v, cover);
      }
    }
}

void paint_stroke(AppState& s, float x0, float y0, float x1, float y1, float pressure) {
  if (s.clean.empty()) return;
  const float scale = std::max(s.clean.w, s.clean.h) / 28.0f;
  const float radius = std::max(0.5f, s.brush_radius * scale);
  const float strength = std::clamp(pressure, 0.1f, 1.0f);
  const float len = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(std::ceil(len / std::max(0.5f, radius * 0.5f))));
  for (int i = 0; i <= steps; ++i) {
    const float t = static_cast<float>(i) / steps;
    dab(s, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radius, strength);
  }
  s.need_noise = true;
}

void reroll_noise(AppState& s) {
  s.seed = s.seed * 1664525u + 1013904223u;
  if (s.seed == 0) s.seed = 1;
  s.need_noise = true;
}

bool cleans_as_is(const AppState& s) {
  return s.kind == ImageKind::Photo && s.photo_mode == PhotoMode::NoisyPhoto;
}

void set_photo_mode(AppState& s, PhotoMode mode) {
  if (mode == s.photo_mode) return;
  const bool before = cleans_as_is(s);
  s.photo_mode = mode;
  if (cleans_as_is(s) == before) return;
  s.need_noise = true;
  pick_model_for_image(s);  // a noisy photo goes to the model that learned a camera's noise
}

// The noise level of every channel of `im`, averaged: from the whole image up to a megapixel; above that the mean of
// the estimates of a 4×4 grid of 256×256 tiles spread over it, so the strength slider, which asks again at every
// move, stays live on a 50 MP photo (the estimate sorts its values: the whole of such a photo takes seconds).
static double estimated_sigma(const Image& im) {
  constexpr int kTile = 256, kGrid = 4;
  const bool whole = im.plane() <= (size_t(1) << 20) || im.w < kGrid * kTile || im.h < kGrid * kTile;
  double sum = 0;
  int count = 0;
  std::vector<float> tile(whole ? 0 : kTile * kTile);
  for (int k = 0; k < im.c; ++k) {
    const float* plane = im.channel(k);
    if (whole) {
      sum += dae::estimate_noise_sigma(plane, im.h, im.w), ++count;
      continue;
    }
    for (int gy = 0; gy < kGrid; ++gy)
      for (int gx = 0; gx < kGrid; ++gx) {
        const int x0 = (2 * gx + 1) * im.w / (2 * kGrid) - kTile / 2, y0 = (2 * gy + 1) * im.h / (2 * kGrid) - kTile / 2;
        for (int y = 0; y < kTile; ++y)
          std::copy_n(plane + static_cast<size_t>(y0 + y) * im.w + x0, kTile, tile.begin() + y * kTile);
        sum += dae::estimate_noise_sigma(tile.data(), kTile, kTile), ++count;
      }
  }
  return count > 0 ? sum / count : 0.0;
}

// The noisy input: the clean image with the shared noise code's noise (the camera kinds work on neighbours and colours
// together; the noise brush's mask applies to every channel), or a noisy photo as it is (the same pixels).
static void make_noisy(AppState& s) {
  ++s.ort_generation;
  if (cleans_as_is(s)) {
    s.noisy = s.clean;
    s.psnr_noisy = s.ssim_noisy = s.psnr_denoised = s.ssim_denoised = 0;
    s.sigma_noisy = estimated_sigma(s.noisy);
    return;
  }
  s.noisy = Image(s.clean.w, s.clean.h, s.clean.c, 0.0f);
  dae::Rng rng(s.seed);
  if (s.noise_everywhere)
    dae::add_noise_image(s.clean.data(), s.noisy.mutable_data(), s.clean.c, s.clean.h, s.clean.w, s.noise, rng);
  else
    dae::add_noise_image_masked(s.clean.data(), s.noise_mask.data(), s.noisy.mutable_data(), s.clean.c, s.clean.h,
                                s.clean.w, s.noise, rng);
  // PSNR over every value of every channel; SSIM per channel, averaged. The denoised image's follow with it.
  s.psnr_noisy = dae::psnr_db(s.noisy.data(), s.clean.data(), s.clean.size());
  s.ssim_noisy = dae::ssim_channels(s.noisy.data(), s.clean.data(), s.clean.c, s.clean.h, s.clean.w);
  s.sigma_noisy = s.sigma_denoised = 0;
}

// (1 - t)·photo + t·output at every value: exactly the photo at 0 and exactly the output at 1 (then shared, not
// computed).
static Image blend(const Image& photo, const Image& output, float t) {
  if (t >= 1.0f) return output;
  if (t <= 0.0f) return photo;
  Image out(photo.w, photo.h, photo.c, 0.0f);
  float* o = out.mutable_data();
  const float* a = photo.data();
  const float* b = output.data();
  for (size_t i = 0, n = out.size(); i < n; ++i) o[i] = (1.0f - t) * a[i] + t * b[i];
  return out;
}

// Whichever backend is chosen provides the shown result (blended with a noisy photo by its strength); the engine's
// stays as the reference for the difference.
// notify: the result is for the current settings (not a stroke's result overtaken by the next stroke).
static void refresh_outputs(AppState& s, bool notify = true) {
  const bool use_ort = backend_in_use(s) != Backend::Engine && !training_step_in_use(s) && !s.ort_out.empty() &&
                       s.ort_out.same_shape(s.noisy);
  const Image& output = use_ort ? s.ort_out : s.engine_out;
  if (output.empty() || !output.same_shape(s.clean)) return;
  const size_t n = s.clean.size();
  if (cleans_as_is(s)) {
    s.denoised = blend(s.noisy, output, s.strength);
    s.sigma_denoised = estimated_sigma(s.denoised);
  } else {
    s.denoised = output;
    s.psnr_denoised = dae::psnr_db(s.denoised.data(), s.clean.data(), n);
    s.ssim_denoised = dae::ssim_channels(s.denoised.data(), s.clean.data(), s.clean.c, s.clean.h, s.clean.w);
  }
  // ONNX Runtime runs the model once: beside the engine's ensemble the difference would measure the ensemble.
  s.max_abs_diff = -1;
  if (engine_ensemble(s) == 1 && !training_step_in_use(s) && !s.ort_out.empty() &&
      s.ort_out.same_shape(s.engine_out)) {
    float m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(s.ort_out[i] - s.engine_out[i]));
    s.max_abs_diff = m;
  }
  // A noisy photo is its own reference: the difference shows what was taken out of it.
  upload_image(s.textures, &s.textures.denoised, s.denoised.data(), s.denoised.w, s.denoised.h, s.denoised.c);
  upload_difference(s.textures, &s.textures.difference, s.denoised.data(), s.clean.data(), s.clean.w, s.clean.h,
                    s.clean.c);
  if (!notify) return;
  ++s.denoise_count;
  host_notify_denoised(s);
}

void set_strength(AppState& s, float strength) {
  s.strength = std::clamp(strength, 0.0f, 1.0f);
  if (cleans_as_is(s) && !s.denoiser.busy()) refresh_outputs(s, false);
}

int engine_ensemble(const AppState& s) {
  return s.ensemble && s.model ? dae::model_symmetries(*s.model) : 1;
}

dae::Tensor region_tensor(const Image& image, int x0, int y0, int w, int h) {
  dae::Tensor t(1, image.c, h, w);
  for (int k = 0; k < image.c; ++k)
    for (int y = 0; y < h; ++y)
      std::copy_n(image.channel(k) + static_cast<size_t>(y0 + y) * image.w + x0, w,
                  t.at(0, k) + static_cast<size_t>(y) * w);
  return t;
}

Image tensor_image(const dae::Tensor& t) {
  return Image(t.w, t.h, t.c, t.data);
}

dae::ChannelOptions channel_options(const Image& whole, int model_channels) {
  return dae::whole_image_options(whole.c, whole.channel(0), whole.h, whole.w, model_channels);
}

// The job's tiles finished since the last frame go into the texture the view shows while it runs.
static void show_finished_tiles(AppState& s) {
  s.denoiser.take_finished([&](const dae::TileRect& core, const Image& out) {
    if (upload_region(s.textures, &s.textures.partial, out.data(), out.w, out.h, out.c, core.x0, core.y0,
                      core.x1 - core.x0, core.y1 - core.y0, s.partial.empty()))
      s.partial.push_back(core);
  });
}

// Shows the engine's result once it is in; a stroke's result overtaken by the next stroke is shown too, but the
// app stays busy until the current one arrives.
static void take_engine_result(AppState& s) {
  std::optional<DenoiseResult> r = s.denoiser.take();
  if (!r) return;
  if (!r->error.empty()) {
    set_message(s, "Denoising failed: " + r->error, true);
    return;
  }
  if (!r->out.same_shape(s.noisy)) return;
  if (r->current) s.partial.clear();
  s.engine_ms = r->compute_ms;
  s.engine_out = std::move(r->out);
  refresh_outputs(s, r->current);
}

bool cancel_denoise(AppState& s) {
  if (!s.denoiser.busy() || s.cancelled) return false;
  // Tiles the job finished since the last frame are shown first: cancelling drops what was not handed out.
  show_finished_tiles(s);
  s.cancelled_done = s.denoiser.tiles_done(), s.cancelled_tiles = s.denoiser.tiles();
  s.denoiser.cancel();
  s.cancelled = true;
  s.need_denoise = false;
  // The result shown may be of the settings before: the pane shows the tiles that finished over the input instead.
  s.denoised = {};
  set_message(s,
              "Cancelled after " + std::to_string(s.cancelled_done) + " of " + std::to_string(s.cancelled_tiles) +
                  " tiles: Run again (Enter) to finish",
              false);
  return true;
}

void run_again(AppState& s) {
  if (!s.cancelled) return;
  s.cancelled = false;
  s.need_denoise = true;
  set_message(s, "", false);
}

double seconds_left(const AppState& s) {
  const int done = s.denoiser.tiles_done(), total = s.denoiser.tiles();
  if (!s.denoiser.busy() || done <= 0 || total <= done) return -1;
  const double elapsed = (emscripten_get_now() - s.job_started_ms) / 1000.0;
  return elapsed / done * (total - done);
}

void update_pipeline(AppState& s) {
  if (s.clean.empty()) return;
  // First what the job thread finished since the last frame, before a new job would overtake it.
  take_engine_result(s);
  if (s.need_noise) {
    ++s.clean_version;  // a stroke, an upload or a sample: every change of the clean image comes through here
    // The kind of noise may call for another model (a camera's noise goes to the camera model).
    if (s.kind == ImageKind::Photo) pick_model_for_image(s);
    make_noisy(s);
    upload_image(s.textures, &s.textures.clean, s.clean.data(), s.clean.w, s.clean.h, s.clean.c);
    upload_image(s.textures, &s.textures.noisy, s.noisy.data(), s.noisy.w, s.noisy.h, s.noisy.c);
    s.need_noise = false;
    s.need_denoise = true;
  }
  if (s.need_denoise) {
    if (s.model && s.model_loading.empty()) {
      s.need_denoise = false;
      // ONNX Runtime has the model file only: a training step is the engine's alone.
      if (backend_in_use(s) != Backend::Engine && !training_step_in_use(s)) host_request_ort(s);
      // Cancels the job in progress: its result would be stale. Tiles nearest the middle of the view run first.
      s.denoiser.submit(model_in_use(s), s.noisy, engine_ensemble(s), s.pan_x, s.pan_y);
      s.job_started_ms = emscripten_get_now();
      s.cancelled = false;
      s.partial.clear();
    } else {
      // While the model this image calls for downloads, the old one would only do work that is thrown away.
      s.denoiser.cancel();
    }
  }
  s.denoiser.step(kTileBudgetMs);
  show_finished_tiles(s);
  take_engine_result(s);
  update_auto_backend(s);
  if (s.ort_send_tile) {
    s.ort_send_tile = false;
    if (s.ort_pending && s.ort_run_generation == s.ort_generation && s.ort_model == s.model_name && s.model &&
        backend_in_use(s) != Backend::Engine) {
      host_request_ort_tile(s);
    } else if (s.ort_pending) {
      // The image, the model or the backend changed between two tiles: this run's tiles are of no use now.
      s.ort_pending = false;
      s.ort_partial = {};
      if (backend_in_use(s) != Backend::Engine && s.model) host_request_ort(s);
    }
  }
  update_layers(s);
  update_walk(s);
}

void accept_ort_output(AppState& s, const float* px, int n, int c, int h, int w, double ms, int generation) {
  if (generation != s.ort_generation || s.ort_model != s.model_name || !s.model) {
    // The image or the model changed while ONNX Runtime was busy: start again on the current one.
    s.ort_pending = false;
    s.ort_partial = {};
    if (backend_in_use(s) != Backend::Engine && s.model) host_request_ort(s);
    return;
  }
  const auto fail = [&](const std::string& why) {
    s.ort_pending = false;
    s.ort_partial = {};
    s.ort_status = why;
  };
  if (h != s.ort_h || w != s.ort_w)
    return fail("ONNX Runtime returned " + std::to_string(w) + "x" + std::to_string(h) + " for a " +
                std::to_string(s.ort_w) + "x" + std::to_string(s.ort_h) + " input");
  dae::Tensor out(n, c, h, w);
  std::copy_n(px, out.size(), out.data.begin());
  const dae::TileRect region = s.ort_grid.region(s.ort_tile), core = s.ort_grid.core(s.ort_tile);
  dae::Result<dae::Tensor> kept = dae::tile_from_output(std::move(out), s.noisy.c, region, core);
  if (!kept.ok()) return fail("ONNX Runtime's output: " + kept.error());
  s.ort_run_ms += ms;
  if (s.ort_grid.count() > 1) {
    float* dst = s.ort_partial.mutable_data();
    for (int k = 0; k < kept->c; ++k)
      for (int y = 0; y < core.h(); ++y)
        std::copy_n(kept->at(0, k) + static_cast<size_t>(y) * core.w(), core.w(),
                    dst + k * s.ort_partial.plane() + static_cast<size_t>(core.y0 + y) * s.ort_partial.w + core.x0);
    // The next tile goes out on the next frame: the page draws (and takes input) between tiles.
    if (++s.ort_tile < s.ort_grid.count()) {
      s.ort_send_tile = true;
      return;
    }
  }
  s.ort_pending = false;
  s.ort_ms = s.ort_run_ms;
  s.ort_out = s.ort_grid.count() > 1 ? std::move(s.ort_partial) : tensor_image(*kept);
  s.ort_partial = {};
  if (!s.denoiser.busy()) refresh_outputs(s);
}
