// Which model denoises the image: the photo model for full-resolution uploads, the manifest's default for drawing
// and samples, or whatever the person picked for that kind of image; requests, downloads and loading.
#include <string>

#include "app_state.h"

static const char* kind_words(ImageKind kind) {
  return kind == ImageKind::Photo ? "full-resolution images" : "drawing and samples";
}

// What the automatic choice was made for, in a few words: the kind of image and, for photos, the camera noise.
static std::string choice_words(const AppState& s) {
  if (cleans_as_is(s)) return "noisy photos (a camera's noise)";
  return std::string(kind_words(s.kind)) +
         (s.kind == ImageKind::Photo && dae::is_camera(s.noise.kind) ? " with a camera's noise" : "");
}

// The model the current kind of image calls for: the person's pick for it, else the app's own choice.
static std::string wanted_model(const AppState& s) {
  const std::string& chosen = s.chosen_model[static_cast<int>(s.kind)];
  if (!chosen.empty()) return chosen;
  // Color photos go to the photo model, gray ones to the gray photo model; without one, to the color model too, with
  // synthetic color noise on the way in (dae::denoise_channels), where it beats the grayscale default up to σ 0.2
  // (web/models/report/PHOTOS.md).
  // A camera's noise on a photo goes to the model that learned it, and so does a photo that is noisy as it is: that
  // noise came from a camera.
  if (s.kind == ImageKind::Photo) {
    const ModelInfo* photo = dae::is_camera(s.noise.kind) || cleans_as_is(s) ? s.manifest.photo_camera(s.clean.c)
                             : s.clean.c == 1            ? s.manifest.photo_gray()
                                                         : s.manifest.photo();
    if (photo) return photo->name;
  }
  return s.manifest.default_name;
}

static void request_model(AppState& s, const ModelInfo& info, bool automatic) {
  ++s.model_request;
  s.model_loading = info.name;
  s.model_progress = 0;
  s.model_auto = automatic;
  s.denoiser.cancel();  // the model in use is being replaced: its result would be stale
  if (automatic) set_message(s, "Loading model '" + info.name + "' for " + choice_words(s) + "...", false);
  host_request_model(info.name, info.file, s.model_request);
}

// Forgets a download in flight: its bytes will arrive with an outdated request id and be dropped.
static void cancel_request(AppState& s) {
  if (s.model_loading.empty()) return;
  ++s.model_request;
  s.model_loading.clear();
}

void pick_model_for_image(AppState& s) {
  if (s.manifest.models.empty()) return;  // the list has not arrived yet; it calls this when it does
  const std::string want = wanted_model(s);
  const bool chosen = !s.chosen_model[static_cast<int>(s.kind)].empty();
  if (s.model && want == s.model_name) {
    cancel_request(s);
    s.model_reason = chosen ? std::string("your choice for ") + kind_words(s.kind)
                            : std::string("chosen automatically for ") + choice_words(s);
    return;
  }
  if (want == s.model_loading) return;
  // A model handed over as a file is not in the list: keep using it rather than switching behind the person's back.
  const ModelInfo* info = s.manifest.find(want);
  if (info) request_model(s, *info, !chosen);
}

bool choose_model(AppState& s, const std::string& name) {
  const ModelInfo* info = s.manifest.find(name);
  if (!info) return false;
  s.chosen_model[static_cast<int>(s.kind)] = name;
  if (s.model && s.model_name == name) {
    cancel_request(s);
    s.model_reason = std::string("your choice for ") + kind_words(s.kind);
  } else if (s.model_loading == name) {
    s.model_auto = false;
  } else {
    request_model(s, *info, false);
  }
  return true;
}

bool load_model(AppState& s, const uint8_t* bytes, size_t size, const std::string& name, int request) {
  if (request != 0 && request != s.model_request) return false;  // superseded by a later choice
  const bool automatic = request != 0 && s.model_auto;
  s.model_loading.clear();
  dae::Result<dae::Model> m = dae::Model::from_safetensors(bytes, size);
  if (!m.ok()) {
    // Keep whatever model was working: a bad file must never leave the page without a denoiser.
    set_message(s, "Could not load model '" + name + "': " + m.error() + (s.model ? " (kept the previous model)" : ""),
                true);
    s.need_denoise = true;
    return false;
  }
  if (request == 0) {
    // A file handed over directly is the person's choice for this kind of image.
    cancel_request(s);
    s.chosen_model[static_cast<int>(s.kind)] = name;
  }
  s.model = std::make_shared<const dae::Model>(std::move(*m));
  s.model_name = name;
  s.ort_out = {};
  s.max_abs_diff = -1;
  s.need_denoise = true;
  s.denoiser.cancel();
  const int channels = s.model->arch().channels;
  const std::string facts =
      std::string(channels == 3 ? "RGB" : "grayscale") + ", " + std::to_string(s.model->param_count()) + " parameters";
  if (automatic) {
    s.model_reason = std::string("chosen automatically for ") + choice_words(s);
    set_message(s,
                "Using model '" + name + "' (" + facts + ") for " + choice_words(s) +
                    ", chosen automatically; pick another under Model",
                false);
  } else {
    s.model_reason = std::string(request == 0 ? "loaded from a file, " : "") + "your choice for " + kind_words(s.kind);
    set_message(s, "Loaded model '" + name + "' (" + facts + ")", false);
  }
  return true;
}

void model_download_failed(AppState& s, int request, const std::string& text) {
  if (request != s.model_request) return;
  s.model_loading.clear();
  s.need_denoise = true;  // carry on with the model in use
  set_message(s, text + (s.model ? " (kept model '" + s.model_name + "')" : ""), true);
}

std::string noise_note(const AppState& s) {
  const bool impulses = s.noise.kind == dae::NoiseKind::SaltPepper, camera = dae::is_camera(s.noise.kind);
  if (!(impulses || camera) || s.kind != ImageKind::Photo || cleans_as_is(s) || !s.model) return "";
  const ModelInfo* info = s.manifest.find(s.model_name);
  if (!info || info->noise_train.empty()) return "";
  if (impulses && info->noise_train.find("salt-pepper") == std::string::npos)
    return "'" + s.model_name + "' learned " + info->noise_train +
           " noise only: on salt-and-pepper photos a 3x3 median filter does better than it (docs/quality.md, Other kinds of "
           "noise).";
  if (camera && info->noise_train.find("camera") == std::string::npos)
    return "'" + s.model_name + "' learned " + info->noise_train +
           " noise only: a camera's noise is stronger in the shadows and spread over neighbouring pixels, and "
           "non-local means or a blur may do better on it (docs/quality.md, Other kinds of noise).";
  return "";
}

float noise_amount_limit(dae::NoiseKind kind) {
  return dae::is_camera(kind) ? 0.12f : dae::amount_is_probability(kind) ? 0.5f : 1.0f;
}
