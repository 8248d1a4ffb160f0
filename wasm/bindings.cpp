// The boundary with the page's JavaScript (web/app.js): C functions it calls, and the requests the app sends it.
#include "bindings.h"

#include <emscripten.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "app_state.h"

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
EM_JS(void, js_request_model, (const char* name, const char* file),
      { window.daeHost.requestModel(UTF8ToString(name), UTF8ToString(file)); });
EM_JS(void, js_request_ort, (const float* px, int w, int h, int generation, int webgpu, const char* onnx), {
  window.daeHost.runOrt(HEAPF32.slice(px >> 2, (px >> 2) + w * h), w, h, generation, Boolean(webgpu),
                        UTF8ToString(onnx));
});
EM_JS(void, js_open_file, (), { window.daeHost.openFile(); });
EM_JS(void, js_save_png, (const float* px, int w, int h, const char* name),
      { window.daeHost.savePng(HEAPF32.slice(px >> 2, (px >> 2) + w * h), w, h, UTF8ToString(name)); });
EM_JS(void, js_denoised, (int count), { window.daeHost.denoised(count); });
// clang-format on

void host_request_model(const std::string& name, const std::string& file) {
  js_request_model(name.c_str(), file.c_str());
}

void host_request_ort(AppState& s) {
  const ModelInfo* info = s.manifest.find(s.model_name);
  if (!info || info->onnx.empty()) {
    s.ort_status = "this model has no ONNX file";
    return;
  }
  if (s.ort_pending || s.noisy.empty()) return;
  s.ort_pending = true;
  js_request_ort(s.noisy.px.data(), s.noisy.w, s.noisy.h, s.ort_generation, s.backend == Backend::OrtWebGpu,
                 info->onnx.c_str());
}

void host_open_file() {
  js_open_file();
}
void host_save_png(const GrayImage& image, const std::string& name) {
  if (!image.empty()) js_save_png(image.px.data(), image.w, image.h, name.c_str());
}
void host_notify_denoised(const AppState& s) {
  js_denoised(s.denoise_count);
}

static std::string g_json;  // keeps dae_state_json's result alive until the next call

extern "C" {

EMSCRIPTEN_KEEPALIVE int dae_load_model(const uint8_t* bytes, int size, const char* name) {
  return load_model(*g_state, bytes, static_cast<size_t>(size), name) ? 1 : 0;
}

EMSCRIPTEN_KEEPALIVE void dae_model_loading(const char* name) {
  g_state->model_loading = name;
}

EMSCRIPTEN_KEEPALIVE int dae_set_manifest(const char* json) {
  dae::Result<Manifest> m = parse_manifest(json);
  if (!m.ok()) {
    set_message(*g_state, m.error(), true);
    return 0;
  }
  g_state->manifest = std::move(*m);
  return 1;
}

// 100-byte-per-image label list followed by 28×28 bytes per image (web/samples/README in make-samples.mjs).
EMSCRIPTEN_KEEPALIVE void dae_set_samples(const uint8_t* bytes, int size, int count) {
  AppState& s = *g_state;
  if (count <= 0 || size != count * (1 + 784)) {
    set_message(s, "The samples file has an unexpected size", true);
    return;
  }
  s.samples.clear();
  for (int i = 0; i < count; ++i) {
    Sample sample;
    sample.label = bytes[i] % 10;
    const uint8_t* px = bytes + count + static_cast<size_t>(i) * 784;
    sample.px.resize(784);
    for (int k = 0; k < 784; ++k) sample.px[k] = px[k] / 255.0f;
    s.samples.push_back(std::move(sample));
  }
  std::vector<const float*> images;
  for (const Sample& sample : s.samples) images.push_back(sample.px.data());
  upload_atlas(s.textures, &s.textures.samples, images, 10);
}

EMSCRIPTEN_KEEPALIVE void dae_load_sample(int index) {
  AppState& s = *g_state;
  if (index < 0 || index >= static_cast<int>(s.samples.size())) return;
  s.sample_index = index;
  set_clean_image(s, {28, 28, s.samples[index].px},
                  std::string("sample ") + std::to_string(index) + " (" + kClassNames[s.samples[index].label] + ")");
}

EMSCRIPTEN_KEEPALIVE void dae_set_image(const float* px, int w, int h, int full_resolution, const char* source) {
  AppState& s = *g_state;
  s.upload_mode = full_resolution ? UploadMode::FullResolution : UploadMode::FashionMnist;
  set_clean_image(s, {w, h, std::vector<float>(px, px + static_cast<size_t>(w) * h)}, source);
}

EMSCRIPTEN_KEEPALIVE void dae_set_message(const char* text, int is_error) {
  set_message(*g_state, text, is_error != 0);
}

EMSCRIPTEN_KEEPALIVE void dae_set_noise(int kind, float amount, int seed) {
  AppState& s = *g_state;
  if (kind >= 0 && kind <= 3) s.noise.kind = static_cast<dae::NoiseKind>(kind);
  if (amount >= 0) s.noise.amount = amount;
  if (seed > 0) s.seed = static_cast<uint32_t>(seed);
  s.need_noise = true;
}

EMSCRIPTEN_KEEPALIVE void dae_set_backend(int backend) {
  AppState& s = *g_state;
  if (backend < 0 || backend > 2) return;
  s.backend = static_cast<Backend>(backend);
  s.need_denoise = true;
}

EMSCRIPTEN_KEEPALIVE void dae_ort_status(int available, int webgpu, const char* text) {
  g_state->ort_available = available != 0;
  g_state->webgpu_available = webgpu != 0;
  g_state->ort_status = text;
}

EMSCRIPTEN_KEEPALIVE void dae_ort_result(const float* px, int w, int h, double ms, int generation) {
  accept_ort_output(*g_state, px, w, h, ms, generation);
}

EMSCRIPTEN_KEEPALIVE void dae_ort_failed(const char* text) {
  AppState& s = *g_state;
  s.ort_pending = false;
  s.backend = Backend::Engine;
  s.ort_status = text;
  set_message(s, std::string("ONNX Runtime Web: ") + text + " (switched back to the engine)", true);
  s.need_denoise = true;
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

// 0 clean, 1 noisy, 2 denoised (shown backend), 3 engine output, 4 ONNX Runtime output.
EMSCRIPTEN_KEEPALIVE const float* dae_image_data(int which) {
  const GrayImage* images[] = {&g_state->clean, &g_state->noisy, &g_state->denoised, &g_state->engine_out,
                               &g_state->ort_out};
  return which >= 0 && which < 5 && !images[which]->empty() ? images[which]->px.data() : nullptr;
}
EMSCRIPTEN_KEEPALIVE int dae_image_width(int which) {
  const GrayImage* images[] = {&g_state->clean, &g_state->noisy, &g_state->denoised, &g_state->engine_out,
                               &g_state->ort_out};
  return which >= 0 && which < 5 ? images[which]->w : 0;
}
EMSCRIPTEN_KEEPALIVE int dae_image_height(int which) {
  const GrayImage* images[] = {&g_state->clean, &g_state->noisy, &g_state->denoised, &g_state->engine_out,
                               &g_state->ort_out};
  return which >= 0 && which < 5 ? images[which]->h : 0;
}

// A snapshot of what the app shows, for tests and the page: metrics, timings, settings, messages.
EMSCRIPTEN_KEEPALIVE const char* dae_state_json() {
  const AppState& s = *g_state;
  nlohmann::json j = {
      {"model", s.model ? s.model_name : ""},
      {"params", s.model ? s.model->param_count() : 0},
      {"width", s.clean.w},
      {"height", s.clean.h},
      {"source", s.image_source},
      {"noise", dae::noise_name(s.noise.kind)},
      {"amount", s.noise.amount},
      {"seed", s.seed},
      {"noiseEverywhere", s.noise_everywhere},
      {"tool", static_cast<int>(s.tool)},
      {"brush", s.brush_radius},
      {"undoDepth", s.undo.size()},
      {"psnrNoisy", s.psnr_noisy},
      {"psnrDenoised", s.psnr_denoised},
      {"ssimNoisy", s.ssim_noisy},
      {"ssimDenoised", s.ssim_denoised},
      {"engineMs", s.engine_ms},
      {"ortMs", s.ort_ms},
      {"maxAbsDiff", s.max_abs_diff},
      {"backend", static_cast<int>(s.backend)},
      {"denoiseCount", s.denoise_count},
      {"busy", s.job.active || s.need_denoise || s.need_noise},
      {"progress", s.job.active && s.job.tiles_x * s.job.tiles_y > 0
                       ? static_cast<double>(s.job.next_tile) / (s.job.tiles_x * s.job.tiles_y)
                       : 1.0},
      {"view", static_cast<int>(s.view)},
      {"zoom", s.zoom},
      {"split", s.compare_split},
      {"message", s.message},
      {"messageIsError", s.message_is_error},
      {"showHelp", s.show_help},
      {"inspect", {s.inspect_x, s.inspect_y}},
      {"fps", s.fps},
      {"sizeMultiple", s.model ? s.model->arch().size_multiple : 1},
      {"webgpu", s.webgpu_available},
      {"ortStatus", s.ort_status},
      {"ortPending", s.ort_pending},
  };
  // Pane rectangles in CSS pixels, the unit page.mouse and DOM events use.
  for (const float* r : s.pane_rects) j["panes"].push_back({r[0] / s.dpr, r[1] / s.dpr, r[2] / s.dpr, r[3] / s.dpr});
  g_json = j.dump();
  return g_json.c_str();
}

}  // extern "C"

extern "C" EMSCRIPTEN_KEEPALIVE int dae_upload_mode() {
  return static_cast<int>(g_state->upload_mode);
}
extern "C" EMSCRIPTEN_KEEPALIVE void dae_set_upload_mode(int mode) {
  g_state->upload_mode = mode == 1 ? UploadMode::FullResolution : UploadMode::FashionMnist;
}

extern "C" EMSCRIPTEN_KEEPALIVE void dae_set_noise_everywhere(int everywhere) {
  g_state->noise_everywhere = everywhere != 0;
  g_state->need_noise = true;
}
