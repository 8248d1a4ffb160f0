// The whole app's state in one plain struct, and the functions that panels and bindings call on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dae/engine.h"
#include "dae/noise.h"
#include "manifest.h"
#include "textures.h"

// A grayscale image, row-major, values in [0, 1].
struct GrayImage {
  int w = 0, h = 0;
  std::vector<float> px;
  size_t size() const { return px.size(); }
  bool empty() const { return px.empty(); }
};

enum class Backend { Engine = 0, OrtWasm = 1, OrtWebGpu = 2 };
enum class View { Clean = 0, Noisy = 1, Denoised = 2, Difference = 3 };
enum class Tool { Pen = 0, Eraser = 1, NoiseBrush = 2 };
enum class UploadMode { FashionMnist = 0, FullResolution = 1 };

// Full-resolution denoising runs tile by tile across frames so the page stays responsive and shows progress.
struct TileJob {
  bool active = false;
  int next_tile = 0, tiles_x = 0, tiles_y = 0;
  double started_ms = 0;
  GrayImage out;
};

struct Sample {
  int label = 0;
  std::vector<float> px;  // 28×28
};

struct AppState {
  // Model
  std::optional<dae::Model> model;
  std::string model_name;     // manifest name of the loaded model
  std::string model_loading;  // name being fetched, empty when idle
  Manifest manifest;

  // Images: clean is what the person draws or uploads; noisy = noise(clean); denoised = model(noisy).
  GrayImage clean, noisy, denoised, engine_out, ort_out;
  GrayImage noise_mask;  // where the noise brush painted (used when noise_everywhere is false)
  std::vector<GrayImage> undo;
  UploadMode upload_mode = UploadMode::FashionMnist;
  std::string image_source = "blank";

  // Noise
  dae::NoiseParams noise;
  uint32_t seed = 1;
  bool noise_everywhere = true;

  // Drawing
  Tool tool = Tool::Pen;
  float brush_radius = 1.5f;  // in image pixels at 28×28; scaled with the image's size
  bool stroke_active = false;
  float last_x = -1, last_y = -1;

  // What needs recomputing; set by any change, cleared by the pipeline.
  bool need_noise = true, need_denoise = true;

  // Metrics and timings
  double psnr_noisy = 0, psnr_denoised = 0, ssim_noisy = 0, ssim_denoised = 0;
  double engine_ms = 0, ort_ms = 0, max_abs_diff = -1;
  int denoise_count = 0;

  // Second backend, run by JS asynchronously; results come back through bindings.
  Backend backend = Backend::Engine;
  bool ort_available = false, webgpu_available = false;
  bool ort_pending = false;
  int ort_generation = 0;
  std::string ort_status;

  TileJob job;

  // Views
  View view = View::Denoised;
  bool compare_split = false;
  float split = 0.5f;
  float zoom = 1.0f, pan_x = 0.5f, pan_y = 0.5f;  // pan: image point at the view's centre, in [0, 1]
  int inspect_x = -1, inspect_y = -1;
  float pane_rects[3][4] = {};  // clean, noisy, result: x, y, w, h in canvas pixels (for tests and help)

  // Samples gallery
  std::vector<Sample> samples;
  int sample_index = -1;

  // UI
  std::string message;  // shown in the status bar until replaced
  bool message_is_error = false;
  bool show_help = false, show_model_card = false;
  // Key presses since the last frame (key, mods): ImGui 1.86 misses a press and release within one frame.
  std::vector<std::pair<int, int>> pressed_keys;
  float dpr = 1.0f;
  float fps = 0.0f;
  float pressure = 1.0f;  // pen pressure of the current stroke
  bool narrow = false;    // phone-width layout
  Textures textures;
};

extern const char* const kClassNames[10];

// pipeline.cpp: everything that changes images or the model; all maths comes from the shared engine.
bool load_model(AppState& s, const uint8_t* bytes, size_t size, const std::string& name);
void set_clean_image(AppState& s, GrayImage image, const std::string& source);
void clear_image(AppState& s, int w, int h);
void push_undo(AppState& s);
void pop_undo(AppState& s);
void paint_stroke(AppState& s, float x0, float y0, float x1, float y1, float pressure);
void reroll_noise(AppState& s);
void update_pipeline(AppState& s, double now_ms);
void accept_ort_output(AppState& s, const float* px, int w, int h, double ms, int generation);
void set_message(AppState& s, const std::string& text, bool is_error);
bool is_full_resolution(const AppState& s);

// Panels (one function each).
void panel_controls(AppState& s);
void panel_images(AppState& s);
void panel_model_card(AppState& s);
void panel_help(AppState& s);
void panel_status(AppState& s);
void handle_shortcuts(AppState& s);

// bindings.cpp: requests to the page's JavaScript.
void host_request_model(const std::string& name, const std::string& file);
void host_request_ort(AppState& s);
void host_open_file();
void host_save_png(const GrayImage& image, const std::string& name);
void host_notify_denoised(const AppState& s);
