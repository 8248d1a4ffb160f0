// The boundary with the page's JavaScript (web/app.js): C functions it calls, and the requests the app sends it.
#include "bindings.h"

#include <emscripten.h>

#include <cstdio>
#include <iterator>
#include <string_view>
#include <nlohmann/json.hpp>

#include "app_state.h"
#include "textures.h"

static AppState* g_state = nullptr;
static PointerInput g_pointer;

void bind_app_state(AppState* s) {
  g_state = s;
}
const PointerInput& pointer_input() {
  return g_pointer;
}
void pointer_frame_done() {
  if (!g_pointer.active) return;
  if (g_pointer.down) ++g_pointer.frames_down;
  if (g_pointer.release_pending && g_pointer.frames_down > 0) {
    g_pointer.down = false;
    g_pointer.release_pending = false;
  }
}

// Requests to the page. window.daeHost is defined by web/app.js before the app starts.
// clang-format off (these bodies are JavaScript)
EM_JS(void, js_request_model, (const char* name, const char* file, int request),
      { window.daeHost.requestModel(UTF8ToString(name), UTF8ToString(file), request); });
EM_JS(void, js_request_snapshots, (const char* file, int request),
      { window.daeHost.requestSnapshots(UTF8ToString(file), request); });
EM_JS(void, js_request_ort, (const float* px, int n, int c, int h, int w, int generation, int webgpu, const char* f), {
  const shape = [ n, c, h, w ];
  window.daeHost.runOrt(HEAPF32.slice(px >> 2, (px >> 2) + n * c * h * w), shape, generation, Boolean(webgpu),
                        UTF8ToString(f));
});
// Times the model on WebGPU for Auto: one warm-up run, then the timed one; the page answers dae_auto_measured.
EM_JS(void, js_time_webgpu, (const float* px, int n, int c, int h, int w, int token, const char* f), {
  window.daeHost.timeWebGpu(HEAPF32.slice(px >> 2, (px >> 2) + n * c * h * w), [ n, c, h, w ], token, UTF8ToString(f));
});
EM_JS(void, js_open_file, (), { window.daeHost.openFile(); });
// rgba: w·h·4 bytes the page copies out at once (the app frees them after the call).
EM_JS(void, js_save_image, (const uint8_t* rgba, int w, int h, const char* name, int jpeg_quality), {
  window.daeHost.saveImage(HEAPU8.slice(rgba, rgba + w * h * 4), w, h, UTF8ToString(name), jpeg_quality);
});
EM_JS(void, js_copy_png, (const uint8_t* rgba, int w, int h),
      { window.daeHost.copyPng(HEAPU8.slice(rgba, rgba + w * h * 4), w, h); });
EM_JS(void, js_denoised, (int count), { window.daeHost.denoised(count); });
// The engine's thread count the page chose for this build (web/boot.js: the cores it reports, capped).
EM_JS(int, js_engine_threads, (), { return Module.daeThreads || 1; });
// clang-format on

void host_request_model(const std::string& name, const std::string& file, int request) {
  js_request_model(name.c_str(), file.c_str(), request);
}

void host_request_snapshots(const std::string& file, int request) {
  js_request_snapshots(file.c_str(), request);
}

// Images up to this many pixels go to ONNX Runtime whole; larger ones in tiles of this side (with the model's
// context around each, so the result is the whole image's).
static constexpr size_t kOrtWholePixels = size_t(1) << 20;
static constexpr int kOrtTile = 512;

// The model input for `region` of the noisy image: the same channel arrangement, context and padding the engine's
// tile gets, so both backends see the same tensor.
static dae::Result<dae::Tensor> ort_tile_input(const AppState& s, const dae::TileRect& region,
                                               const dae::ChannelOptions& options) {
  return dae::tile_model_input(s.model->arch(),
                               region_tensor(s.noisy, region.x0, region.y0, region.w(), region.h()), options, region);
}

// Sends tile s.ort_tile of the run in progress.
void host_request_ort_tile(AppState& s) {
  const ModelInfo* info = s.manifest.find(s.ort_model);
  dae::Result<dae::Tensor> in = ort_tile_input(s, s.ort_grid.region(s.ort_tile), s.ort_options);
  if (!info || !in.ok()) {
    s.ort_pending = false;
    s.ort_status = info ? in.error() : "this model has no ONNX file";
    return;
  }
  s.ort_h = in->h, s.ort_w = in->w;
  js_request_ort(in->data.data(), in->n, in->c, in->h, in->w, s.ort_run_generation,
                 backend_in_use(s) == Backend::OrtWebGpu, info->onnx.c_str());
}

static dae::TileGrid ort_tile_grid(const AppState& s) {
  return dae::tile_grid(s.model->arch(), s.noisy.h, s.noisy.w, s.noisy.plane() <= kOrtWholePixels ? 0 : kOrtTile);
}

Backend backend_in_use(const AppState& s) {
  return s.backend == Backend::Auto ? s.auto_backend.chosen : s.backend;
}

static void choose_auto(AppState& s, const std::string& key, Backend chosen, const std::string& reason) {
  AppState::AutoChoice& a = s.auto_backend;
  const Backend before = backend_in_use(s);
  a.key = key, a.chosen = chosen, a.reason = reason, a.measuring = false;
  if (backend_in_use(s) == before) return;
  // WebGPU won: its run of the whole image starts now (the engine's result stays as the reference); the engine won
  // back: its result is shown.
  if (chosen == Backend::Engine) s.need_denoise = true;
  else host_request_ort(s);
}

void update_auto_backend(AppState& s) {
  AppState::AutoChoice& a = s.auto_backend;
  if (s.backend != Backend::Auto || !s.model || !s.model_loading.empty() || s.noisy.empty() || a.measuring) return;
  const dae::TileGrid grid = ort_tile_grid(s);
  const dae::TileRect region = grid.region(0), core = grid.core(0);
  // (An adapter the page finds later calls for a measurement.)
  const std::string key = s.model_name + " " + std::to_string(region.w()) + "x" + std::to_string(region.h()) +
                          (s.webgpu_available ? "" : " without WebGPU");
  if (a.key == key) return;
  if (!s.webgpu_available) return choose_auto(s, key, Backend::Engine, "this browser offers no WebGPU adapter");
  const ModelInfo* info = s.manifest.find(s.model_name);
  if (!info || info->onnx.empty()) return choose_auto(s, key, Backend::Engine, "this model has no ONNX file");
  // The engine's time on this image, from its own run (it always runs): wait for one that is of this image.
  if (s.denoiser.busy() || s.need_denoise || s.engine_ms <= 0 || !s.engine_out.same_shape(s.noisy)) return;
  dae::Result<dae::Tensor> in = ort_tile_input(s, region, channel_options(s.noisy, s.model->arch().channels));
  if (!in.ok()) return choose_auto(s, key, Backend::Engine, in.error());
  a.measuring = true;
  a.key = key;
  a.engine_ms_per_mp = s.engine_ms / engine_ensemble(s) / (static_cast<double>(s.noisy.plane()) * 1e-6);
  a.webgpu_ms_per_mp = -1;
  a.tile_mp = static_cast<double>(core.w()) * core.h() * 1e-6;
  js_time_webgpu(in->data.data(), in->n, in->c, in->h, in->w, ++a.token, info->onnx.c_str());
}

void accept_auto_measurement(AppState& s, int token, double ms, const std::string& error) {
  AppState::AutoChoice& a = s.auto_backend;
  if (!a.measuring || token != a.token) return;
  const std::string key = a.key;
  if (s.backend != Backend::Auto) {
    a.key.clear(), a.measuring = false;
    return;
  }
  if (ms < 0) return choose_auto(s, key, Backend::Engine, "WebGPU failed: " + error);
  a.webgpu_ms_per_mp = ms / a.tile_mp;
  char text[160];
  const bool gpu = a.webgpu_ms_per_mp < a.engine_ms_per_mp;
  std::snprintf(text, sizeof text, "WebGPU %.0f ms per megapixel, the engine %.0f: %s is %.1fx faster",
                a.webgpu_ms_per_mp, a.engine_ms_per_mp, gpu ? "WebGPU" : "the engine",
                gpu ? a.engine_ms_per_mp / a.webgpu_ms_per_mp : a.webgpu_ms_per_mp / a.engine_ms_per_mp);
  choose_auto(s, key, gpu ? Backend::OrtWebGpu : Backend::Engine, text);
}

void host_request_ort(AppState& s) {
  const ModelInfo* info = s.manifest.find(s.model_name);
  if (!info || info->onnx.empty()) {
    s.ort_status = "this model has no ONNX file";
    return;
  }
  if (s.ort_pending || s.noisy.empty() || !s.model) return;
  s.ort_pending = true;
  s.ort_model = s.model_name;
  s.ort_grid = ort_tile_grid(s);
  s.ort_options = channel_options(s.noisy, s.model->arch().channels);
  s.ort_tile = 0;
  s.ort_run_ms = 0;
  s.ort_run_generation = s.ort_generation;
  s.ort_send_tile = false;
  // The result of the image before is not this one's; a tiled run fills its own buffer.
  s.ort_out = {};
  s.ort_partial = s.ort_grid.count() > 1 ? Image(s.noisy.w, s.noisy.h, s.noisy.c, 0.0f) : Image();
  host_request_ort_tile(s);
}

void host_open_file() {
  js_open_file();
}
// The image as 8-bit RGBA in a buffer of its own, or an empty one (and a message) when the heap cannot hold it.
static std::vector<uint8_t> rgba_bytes(const Image& image) {
  std::vector<uint8_t> rgba;
  const size_t bytes = image.plane() * 4;
  if (!heap_can_take(bytes)) {
    set_message(*g_state, "Not enough memory left to save a " + std::to_string(image.w) + "x" + std::to_string(image.h) +
                              " image", true);
    return rgba;
  }
  rgba.resize(bytes);
  rgba_rows(image.data(), image.w, image.h, image.c, 0, image.h, rgba.data());
  return rgba;
}

void host_save_image(const Image& image, const std::string& name, int jpeg_quality) {
  if (image.empty()) return;
  const std::vector<uint8_t> rgba = rgba_bytes(image);
  if (!rgba.empty()) js_save_image(rgba.data(), image.w, image.h, name.c_str(), jpeg_quality);
}
void host_copy_png(const Image& image) {
  if (image.empty()) return;
  const std::vector<uint8_t> rgba = rgba_bytes(image);
  if (!rgba.empty()) js_copy_png(rgba.data(), image.w, image.h);
}
void host_notify_denoised(const AppState& s) {
  js_denoised(s.denoise_count);
}
int host_engine_threads() {
  return js_engine_threads();
}

// The sample a first visit opens on: a T-shirt, the first test image, recognisable at a glance even when noisy.
static constexpr int kStartSample = 0;

static std::string g_json;  // keeps dae_state_json's result alive until the next call

extern "C" {

// request: the id host_request_model sent, or 0 for a file handed over directly. 1 loaded, 0 refused (message set),
// 2 dropped because a later request replaced it.
EMSCRIPTEN_KEEPALIVE int dae_load_model(const uint8_t* bytes, int size, const char* name, int request) {
  if (request != 0 && request != g_state->model_request) return 2;
  if (!bytes || size < 0) {  // a negative size would read as about 4 GB
    set_message(*g_state, std::string("Could not load model '") + (name ? name : "") + "': no bytes were handed over",
                true);
    return 0;
  }
  return load_model(*g_state, bytes, static_cast<size_t>(size), name, request) ? 1 : 0;
}

EMSCRIPTEN_KEEPALIVE void dae_model_progress(int request, float fraction) {
  if (request == g_state->model_request) g_state->model_progress = fraction;
}

EMSCRIPTEN_KEEPALIVE void dae_model_failed(int request, const char* text) {
  model_download_failed(*g_state, request, text);
}

// The person (or a script) picks a listed model: 0 not in the list, 1 requested (its download follows),
// 2 already in use.
EMSCRIPTEN_KEEPALIVE int dae_choose_model(const char* name) {
  AppState& s = *g_state;
  if (!choose_model(s, name)) {
    set_message(s, std::string("No model named '") + name + "' in models.json", true);
    return 0;
  }
  return s.model_loading.empty() ? 2 : 1;
}

// The page hands over models/models.json as fetched; this is the only place it is checked. 1 accepted, 0 refused.
EMSCRIPTEN_KEEPALIVE int dae_set_manifest(const char* json) {
  dae::Result<Manifest> m = parse_manifest(json);
  if (!m.ok()) {
    set_message(*g_state, "Could not read the model list: " + m.error(), true);
    return 0;
  }
  g_state->manifest = std::move(*m);
  pick_model_for_image(*g_state);
  return 1;
}

// One label byte per image, then 28×28 bytes per image (web/tools/make-samples.mjs): the count is what
// the size holds.
EMSCRIPTEN_KEEPALIVE void dae_set_samples(const uint8_t* bytes, int size) {
  AppState& s = *g_state;
  const int count = size / (1 + dae::fashion_mnist::kPixels);
  if (count <= 0 || size != int64_t(count) * (1 + dae::fashion_mnist::kPixels)) {
    set_message(s, "The samples file has an unexpected size", true);
    return;
  }
  s.samples.clear();
  for (int i = 0; i < count; ++i) {
    Sample sample;
    sample.label = bytes[i] % 10;
    const uint8_t* px = bytes + count + static_cast<size_t>(i) * dae::fashion_mnist::kPixels;
    sample.px.resize(dae::fashion_mnist::kPixels);
    for (int k = 0; k < dae::fashion_mnist::kPixels; ++k) sample.px[k] = px[k] / 255.0f;
    s.samples.push_back(std::move(sample));
  }
  std::vector<const float*> images;
  for (const Sample& sample : s.samples) images.push_back(sample.px.data());
  upload_atlas(s.textures, &s.textures.samples, images, 10);
  // A first visit opens on a sample, so the first thing on screen shows what the app does; an image the person
  // already drew or loaded while the samples were on their way stays.
  if (s.image_source == "blank" && s.undo.empty()) {
    load_sample(s, kStartSample);
    s.undo.clear();
  }
}

EMSCRIPTEN_KEEPALIVE void dae_load_sample(int index) {
  load_sample(*g_state, index);
}

// Whether an image of this shape is one the app takes; if not, says why in the status line.
static bool image_shape_ok(AppState& s, int w, int h, int c, bool full_resolution) {
  if (w < 1 || h < 1 || w > dae::kMaxImageSide || h > dae::kMaxImageSide || (c != 1 && c != 3)) {
    set_message(s, "An image must have 1 or 3 channels and sides in [1, " + std::to_string(dae::kMaxImageSide) + "]",
                true);
    return false;
  }
  if (full_resolution && int64_t(w) * h > int64_t(kMaxPhotoMegapixels) * 1000000) {
    set_message(s, "A " + std::to_string(w) + "x" + std::to_string(h) + " image is over the limit of " +
                       std::to_string(kMaxPhotoMegapixels) + " megapixels at full resolution", true);
    return false;
  }
  return true;
}

static void take_image(AppState& s, Image image, bool full_resolution, const char* source, const char* name) {
  s.upload_mode = full_resolution ? UploadMode::FullResolution : UploadMode::FashionMnist;
  set_clean_image(s, std::move(image), source, full_resolution ? ImageKind::Photo : ImageKind::Small);
  s.image_name = name ? name : "";
}

// px: c planes (1 gray or 3 RGB) of w×h values in [0, 1]. 0 if the shape is not one the app takes.
EMSCRIPTEN_KEEPALIVE int dae_set_image(const float* px, int w, int h, int c, int full_resolution, const char* source) {
  AppState& s = *g_state;
  if (!image_shape_ok(s, w, h, c, full_resolution != 0)) return 0;
  take_image(s, Image(w, h, c, std::vector<float>(px, px + static_cast<size_t>(w) * h * c)), full_resolution != 0,
             source, "");
  return 1;
}

// rgba: w×h pixels of 8-bit R, G, B, A as a canvas gives them, any transparency already blended in (web/image-input.js);
// c 3 takes R, G and B, c 1 takes R (a gray image: R = G = B). A quarter of the float image's bytes cross over.
// name: the file's name without its extension, for the saved result's name. 0 if the shape is not one the app takes.
EMSCRIPTEN_KEEPALIVE int dae_set_image_rgba(const uint8_t* rgba, int w, int h, int c, int full_resolution,
                                            const char* source, const char* name) {
  AppState& s = *g_state;
  if (!image_shape_ok(s, w, h, c, full_resolution != 0)) return 0;
  const size_t n = static_cast<size_t>(w) * h;
  if (!heap_can_take(n * c * sizeof(float))) {
    set_message(s, "Not enough memory left for a " + std::to_string(w) + "x" + std::to_string(h) + " image", true);
    return 0;
  }
  std::vector<float> px(n * c);
  for (int k = 0; k < c; ++k)
    for (size_t i = 0; i < n; ++i) px[k * n + i] = rgba[i * 4 + k] / 255.0f;
  take_image(s, Image(w, h, c, std::move(px)), full_resolution != 0, source, name);
  return 1;
}

EMSCRIPTEN_KEEPALIVE void dae_set_message(const char* text, int is_error) {
  set_message(*g_state, text, is_error != 0);
}

// kind: a name dae::parse_noise_kind takes, or empty to keep the current one; amount < 0 and seed <= 0 keep theirs.
// 0 (and nothing changed) for an unknown kind.
EMSCRIPTEN_KEEPALIVE int dae_set_noise(const char* kind, float amount, int seed) {
  AppState& s = *g_state;
  if (kind && *kind) {
    dae::Result<dae::NoiseKind> k = dae::parse_noise_kind(kind);
    if (!k.ok()) return 0;
    s.noise.kind = *k;
  }
  if (amount >= 0) s.noise.amount = amount;
  if (seed > 0) s.seed = static_cast<uint32_t>(seed);
  s.need_noise = true;
  return 1;
}

// 1..100, for camera-jpeg noise; 0 (and nothing changed) otherwise.
EMSCRIPTEN_KEEPALIVE int dae_set_jpeg_quality(int quality) {
  if (quality < 1 || quality > 100) return 0;
  g_state->noise.jpeg_quality = quality;
  g_state->need_noise = true;
  return 1;
}

// name: one of EnumNames<Backend>. 0 (and nothing changed) for another name.
EMSCRIPTEN_KEEPALIVE int dae_set_backend(const char* name) {
  if (!enum_from_name(name, g_state->backend)) return 0;
  g_state->need_denoise = true;
  return 1;
}

// Switches the engine's self-ensemble; returns the symmetries it uses with the current model (1: none allowed).
EMSCRIPTEN_KEEPALIVE int dae_set_ensemble(int on) {
  g_state->ensemble = on != 0;
  g_state->need_denoise = true;
  return engine_ensemble(*g_state);
}

EMSCRIPTEN_KEEPALIVE void dae_ort_status(int available, int webgpu, const char* text) {
  g_state->ort_available = available != 0;
  g_state->webgpu_available = webgpu != 0;
  g_state->ort_status = text;
}

// px holds n·c·h·w floats copied from ONNX Runtime's output; a shape no image of the app can have is refused before
// anything is read (at most 3 planes of the largest side).
EMSCRIPTEN_KEEPALIVE void dae_ort_result(const float* px, int n, int c, int h, int w, double ms, int generation) {
  if (!px || n < 1 || c < 1 || int64_t(n) * c > 3 || h < 1 || w < 1 || h > dae::kMaxImageSide ||
      w > dae::kMaxImageSide) {
    AppState& s = *g_state;
    s.ort_pending = false;
    s.ort_status = "ONNX Runtime returned a tensor of shape [" + std::to_string(n) + ", " + std::to_string(c) + ", " +
                   std::to_string(h) + ", " + std::to_string(w) + "], which is no image of this app";
    return;
  }
  accept_ort_output(*g_state, px, n, c, h, w, ms, generation);
}

EMSCRIPTEN_KEEPALIVE void dae_ort_failed(const char* text) {
  AppState& s = *g_state;
  s.ort_pending = false;
  s.ort_partial = {};
  s.ort_status = text;
  if (s.backend == Backend::Auto) {
    // Auto stays chosen, on the engine for this model.
    s.auto_backend.chosen = Backend::Engine;
    s.auto_backend.reason = std::string("WebGPU failed: ") + text;
  } else {
    s.backend = Backend::Engine;
  }
  set_message(s, std::string("ONNX Runtime Web: ") + text + " (switched back to the engine)", true);
  s.need_denoise = true;
}

// Uses textures of at most `side` texels a side (a phone GPU's limit, to try or test it on a larger GPU; 0: the GPU's
// own) and uploads the images again under it.
EMSCRIPTEN_KEEPALIVE void dae_set_max_texture_side(int side) {
  AppState& s = *g_state;
  set_max_texture_side(s.textures, side);
  Textures& t = s.textures;
  if (!s.clean.empty()) upload_image(t, &t.clean, s.clean.data(), s.clean.w, s.clean.h, s.clean.c);
  if (!s.noisy.empty()) upload_image(t, &t.noisy, s.noisy.data(), s.noisy.w, s.noisy.h, s.noisy.c);
  if (!s.denoised.empty() && s.denoised.same_shape(s.clean)) {
    upload_image(t, &t.denoised, s.denoised.data(), s.denoised.w, s.denoised.h, s.denoised.c);
    upload_difference(t, &t.difference, s.denoised.data(), s.clean.data(), s.clean.w, s.clean.h, s.clean.c);
  }
}

// The full-resolution parts drawn in the last frame over scaled-down textures: which image, which pixels.
static nlohmann::json detail_state(const AppState& s) {
  nlohmann::json list = nlohmann::json::array();
  const Textures& t = s.textures;
  for (const DetailTexture& d : t.detail) {
    if (!d.drawn) continue;
    const char* image = d.source == t.clean      ? "clean"
                        : d.source == t.noisy    ? "noisy"
                        : d.source == t.denoised ? "denoised"
                                                 : "difference";
    list.push_back({{"image", image}, {"x0", d.x0}, {"y0", d.y0}, {"x1", d.x1}, {"y1", d.y1}});
  }
  return list;
}

// Auto's WebGPU timing (js_time_webgpu): ms of the timed run, or ms < 0 and why it failed.
EMSCRIPTEN_KEEPALIVE void dae_auto_measured(int token, double ms, const char* error) {
  accept_auto_measurement(*g_state, token, ms, error ? error : "");
}

// Touch and pen input arrive as pointer events (emscripten's GLFW ignores touch); main.cpp feeds them to ImGui.
EMSCRIPTEN_KEEPALIVE void dae_pointer(float x, float y, int down, float pressure) {
  if (!g_pointer.active || (down && !g_pointer.down)) g_pointer.frames_down = 0;
  g_pointer.active = true;
  g_pointer.x = x;
  g_pointer.y = y;
  // A quick tap can press and release between two frames: hold the press for one frame so ImGui sees it.
  if (!down && g_pointer.down && g_pointer.frames_down == 0)
    g_pointer.release_pending = true;
  else
    g_pointer.down = down != 0;
  g_pointer.pressure = pressure;
}
EMSCRIPTEN_KEEPALIVE void dae_pointer_end() {
  g_pointer.active = false;
}

// 0 clean, 1 noisy, 2 denoised (shown backend), 3 engine output, 4 ONNX Runtime output; nullptr when out of range.
// The images the page can read, by name: those of the state, and each backend's own output.
static const Image* image_by_name(std::string_view which) {
  const std::pair<const char*, const Image*> images[] = {{"clean", &g_state->clean},
                                                         {"noisy", &g_state->noisy},
                                                         {"denoised", &g_state->denoised},
                                                         {"engine", &g_state->engine_out},
                                                         {"ort", &g_state->ort_out},
                                                         {"walk", &g_state->walk.out}};
  for (const auto& [name, image] : images)
    if (which == name) return image;
  return nullptr;
}
// which: clean, noisy, denoised, engine or ort. Null (and zero sizes) for an empty image or another name.
EMSCRIPTEN_KEEPALIVE const float* dae_image_data(const char* which) {
  const Image* im = image_by_name(which);
  return im && !im->empty() ? im->data() : nullptr;
}
EMSCRIPTEN_KEEPALIVE int dae_image_width(const char* which) {
  const Image* im = image_by_name(which);
  return im ? im->w : 0;
}
EMSCRIPTEN_KEEPALIVE int dae_image_height(const char* which) {
  const Image* im = image_by_name(which);
  return im ? im->h : 0;
}
EMSCRIPTEN_KEEPALIVE int dae_image_channels(const char* which) {
  const Image* im = image_by_name(which);
  return im ? im->c : 0;
}

// A snapshot of what the app shows, for tests and the page: metrics, timings, settings, messages.
EMSCRIPTEN_KEEPALIVE const char* dae_state_json() {
  const AppState& s = *g_state;
  const DenoiseStats jobs = s.denoiser.stats();
  nlohmann::json j = {
      {"model", s.model ? s.model_name : ""},
      {"params", s.model ? s.model->param_count() : 0},
      {"modelChannels", s.model ? s.model->arch().channels : 0},
      {"modelReason", s.model_reason},
      {"modelLoading", s.model_loading},
      {"modelProgress", s.model_progress},
      {"width", s.clean.w},
      {"height", s.clean.h},
      {"channels", s.clean.c},
      {"kind", enum_name(s.kind)},
      {"layout", uses_large_view(s) ? "large" : "three"},
      {"compare", enum_name(s.compare)},
      {"splitAt", s.split},
      {"hideControls", s.hide_controls},
      {"source", s.image_source},
      {"noise", dae::noise_name(s.noise.kind)},
      {"amount", s.noise.amount},
      {"iso", dae::is_camera(s.noise.kind) ? dae::camera_iso(s.noise.amount) : 0.0f},
      {"jpegQuality", s.noise.jpeg_quality},
      {"photoMode", enum_name(s.photo_mode)},
      {"cleansAsIs", cleans_as_is(s)},
      {"strength", s.strength},
      {"sigmaNoisy", s.sigma_noisy},
      {"sigmaDenoised", s.sigma_denoised},
      {"maxPhotoPixels", int64_t(kMaxPhotoMegapixels) * 1000000},
      {"textureShrink", texture_shrink(s.textures, s.textures.clean)},
      {"textureMaxSide", texture_max_side(s.textures)},
      {"detail", detail_state(s)},
      {"partialTiles", s.partial.size()},
      {"cancelled", s.cancelled ? nlohmann::json{{"tilesDone", s.cancelled_done}, {"tiles", s.cancelled_tiles}}
                                : nlohmann::json(nullptr)},
      {"secondsLeft", seconds_left(s)},
      {"partialFirst", s.partial.empty() ? std::vector<int>{}
                                         : std::vector<int>{s.partial[0].x0, s.partial[0].y0, s.partial[0].x1,
                                                            s.partial[0].y1}},
      {"imageName", s.image_name},
      {"noiseNote", noise_note(s)},
      {"seed", s.seed},
      {"noiseEverywhere", s.noise_everywhere},
      {"tool", enum_name(s.tool)},
      {"brush", s.brush_radius},
      {"undoDepth", s.undo.size()},
      {"psnrNoisy", s.psnr_noisy},
      {"psnrDenoised", s.psnr_denoised},
      {"ssimNoisy", s.ssim_noisy},
      {"ssimDenoised", s.ssim_denoised},
      {"engineMs", s.engine_ms},
      {"ortMs", s.ort_ms},
      {"maxAbsDiff", s.max_abs_diff},
      {"backend", enum_name(s.backend)},
      {"backendInUse", enum_name(backend_in_use(s))},
      {"auto",
       {{"key", s.auto_backend.key},
        {"chosen", enum_name(s.auto_backend.chosen)},
        {"measuring", s.auto_backend.measuring},
        {"engineMsPerMp", s.auto_backend.engine_ms_per_mp},
        {"webgpuMsPerMp", s.auto_backend.webgpu_ms_per_mp},
        {"reason", s.auto_backend.reason}}},
      {"ensemble", engine_ensemble(s)},
      {"ensembleOn", s.ensemble},
      {"modelSymmetries", s.model ? dae::model_symmetries(*s.model) : 1},
      {"denoiseCount", s.denoise_count},
      {"busy", s.denoiser.busy() || s.need_denoise || s.need_noise || !s.model_loading.empty()},
      {"progress", s.denoiser.busy() && s.denoiser.tiles() > 0
                       ? static_cast<double>(s.denoiser.tiles_done()) / s.denoiser.tiles()
                       : 1.0},
      {"build", Denoiser::threaded() ? "threads" : "plain"},
      {"threads", s.denoiser.threads()},
      {"frames", s.frames},
      {"jobs",
       {{"submitted", jobs.submitted},
        {"finished", jobs.finished},
        {"cancelled", jobs.cancelled},
        {"lastCancelled",
         {{"id", jobs.last_cancelled}, {"tilesDone", jobs.last_cancelled_done}, {"tiles", jobs.last_cancelled_tiles}}},
        {"tilesDone", s.denoiser.tiles_done()},
        {"tiles", s.denoiser.tiles()}}},
      {"view", enum_name(s.view)},
      {"uploadMode", enum_name(s.upload_mode)},
      {"zoom", s.zoom},
      {"split", s.compare_split},
      {"message", s.message},
      {"messageIsError", s.message_is_error},
      {"showHelp", s.show_help},
      {"showExplain", s.show_explain},
      {"inspect", {s.inspect_x, s.inspect_y}},
      {"fps", s.fps},
      {"sizeMultiple", s.model ? s.model->arch().size_multiple : 1},
      {"webgpu", s.webgpu_available},
      {"ortStatus", s.ort_status},
      {"ortPending", s.ort_pending},
      {"ortTiles", s.ort_grid.count()},
      {"ortTilesDone", s.ort_pending ? s.ort_tile : s.ort_grid.count()},
  };
  if (s.walk.open)
    j["walk"] = {{"sample", s.walk.sample},
                 {"t", s.walk.t},
                 {"code", {s.walk.code_c, s.walk.code_h, s.walk.code_w}},
                 {"error", s.walk.error},
                 {"ready", !s.walk.out.empty() && s.walk.built_t == s.walk.t && s.walk.built_sample == s.walk.sample}};
  if (s.training.open) {
    const TrainingView& t = s.training;
    const ModelInfo* info = s.manifest.find(s.model_name);
    const bool loaded = t.history && t.model == s.model_name;
    nlohmann::json tv = {{"available", info && !info->snapshots_file.empty()},
                         {"file", info ? info->snapshots_file : std::string()},
                         {"bytes", info ? info->snapshots_bytes : 0},
                         {"loading", t.loading},
                         {"loaded", loaded},
                         {"inUse", training_step_in_use(s)},
                         {"error", t.error}};
    if (loaded) {
      nlohmann::json list = nlohmann::json::array();
      for (const dae::SnapshotInfo& e : t.history->info())
        list.push_back({{"step", e.step}, {"epoch", e.epoch}, {"trainLoss", e.train_loss}, {"valPsnr", e.val_psnr},
                        {"run", e.run}});
      tv["snapshots"] = list;
      tv["index"] = t.index;
    }
    j["training"] = tv;
  }
  if (s.layers.open) {
    nlohmann::json rows = nlohmann::json::array();
    for (const LayerRow& r : s.layers.rows)
      rows.push_back({{"name", r.name}, {"op", r.op}, {"c", r.c}, {"h", r.h}, {"w", r.w}, {"min", r.lo}, {"max", r.hi},
                      {"code", r.code}, {"joins", r.joins}});
    j["layers"] = {{"rows", rows},
                   {"region", s.layers.region},
                   {"inputNumbers", s.layers.input_numbers},
                   {"error", s.layers.error},
                   {"ms", s.layers.ms}};
  }
  // Pane rectangles in CSS pixels, the unit page.mouse and DOM events use.
  for (const float* r : s.pane_rects) j["panes"].push_back({r[0] / s.dpr, r[1] / s.dpr, r[2] / s.dpr, r[3] / s.dpr});
  g_json = j.dump();
  return g_json.c_str();
}

}  // extern "C"

// mode: fashion-mnist or full (state JSON's uploadMode). 0 (and nothing changed) for another name.
extern "C" EMSCRIPTEN_KEEPALIVE int dae_set_upload_mode(const char* mode) {
  return enum_from_name(mode, g_state->upload_mode) ? 1 : 0;
}

// Opens (1) or closes (0) "Inside the model"; while open, dae_state_json has its rows under "layers".
extern "C" EMSCRIPTEN_KEEPALIVE void dae_show_layers(int open) {
  g_state->layers.open = open != 0;
}

// "Walk the code": open (0/1), the sample at the other end, the mix t in [0, 1]. 0 (nothing changed) for a sample or
// t out of range.
extern "C" EMSCRIPTEN_KEEPALIVE int dae_walk(int open, int sample, float t) {
  if (sample < 0 || sample >= static_cast<int>(g_state->samples.size()) || !(t >= 0.0f && t <= 1.0f)) return 0;
  g_state->walk.open = open != 0;
  g_state->walk.sample = sample;
  g_state->walk.t = t;
  return 1;
}

// Cancels the job in progress as the Cancel button does (1), or 0 when nothing was running; dae_run_again (Enter)
// starts it again.
extern "C" EMSCRIPTEN_KEEPALIVE int dae_cancel() {
  return cancel_denoise(*g_state) ? 1 : 0;
}
extern "C" EMSCRIPTEN_KEEPALIVE void dae_run_again() {
  run_again(*g_state);
}

// Opens (1) or closes (0) "Watch it learn"; while open, dae_state_json has its state under "training".
extern "C" EMSCRIPTEN_KEEPALIVE void dae_show_training(int open) {
  if (g_state->training.open != (open != 0)) g_state->need_denoise = true;
  g_state->training.open = open != 0;
}

// Shows snapshot `index` of the training history (opening the panel and downloading the history if needed).
extern "C" EMSCRIPTEN_KEEPALIVE void dae_training_index(int index) {
  set_training_index(*g_state, index);
}

// The training history's bytes for `request` (js_request_snapshots); 1 when kept.
extern "C" EMSCRIPTEN_KEEPALIVE int dae_load_snapshots(const uint8_t* bytes, int size, int request) {
  if (!bytes || size < 0) {
    training_history_failed(*g_state, request, "The training history could not be read: no bytes were handed over");
    return 0;
  }
  return load_training_history(*g_state, bytes, static_cast<size_t>(size), request) ? 1 : 0;
}

extern "C" EMSCRIPTEN_KEEPALIVE void dae_snapshots_failed(int request, const char* text) {
  training_history_failed(*g_state, request, text ? text : "");
}

// Opens (1) or closes (0) "What am I looking at?".
extern "C" EMSCRIPTEN_KEEPALIVE void dae_show_explain(int open) {
  g_state->show_explain = open != 0;
}

// mode: demo or noisy-photo (state JSON's photoMode). 0 (and nothing changed) for another name.
extern "C" EMSCRIPTEN_KEEPALIVE int dae_set_photo_mode(const char* mode) {
  PhotoMode m;
  if (!enum_from_name(mode, m)) return 0;
  set_photo_mode(*g_state, m);
  return 1;
}

// A noisy photo's strength in [0, 1]; 0 (and nothing changed) outside it.
extern "C" EMSCRIPTEN_KEEPALIVE int dae_set_strength(float strength) {
  if (!(strength >= 0.0f && strength <= 1.0f)) return 0;
  set_strength(*g_state, strength);
  return 1;
}

static std::vector<uint8_t> g_rgba;  // dae_result_rgba's bytes until dae_release_rgba

// The shown result as 8-bit RGBA (the bytes a saved PNG holds), kept until dae_release_rgba; null when there is none
// yet or the heap cannot hold it (message set).
extern "C" EMSCRIPTEN_KEEPALIVE const uint8_t* dae_result_rgba() {
  g_rgba = rgba_bytes(g_state->denoised);
  return g_rgba.empty() ? nullptr : g_rgba.data();
}
extern "C" EMSCRIPTEN_KEEPALIVE void dae_release_rgba() {
  std::vector<uint8_t>().swap(g_rgba);
}

extern "C" EMSCRIPTEN_KEEPALIVE void dae_save(int jpeg_quality) {
  save_result(*g_state, jpeg_quality);
}

extern "C" EMSCRIPTEN_KEEPALIVE void dae_set_noise_everywhere(int everywhere) {
  g_state->noise_everywhere = everywhere != 0;
  g_state->need_noise = true;
}
