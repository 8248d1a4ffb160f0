// The app's data flow: drawing, noise, denoising (through the Denoiser's jobs, any image and model channels), metrics
// and textures.
// Every number shown comes from the shared engine, noise and metrics code.
#include <algorithm>
#include <cmath>

#include "app_state.h"
#include "dae/tiles.h"
#include "dae/metrics.h"

// Engine work per frame before yielding to the browser, in the single-threaded build (the threaded one runs it on
// its own thread).
static constexpr double kTileBudgetMs = 40;
static constexpr size_t kUndoDepth = 32;
static constexpr size_t kUndoFloats = size_t(12) << 20;  // 48 MiB: four 1024×1024 color photos

void set_message(AppState& s, const std::string& text, bool is_error) {
  s.message = text;
  s.message_is_error = is_error;
}

bool uses_large_view(const AppState& s) {
  return s.kind == ImageKind::Photo;
}

// Drawing pushes many small images, uploads a few large ones: both the count and the memory are bounded.
void push_undo(AppState& s) {
  s.undo.emplace_back(s.clean, s.kind);
  size_t floats = 0;
  for (const auto& entry : s.undo) floats += entry.first.size();
  while (s.undo.size() > 1 && (s.undo.size() > kUndoDepth || floats > kUndoFloats)) {
    floats -= s.undo.front().first.size();
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
}

void clear_image(AppState& s, int w, int h) {
  set_clean_image(s, Image(w, h, 1, 0.0f), "blank", ImageKind::Small);
}

// One soft round dab: full strength inside the radius, fading over the last pixel so strokes are antialiased.
static void dab(AppState& s, float cx, float cy, float radius, float strength) {
  Image& target = s.tool == Tool::NoiseBrush ? s.noise_mask : s.clean;
  const int x0 = std::max(0, static_cast<int>(std::floor(cx - radius - 1)));
  const int x1 = std::min(target.w - 1, static_cast<int>(std::ceil(cx + radius + 1)));
  const int y0 = std::max(0, static_cast<int>(std::floor(cy - radius - 1)));
  const int y1 = std::min(target.h - 1, static_cast<int>(std::ceil(cy + radius + 1)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
      const float cover = std::clamp(radius + 0.5f - d, 0.0f, 1.0f) * strength;
      if (cover <= 0) continue;
      // The pen paints white and the eraser black in every channel.
      for (int k = 0; k < target.c; ++k) {
        float& v = target.channel(k)[static_cast<size_t>(y) * target.w + x];
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

// The shared noise code on the whole image (the camera kinds work on neighbours and colours together); the noise
// brush's mask applies to every channel.
static void add_noise(AppState& s) {
  s.noisy = Image(s.clean.w, s.clean.h, s.clean.c, 0.0f);
  dae::Rng rng(s.seed);
  if (s.noise_everywhere)
    dae::add_noise_image(s.clean.px.data(), s.noisy.px.data(), s.clean.c, s.clean.h, s.clean.w, s.noise, rng);
  else
    dae::add_noise_image_masked(s.clean.px.data(), s.noise_mask.px.data(), s.noisy.px.data(), s.clean.c, s.clean.h,
                                s.clean.w, s.noise, rng);
  // PSNR over every value of every channel; SSIM per channel, averaged. The denoised image's follow with it.
  s.psnr_noisy = dae::psnr_db(s.noisy.px.data(), s.clean.px.data(), s.clean.size());
  s.ssim_noisy = dae::ssim_channels(s.noisy.px.data(), s.clean.px.data(), s.clean.c, s.clean.h, s.clean.w);
  ++s.ort_generation;
}

// Whichever backend is chosen provides the shown result; the engine's stays as the reference for the difference.
// notify: the result is for the current settings (not a stroke's result overtaken by the next stroke).
static void refresh_outputs(AppState& s, bool notify = true) {
  const bool use_ort = s.backend != Backend::Engine && !s.ort_out.empty() && s.ort_out.same_shape(s.noisy);
  s.denoised = use_ort ? s.ort_out : s.engine_out;
  if (s.denoised.empty() || !s.denoised.same_shape(s.clean)) return;
  const size_t n = s.clean.size();
  s.psnr_denoised = dae::psnr_db(s.denoised.px.data(), s.clean.px.data(), n);
  s.ssim_denoised = dae::ssim_channels(s.denoised.px.data(), s.clean.px.data(), s.clean.c, s.clean.h, s.clean.w);
  // ONNX Runtime runs the model once: beside the engine's ensemble the difference would measure the ensemble.
  s.max_abs_diff = -1;
  if (engine_ensemble(s) == 1 && !s.ort_out.empty() && s.ort_out.same_shape(s.engine_out)) {
    float m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(s.ort_out.px[i] - s.engine_out.px[i]));
    s.max_abs_diff = m;
  }
  upload_image(s.textures, &s.textures.denoised, s.denoised.px.data(), s.denoised.w, s.denoised.h, s.denoised.c);
  upload_difference(s.textures, &s.textures.difference, s.denoised.px.data(), s.clean.px.data(), s.clean.w, s.clean.h,
                    s.clean.c);
  if (!notify) return;
  ++s.denoise_count;
  host_notify_denoised(s);
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
  s.engine_ms = r->compute_ms;
  s.engine_out = std::move(r->out);
  refresh_outputs(s, r->current);
}

void update_pipeline(AppState& s) {
  if (s.clean.empty()) return;
  // First what the job thread finished since the last frame, before a new job would overtake it.
  take_engine_result(s);
  if (s.need_noise) {
    // The kind of noise may call for another model (a camera's noise goes to the camera model).
    if (s.kind == ImageKind::Photo) pick_model_for_image(s);
    add_noise(s);
    upload_image(s.textures, &s.textures.clean, s.clean.px.data(), s.clean.w, s.clean.h, s.clean.c);
    upload_image(s.textures, &s.textures.noisy, s.noisy.px.data(), s.noisy.w, s.noisy.h, s.noisy.c);
    s.need_noise = false;
    s.need_denoise = true;
  }
  if (s.need_denoise) {
    if (s.model && s.model_loading.empty()) {
      s.need_denoise = false;
      if (s.backend != Backend::Engine) host_request_ort(s);
      // Cancels the job in progress: its result would be stale.
      s.denoiser.submit(s.model, s.noisy, engine_ensemble(s));
    } else {
      // While the model this image calls for downloads, the old one would only do work that is thrown away.
      s.denoiser.cancel();
    }
  }
  s.denoiser.step(kTileBudgetMs);
  take_engine_result(s);
}

void accept_ort_output(AppState& s, const float* px, int n, int c, int h, int w, double ms, int generation) {
  s.ort_pending = false;
  if (generation != s.ort_generation || s.ort_model != s.model_name || !s.model) {
    // The image or the model changed while ONNX Runtime was busy: ask again for the current one.
    if (s.backend != Backend::Engine && s.model) host_request_ort(s);
    return;
  }
  if (h != s.ort_h || w != s.ort_w) {
    s.ort_status = "ONNX Runtime returned " + std::to_string(w) + "x" + std::to_string(h) + " for a " +
                   std::to_string(s.ort_w) + "x" + std::to_string(s.ort_h) + " input";
    return;
  }
  dae::Tensor out(n, c, h, w);
  std::copy_n(px, out.size(), out.data.begin());
  dae::Result<dae::Tensor> image =
      dae::image_from_output(dae::finish_output(std::move(out), s.noisy.h, s.noisy.w), s.noisy.c);
  if (!image.ok() || image->n != 1) {
    s.ort_status = image.ok() ? "ONNX Runtime returned " + std::to_string(n) + " images for one" : image.error();
    return;
  }
  s.ort_ms = ms;
  s.ort_out = tensor_image(*image);
  if (!s.denoiser.busy()) refresh_outputs(s);
}
