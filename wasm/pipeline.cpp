// The app's data flow: model loading, drawing, noise, denoising (whole or tile by tile), metrics and textures.
// Every number shown comes from the shared engine, noise and metrics code.
#include <emscripten.h>

#include <algorithm>
#include <cmath>

#include "app_state.h"
#include "dae/metrics.h"

const char* const kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Images with more pixels than this are denoised in tiles across frames so drawing never stalls.
static constexpr int kWholeImagePixels = 160 * 160;
static constexpr int kTile = 128;            // core tile side
static constexpr int kTileHalo = 24;         // context around each tile, wider than the models' receptive field
static constexpr double kTileBudgetMs = 40;  // work per frame before yielding to the browser
static constexpr size_t kUndoDepth = 32;

void set_message(AppState& s, const std::string& text, bool is_error) {
  s.message = text;
  s.message_is_error = is_error;
}

bool is_full_resolution(const AppState& s) {
  return s.clean.w != 28 || s.clean.h != 28;
}

bool load_model(AppState& s, const uint8_t* bytes, size_t size, const std::string& name) {
  dae::Result<dae::Model> m = dae::Model::from_safetensors(bytes, size);
  if (!m.ok()) {
    // Keep whatever model was working: a bad file must never leave the page without a denoiser.
    set_message(s, "Could not load model '" + name + "': " + m.error() + (s.model ? " (kept the previous model)" : ""),
                true);
    return false;
  }
  s.model = std::move(*m);
  s.model_name = name;
  s.ort_out = {};
  s.max_abs_diff = -1;
  s.need_denoise = true;
  s.job.active = false;
  set_message(s, "Loaded model '" + name + "' (" + std::to_string(s.model->param_count()) + " parameters)", false);
  return true;
}

void push_undo(AppState& s) {
  if (s.undo.size() >= kUndoDepth) s.undo.erase(s.undo.begin());
  s.undo.push_back(s.clean);
}

void pop_undo(AppState& s) {
  if (s.undo.empty()) return;
  s.clean = std::move(s.undo.back());
  s.undo.pop_back();
  if (s.noise_mask.w != s.clean.w || s.noise_mask.h != s.clean.h)
    s.noise_mask = {s.clean.w, s.clean.h, std::vector<float>(s.clean.size(), 0.0f)};
  s.need_noise = true;
}

void set_clean_image(AppState& s, GrayImage image, const std::string& source) {
  if (!s.clean.empty()) push_undo(s);
  s.clean = std::move(image);
  s.noise_mask = {s.clean.w, s.clean.h, std::vector<float>(s.clean.size(), 0.0f)};
  s.image_source = source;
  s.zoom = 1.0f;
  s.pan_x = s.pan_y = 0.5f;
  s.job.active = false;
  s.need_noise = true;
}

void clear_image(AppState& s, int w, int h) {
  set_clean_image(s, {w, h, std::vector<float>(static_cast<size_t>(w) * h, 0.0f)}, "blank");
}

// One soft round dab: full strength inside the radius, fading over the last pixel so strokes are antialiased.
static void dab(AppState& s, float cx, float cy, float radius, float strength) {
  GrayImage& target = s.tool == Tool::NoiseBrush ? s.noise_mask : s.clean;
  const int x0 = std::max(0, static_cast<int>(std::floor(cx - radius - 1)));
  const int x1 = std::min(target.w - 1, static_cast<int>(std::ceil(cx + radius + 1)));
  const int y0 = std::max(0, static_cast<int>(std::floor(cy - radius - 1)));
  const int y1 = std::min(target.h - 1, static_cast<int>(std::ceil(cy + radius + 1)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
      const float cover = std::clamp(radius + 0.5f - d, 0.0f, 1.0f) * strength;
      if (cover <= 0) continue;
      float& v = target.px[static_cast<size_t>(y) * target.w + x];
      v = s.tool == Tool::Eraser ? std::min(v, 1.0f - cover) : std::max(v, cover);
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

static void add_noise(AppState& s) {
  s.noisy = {s.clean.w, s.clean.h, std::vector<float>(s.clean.size())};
  dae::Rng rng(s.seed);
  if (s.noise_everywhere)
    dae::add_noise(s.clean.px.data(), s.noisy.px.data(), s.clean.size(), s.noise, rng);
  else
    dae::add_noise_masked(s.clean.px.data(), s.noise_mask.px.data(), s.noisy.px.data(), s.clean.size(), s.noise, rng);
  ++s.ort_generation;
}

// Whichever backend is chosen provides the shown result; the engine's stays as the reference for the difference.
static void refresh_outputs(AppState& s) {
  const bool use_ort =
      s.backend != Backend::Engine && s.ort_out.w == s.noisy.w && s.ort_out.h == s.noisy.h && !s.ort_out.empty();
  s.denoised = use_ort ? s.ort_out : s.engine_out;
  if (s.denoised.empty() || s.denoised.size() != s.clean.size()) return;
  const size_t n = s.clean.size();
  s.psnr_noisy = dae::psnr_db(s.noisy.px.data(), s.clean.px.data(), n);
  s.psnr_denoised = dae::psnr_db(s.denoised.px.data(), s.clean.px.data(), n);
  s.ssim_noisy = dae::ssim(s.noisy.px.data(), s.clean.px.data(), s.clean.h, s.clean.w);
  s.ssim_denoised = dae::ssim(s.denoised.px.data(), s.clean.px.data(), s.clean.h, s.clean.w);
  if (!s.ort_out.empty() && s.ort_out.size() == s.engine_out.size()) {
    float m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(s.ort_out.px[i] - s.engine_out.px[i]));
    s.max_abs_diff = m;
  }
  upload_gray(s.textures, &s.textures.denoised, s.denoised.px.data(), s.denoised.w, s.denoised.h);
  upload_difference(s.textures, &s.textures.difference, s.denoised.px.data(), s.clean.px.data(), s.clean.w, s.clean.h);
  ++s.denoise_count;
  host_notify_denoised(s);
}

static bool denoise_region(AppState& s, int x0, int y0, int w, int h, dae::Tensor& out) {
  dae::Tensor in(1, 1, h, w);
  for (int y = 0; y < h; ++y)
    std::copy_n(&s.noisy.px[static_cast<size_t>(y0 + y) * s.noisy.w + x0], w, in.at(0, 0) + static_cast<size_t>(y) * w);
  dae::Result<dae::Tensor> r = dae::denoise(*s.model, in);
  if (!r.ok()) {
    set_message(s, "Denoising failed: " + r.error(), true);
    return false;
  }
  out = std::move(*r);
  return true;
}

// Runs tiles until the frame's budget is spent; finishes the job when the last tile is done.
static void step_tile_job(AppState& s, double now_ms) {
  TileJob& j = s.job;
  const double start = emscripten_get_now();
  while (j.next_tile < j.tiles_x * j.tiles_y && emscripten_get_now() - start < kTileBudgetMs) {
    const int tx = j.next_tile % j.tiles_x, ty = j.next_tile / j.tiles_x;
    const int cx0 = tx * kTile, cy0 = ty * kTile;
    const int cx1 = std::min(s.noisy.w, cx0 + kTile), cy1 = std::min(s.noisy.h, cy0 + kTile);
    const int x0 = std::max(0, cx0 - kTileHalo), y0 = std::max(0, cy0 - kTileHalo);
    const int x1 = std::min(s.noisy.w, cx1 + kTileHalo), y1 = std::min(s.noisy.h, cy1 + kTileHalo);
    dae::Tensor out;
    if (!denoise_region(s, x0, y0, x1 - x0, y1 - y0, out)) {
      j.active = false;
      return;
    }
    for (int y = cy0; y < cy1; ++y)
      std::copy_n(out.at(0, 0) + static_cast<size_t>(y - y0) * out.w + (cx0 - x0), cx1 - cx0,
                  &j.out.px[static_cast<size_t>(y) * j.out.w + cx0]);
    ++j.next_tile;
  }
  if (j.next_tile == j.tiles_x * j.tiles_y) {
    j.active = false;
    s.engine_ms = now_ms - j.started_ms;
    s.engine_out = std::move(j.out);
    refresh_outputs(s);
  }
}

void update_pipeline(AppState& s, double now_ms) {
  if (s.clean.empty()) return;
  if (s.need_noise) {
    add_noise(s);
    upload_gray(s.textures, &s.textures.clean, s.clean.px.data(), s.clean.w, s.clean.h);
    upload_gray(s.textures, &s.textures.noisy, s.noisy.px.data(), s.noisy.w, s.noisy.h);
    s.need_noise = false;
    s.need_denoise = true;
  }
  if (s.need_denoise && s.model) {
    s.need_denoise = false;
    if (s.backend != Backend::Engine) host_request_ort(s);
    if (static_cast<int>(s.noisy.size()) <= kWholeImagePixels) {
      s.job.active = false;
      const double t0 = emscripten_get_now();
      dae::Tensor out;
      if (denoise_region(s, 0, 0, s.noisy.w, s.noisy.h, out)) {
        s.engine_ms = emscripten_get_now() - t0;
        s.engine_out = {out.w, out.h, std::move(out.data)};
        refresh_outputs(s);
      }
    } else {
      s.job = {};
      s.job.active = true;
      s.job.tiles_x = (s.noisy.w + kTile - 1) / kTile;
      s.job.tiles_y = (s.noisy.h + kTile - 1) / kTile;
      s.job.started_ms = now_ms;
      s.job.out = {s.noisy.w, s.noisy.h, std::vector<float>(s.noisy.size(), 0.0f)};
    }
  }
  if (s.job.active) step_tile_job(s, now_ms);
}

void accept_ort_output(AppState& s, const float* px, int w, int h, double ms, int generation) {
  s.ort_pending = false;
  if (generation != s.ort_generation || w != s.noisy.w || h != s.noisy.h) {
    // The image changed while ONNX Runtime was busy: ask again for the current one.
    if (s.backend != Backend::Engine) host_request_ort(s);
    return;
  }
  s.ort_ms = ms;
  s.ort_out = {w, h, std::vector<float>(px, px + static_cast<size_t>(w) * h)};
  for (float& v : s.ort_out.px) v = std::clamp(v, 0.0f, 1.0f);
  if (!s.job.active) refresh_outputs(s);
}
