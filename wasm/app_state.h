// The whole app's state in one plain struct, and the functions that panels and bindings call on it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <iterator>
#include <utility>
#include <vector>

#include "dae/channels.h"
#include "dae/engine.h"
#include "dae/fashion_mnist.h"
#include "dae/noise.h"
#include "dae/snapshots.h"
#include "dae/tiles.h"
#include "denoiser.h"
#include "image.h"
#include "manifest.h"
#include "textures.h"

// Auto: the engine or ONNX Runtime's WebGPU backend, whichever measured faster on this image's tiles with this model.
enum class Backend { Engine = 0, OrtWasm = 1, OrtWebGpu = 2, Auto = 3 };
enum class View { Clean = 0, Noisy = 1, Denoised = 2, Difference = 3 };
enum class Tool { Pen = 0, Eraser = 1, NoiseBrush = 2 };
enum class UploadMode { FashionMnist = 0, FullResolution = 1 };
// What the clean image is, which decides the model picked automatically and the layout of the image panes.
enum class ImageKind { Small = 0, Photo = 1 };  // 28×28 drawing, samples and uploads as Fashion-MNIST; full resolution
// The full-resolution view: one large pane, either split between two images or showing one.
enum class Compare { NoisyDenoised = 0, CleanDenoised = 1, Single = 2 };
// The largest full-resolution image, in megapixels (web/image-input.js asks the app for it): larger ones are refused
// from their header.
inline constexpr int kMaxPhotoMegapixels = 50;
// What a full-resolution image is for: the demo adds noise to it and removes it again; a noisy photo (already noisy
// from a camera) is denoised as it is, with no noise added and no clean reference. Drawings and samples are always
// the demo.
enum class PhotoMode { Demo = 0, NoisyPhoto = 1 };

// The names the page, its tests and the state snapshot use for these enums, in each enum's order: the one table of
// each. The bindings take and give names, never the numbers.
template <class E>
struct EnumNames;
template <>
struct EnumNames<Backend> {
  static constexpr const char* names[] = {"engine", "ort-wasm", "ort-webgpu", "auto"};
};
template <>
struct EnumNames<View> {
  static constexpr const char* names[] = {"clean", "noisy", "denoised", "difference"};
};
template <>
struct EnumNames<Tool> {
  static constexpr const char* names[] = {"pen", "eraser", "noise-brush"};
};
template <>
struct EnumNames<UploadMode> {
  static constexpr const char* names[] = {"fashion-mnist", "full"};
};
template <>
struct EnumNames<ImageKind> {
  static constexpr const char* names[] = {"small", "photo"};
};
template <>
struct EnumNames<Compare> {
  static constexpr const char* names[] = {"noisy-denoised", "clean-denoised", "single"};
};

template <>
struct EnumNames<PhotoMode> {
  static constexpr const char* names[] = {"demo", "noisy-photo"};
};

template <class E>
const char* enum_name(E e) {
  const auto& names = EnumNames<E>::names;
  const size_t i = static_cast<size_t>(e);
  return i < std::size(names) ? names[i] : "";
}
// false (and `out` unchanged) for a name not in the table.
template <class E>
bool enum_from_name(std::string_view name, E& out) {
  const auto& names = EnumNames<E>::names;
  for (size_t i = 0; i < std::size(names); ++i)
    if (name == names[i]) {
      out = static_cast<E>(i);
      return true;
    }
  return false;
}

// One node of the model's graph as the layer view shows it.
struct LayerRow {
  std::string name, op;
  int c = 0, h = 0, w = 0;
  float lo = 0, hi = 0;  // the output's value range (the colour scale's ends)
  bool code = false;     // the narrowest layer of a plain encoder-decoder: its code
  std::string joins;     // for a node with two inputs: which paths it joins (a skip connection, a residual)
};

// "Inside the model" (layers.cpp): the graph run once more on the image on screen, with every node's output kept.
struct LayerView {
  bool open = false;
  int channels_shown = 8;
  std::vector<LayerRow> rows;
  std::string error;
  double ms = 0;
  int64_t input_numbers = 0;  // values in the model's input (channels × height × width, padded)
  unsigned texture = 0;       // the atlas: a row per node, a cell per channel
  int atlas_w = 0, atlas_h = 0;
  // What the rows were made from; a change of any runs the model again.
  const dae::Model* model = nullptr;
  int generation = -1, built_channels = 0;
  std::array<int, 4> region = {0, 0, 0, 0};  // x, y, w, h in the image
};

// "Walk the code" (layers.cpp): a plain autoencoder's code of the image on screen and of a sample, mixed by t and
// decoded, for drawings and samples (28×28).
struct CodeWalk {
  bool open = false;
  int sample = 1;  // the other end: one of the bundled samples
  float t = 0.5f;  // 0: the image on screen's code, 1: the sample's
  Image out;       // the decoder's output for the mixed code
  std::vector<float> mixed;
  int code_c = 0, code_h = 0, code_w = 0;
  std::string error;
  unsigned texture = 0;
  // What `out` was made from; a change of any decodes again.
  const dae::Model* model = nullptr;
  const float* clean = nullptr;
  int clean_version = -1, built_sample = -1;
  float built_t = -1;
};

// "Watch it learn" (learn.cpp): the model as it was at a step of its training, from its history file (dae-train
// --snapshots), downloaded the first time the slider is used. While the panel is open the image on screen is
// denoised by the model at that step.
struct TrainingView {
  bool open = false;
  std::string model;  // the model the history is of (loaded or loading)
  bool loading = false;
  int request = 0;  // id of the latest download; an older one's bytes are dropped
  std::string error;
  std::shared_ptr<const dae::Snapshots> history;
  int index = -1;  // the snapshot shown
  std::shared_ptr<const dae::Model> at_index;
};

struct Sample {
  int label = 0;
  std::vector<float> px;  // 28×28
};

struct AppState {
  // Model
  // Shared with the denoising job that runs it.
  std::shared_ptr<const dae::Model> model;
  std::string model_name;     // manifest name of the loaded model
  std::string model_loading;  // name being fetched, empty when idle
  float model_progress = 0;   // fraction of model_loading's file downloaded
  int model_request = 0;      // id of the latest model request; a download for an older one is dropped
  bool model_auto = false;    // whether the latest request was the app's own choice (not the person's)
  std::string model_reason;   // why the loaded model is in use, shown beside the model list
  // The model the person chose for each image kind; empty: the app's choice (photo model / manifest default).
  std::string chosen_model[2];
  Manifest manifest;

  // Images: clean is what the person draws or uploads; noisy = noise(clean); denoised = model(noisy).
  Image clean, noisy, denoised, engine_out, ort_out;
  Image noise_mask;  // one channel: where the noise brush painted (used when noise_everywhere is false)
  std::vector<std::pair<Image, ImageKind>> undo;
  UploadMode upload_mode = UploadMode::FashionMnist;
  ImageKind kind = ImageKind::Small;
  std::string image_source = "blank";
  // The saved result's name before "-denoised": the uploaded file's name without its extension, sample-N, drawing;
  // empty (saved as image-denoised) for an image a script set.
  std::string image_name;
  int save_jpeg_quality = 92;    // "Save JPEG"'s quality

  // The person's setting for full-resolution images (uploads and dae.setImage's), applied to the one on screen too.
  PhotoMode photo_mode = PhotoMode::Demo;
  // A noisy photo's result: (1 - strength)·photo + strength·model output at every pixel; 1 is the model's output.
  float strength = 1.0f;

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
  // A noisy photo has no clean reference: its noise level estimated before and after (dae::estimate_noise_sigma).
  double sigma_noisy = 0, sigma_denoised = 0;
  double engine_ms = 0, ort_ms = 0, max_abs_diff = -1;
  int denoise_count = 0;

  // Second backend, run by JS asynchronously; results come back through bindings.
  Backend backend = Backend::Engine;  // the person's choice; backend_in_use(s) is what runs
  // The Auto choice: made per model and tile shape by timing one tile on WebGPU (after a warm-up run) against the
  // engine's own run of the image (it always runs, as the reference), in milliseconds per megapixel delivered.
  struct AutoChoice {
    std::string key;  // model and measured tile shape the choice is for; empty: none made yet
    Backend chosen = Backend::Engine;
    bool measuring = false;
    int token = 0;  // which measurement a reply from the page belongs to
    double engine_ms_per_mp = -1, webgpu_ms_per_mp = -1;
    double tile_mp = 0;  // the megapixels the timed tile delivers (its core)
    std::string reason;
  } auto_backend;
  bool ensemble = false;  // the engine averages over the symmetries the model allows (engine_ensemble)
  bool ort_available = false, webgpu_available = false;
  bool ort_pending = false;
  int ort_generation = 0;
  // ONNX Runtime gets a large image tile by tile (the engine's tile geometry; one tensor of a 12 MP photo is more
  // than its heap takes): the model and grid of the run in progress, the tile it was sent, what came back so far.
  std::string ort_model;
  dae::TileGrid ort_grid;
  dae::ChannelOptions ort_options;  // measured once on the whole image (dae::whole_image_options)
  int ort_tile = 0;
  bool ort_send_tile = false;  // tile ort_tile goes out on the next frame
  int ort_run_generation = 0;  // the image the run is of (ort_generation when it started)
  int ort_h = 0, ort_w = 0;  // the padded size the pending tile's output must come back at
  double ort_run_ms = 0;
  Image ort_partial;
  std::string ort_status;

  LayerView layers;
  CodeWalk walk;
  TrainingView training;
  int clean_version = 0;  // counts changes of the clean image (strokes, uploads, samples)
  Denoiser denoiser;  // the engine's jobs: on a background thread (threaded build) or tile by tile
  double job_started_ms = 0;  // when the latest job was submitted (for the time left)
  // The person cancelled the job in progress: its finished tiles stay shown until they run it again.
  bool cancelled = false;
  int cancelled_done = 0, cancelled_tiles = 0;
  // The tiles of the job in progress already in textures.partial, shown over the dimmed noisy image until the whole
  // result is in.
  std::vector<dae::TileRect> partial;

  // Views
  View view = View::Denoised;
  bool compare_split = false;
  float split = 0.5f;
  float zoom = 1.0f, pan_x = 0.5f, pan_y = 0.5f;  // pan: image point at the view's centre, in [0, 1]
  int inspect_x = -1, inspect_y = -1;
  Compare compare = Compare::NoisyDenoised;  // the full-resolution view's split
  bool hide_controls = false;                // full-resolution view: the image takes the whole window
  // clean, noisy, result: x, y, w, h in canvas pixels (for tests and help); the large view uses the third
  float pane_rects[3][4] = {};

  // Samples gallery
  std::vector<Sample> samples;
  int sample_index = -1;

  // UI
  std::string message;  // shown in the status bar until replaced
  bool message_is_error = false;
  bool show_help = false, show_model_card = false, show_explain = false;
  // Key presses since the last frame (key, mods): ImGui 1.86 misses a press and release within one frame.
  std::vector<std::pair<int, int>> pressed_keys;
  float dpr = 1.0f;
  float fps = 0.0f;
  int frames = 0;         // frames drawn since start: the page keeps drawing while a photo is denoised
  float pressure = 1.0f;  // pen pressure of the current stroke
  bool narrow = false;    // phone-width layout
  Textures textures;
};


// pipeline.cpp: everything that changes images or the model; all maths comes from the shared engine.
// request: the model_request id the bytes answer, or 0 for a file handed over directly (always loaded).
bool load_model(AppState& s, const uint8_t* bytes, size_t size, const std::string& name, int request = 0);
// The person picked `name` from the list: it becomes their choice for the current kind of image. False if unknown.
bool choose_model(AppState& s, const std::string& name);
// Loads the model the current kind of image calls for, if it is not the one in use (after an image or manifest change).
void pick_model_for_image(AppState& s);
// A line for the noise controls when the model in use is known not to suit the chosen noise on this kind of image:
// a photo model trained without salt-and-pepper, on a photo with salt-and-pepper, where a median filter beats every
// such model (README, "Other kinds of noise"). Empty otherwise.
std::string noise_note(const AppState& s);
// The noise slider's top: 0.12 for the camera kinds (about ISO 58000), 0.5 for a probability, 1 for a σ.
float noise_amount_limit(dae::NoiseKind kind);
// The download for `request` failed: the model in use stays.
void model_download_failed(AppState& s, int request, const std::string& text);
bool uses_large_view(const AppState& s);
// The image on screen is a noisy photo denoised as it is (PhotoMode::NoisyPhoto on a full-resolution image).
bool cleans_as_is(const AppState& s);
// The person's setting for full-resolution images; the one on screen switches at once.
void set_photo_mode(AppState& s, PhotoMode mode);
// Stops the job in progress before its next tile, at the person's request (Cancel, Esc): the tiles done stay shown
// over the dimmed input. False when nothing was running.
bool cancel_denoise(AppState& s);
// Runs the cancelled job again from the start (Run again, Enter).
void run_again(AppState& s);
// Seconds left for the job in progress, from the time its finished tiles took; negative before the first tile.
double seconds_left(const AppState& s);
// A noisy photo's strength, clamped to [0, 1]: the result is blended again, without running the model.
void set_strength(AppState& s, float strength);
void set_clean_image(AppState& s, Image image, const std::string& source, ImageKind kind);
void clear_image(AppState& s, int w, int h);
void load_sample(AppState& s, int index);
void push_undo(AppState& s);
void pop_undo(AppState& s);
void paint_stroke(AppState& s, float x0, float y0, float x1, float y1, float pressure);
void reroll_noise(AppState& s);
void update_pipeline(AppState& s);
// ONNX Runtime's output for the [n, c, h, w] tile input host_request_ort_tile sent (dae::tile_model_input); its core
// is kept (dae::tile_from_output: cropped and clamped as the engine's own output is), then the next tile is sent.
void accept_ort_output(AppState& s, const float* px, int n, int c, int h, int w, double ms, int generation);
// The w×h region at (x0, y0) of an image as a [1, c, h, w] tensor, and a [1, c, h, w] tensor as an image.
dae::Tensor region_tensor(const Image& image, int x0, int y0, int w, int h);
Image tensor_image(const dae::Tensor& t);
// How `whole` (or a tile of it, with the origin set) meets a model of `model_channels` (dae::denoise_channels): a
// gray image's noise level for a color model is estimated once on the whole image, so every tile gets the same.
dae::ChannelOptions channel_options(const Image& whole, int model_channels);
void set_message(AppState& s, const std::string& text, bool is_error);
// The engine's self-ensemble in use: the model's symmetries (dae::model_symmetries) when switched on, else 1.
int engine_ensemble(const AppState& s);

// Panels (one function each).
void panel_controls(AppState& s);
void panel_images(AppState& s);
void panel_model_card(AppState& s);
void panel_help(AppState& s);
void panel_explain(AppState& s);
// learn.cpp: the model that denoises the image on screen: the training view's step while it is open on the loaded
// model's history, else the model itself.
std::shared_ptr<const dae::Model> model_in_use(const AppState& s);
bool training_step_in_use(const AppState& s);
// Shows snapshot `index` of the loaded history (clamped); asks for the history first if it is not loaded.
void set_training_index(AppState& s, int index);
// The history's bytes for `request` (host_request_snapshots): checked, kept when they are the loaded model's.
bool load_training_history(AppState& s, const uint8_t* bytes, size_t size, int request);
void training_history_failed(AppState& s, int request, const std::string& text);
void panel_training(AppState& s);

// layers.cpp: runs the model once more with the engine's layer observer when the view is open and its input changed.
void update_layers(AppState& s);
void update_walk(AppState& s);
void panel_walk(AppState& s);
void panel_layers(AppState& s);
void panel_status(AppState& s);
void handle_shortcuts(AppState& s);

// bindings.cpp: requests to the page's JavaScript.
void host_request_model(const std::string& name, const std::string& file, int request);
void host_request_snapshots(const std::string& file, int request);
// Starts an ONNX Runtime run of the current image and model (whole, or its first tile); host_request_ort_tile sends the
// run's tile s.ort_tile.
void host_request_ort(AppState& s);
void host_request_ort_tile(AppState& s);
// The backend that runs: the person's choice, or for Auto what was measured faster (the engine until then).
Backend backend_in_use(const AppState& s);
// Auto: measures the current model on WebGPU when no choice is made for it and this image's tile shape yet (a
// result of the engine for this image is needed first); without a WebGPU adapter the engine is chosen at once.
void update_auto_backend(AppState& s);
// The page's reply: the WebGPU run's time in ms (a warm-up run not counted), or, with ms < 0, why it failed.
void accept_auto_measurement(AppState& s, int token, double ms, const std::string& error);
void host_open_file();
// jpeg_quality: 1..100 saves a JPEG at that quality, 0 a PNG; encoded by the browser at the image's full size.
void host_save_image(const Image& image, const std::string& name, int jpeg_quality);
// Saves the result shown as <file name>-denoised.png (jpeg_quality 0) or .jpg.
void save_result(AppState& s, int jpeg_quality);
// Whether `bytes` more could be allocated: the heap can grow that far (checked before a large allocation, which would
// otherwise stop the app).
bool heap_can_take(size_t bytes);
void host_copy_png(const Image& image);
void host_notify_denoised(const AppState& s);
// The engine's thread count the page picked for this build.
int host_engine_threads();
