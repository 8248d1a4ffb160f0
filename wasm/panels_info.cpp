// The status bar, the model card, the help window and the keyboard shortcuts it lists.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "app_state.h"
#include "imgui.h"

// Which WebAssembly build runs the engine, and how.
static std::string build_words(const AppState& s) {
  if (!Denoiser::threaded())
    return "single-threaded WebAssembly build (for pages that are not cross-origin isolated): one thread, tiles "
           "between frames";
  const int n = s.denoiser.threads();
  return "threaded WebAssembly build: " + std::to_string(n) + " engine thread" + (n == 1 ? "" : "s") +
         ", off the thread that draws the page";
}

void panel_status(AppState& s) {
  ImGui::Separator();
  ImGui::Text("%.0f FPS", s.fps);
  ImGui::SameLine();
  ImGui::TextDisabled("|");
  ImGui::SameLine();
  ImGui::TextDisabled("%s, %d thread%s", Denoiser::threaded() ? "threaded" : "single-threaded", s.denoiser.threads(),
                      s.denoiser.threads() == 1 ? "" : "s");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", build_words(s).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("|");
  ImGui::SameLine();
  if (s.message.empty())
    ImGui::TextDisabled(
        "Draw on the clean image, drop a photo or pick a sample: the model removes the noise. H for help.");
  else if (s.message_is_error)
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), "%s", s.message.c_str());
  else
    ImGui::TextUnformatted(s.message.c_str());
}

static void text_row(const char* key, const char* value) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(key);
  ImGui::TableNextColumn();
  ImGui::TextWrapped("%s", value);
}

void panel_model_card(AppState& s) {
  if (!s.show_model_card) return;
  ImGui::SetNextWindowSize(ImVec2(460 * s.dpr, 420 * s.dpr), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Model card", &s.show_model_card)) {
    ImGui::End();
    return;
  }
  const ModelInfo* info = s.manifest.find(s.model_name);
  if (!s.model) {
    ImGui::TextDisabled("No model loaded.");
  } else {
    char buf[96];
    if (ImGui::BeginTable("card", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
      text_row("name", s.model_name.c_str());
      text_row("architecture", s.model->arch().name.c_str());
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(s.model->param_count()));
      text_row("parameters", buf);
      text_row("channels", s.model->arch().channels == 3 ? "3 (RGB)" : "1 (grayscale)");
      if (s.clean.w == 28 && s.clean.h == 28)
        std::snprintf(buf, sizeof buf, "%.1f MFLOP at 28x28", dae::flops(s.model->arch(), 28, 28) / 1e6);
      else  // the current image, whose channels a grayscale model runs one by one
        std::snprintf(buf, sizeof buf, "%.2f GFLOP for this %dx%d image",
                      dae::flops(s.model->arch(), s.clean.h, s.clean.w) *
                          (s.clean.c / s.model->arch().channels > 1 ? s.clean.c : 1) / 1e9,
                      s.clean.w, s.clean.h);
      text_row("compute", buf);
      text_row("runs on", build_words(s).c_str());
      if (info) {
        std::snprintf(buf, sizeof buf, "%.1f KiB", info->bytes / 1024.0);
        text_row("file size", buf);
        text_row("file", info->file.c_str());
        if (!info->onnx.empty()) text_row("ONNX", info->onnx.c_str());
        if (!info->description.empty()) text_row("about", info->description.c_str());
        if (!info->train_command.empty()) text_row("trained with", info->train_command.c_str());
        for (const auto& [k, v] : info->facts) text_row(k.c_str(), v.c_str());
        for (const auto& [k, v] : info->quality) text_row(k.c_str(), v.c_str());
      }
      ImGui::EndTable();
    }
    if (info)
      for (const auto& [name, values] : info->curves) {
        const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
        char overlay[96];
        std::snprintf(overlay, sizeof overlay, "%s: %.4g -> %.4g", name.c_str(), values.front(), values.back());
        ImGui::PlotLines("##curve", values.data(), static_cast<int>(values.size()), 0, overlay, *lo, *hi,
                         ImVec2(-1, 90 * s.dpr));
      }
  }
  ImGui::End();
}

static const char* const kShortcuts[][2] = {
    {"P / E / N", "pen / eraser / noise brush"},
    {"[ and ]", "smaller / larger brush"},
    {"C", "clear the image"},
    {"Ctrl+Z or U", "undo"},
    {"R", "re-roll the noise"},
    {"O", "open an image (or drop / paste one; several at once make a batch)"},
    {"S", "save the denoised image as PNG"},
    {"Ctrl+C", "copy the denoised image to the clipboard"},
    {"1 2 3 4", "third pane (photos: the one image shown): clean / noisy / denoised / difference"},
    {"V", "split view noisy | denoised (Shift+drag moves the split); photos: noisy | denoised, clean | denoised, one"},
    {"F", "photos: hide the controls so the image takes the window"},
    {"+ / - / 0", "zoom in / out / reset; wheel zooms, right-drag pans"},
    {"B", "next backend"},
    {"Esc / Enter", "cancel the photo being denoised / run it again"},
    {"M", "model card"},
    {"L", "inside the model: every layer's output"},
    {"T", "watch it learn: the model as it was during its training"},
    {"H or F1", "this help"},
};

// The PSNR the trainer measured for `info` at noise σ `sigma` ("0.3"), from models.json; empty if not listed.
static std::string measured_psnr(const ModelInfo& info, const std::string& sigma) {
  for (const auto& [key, value] : info.quality)
    if (key == sigma + " / psnr") return value;
  return "";
}

// "What am I looking at?": a few sentences each for someone who has never trained a network, with the numbers from
// the model list rather than typed ones.
void panel_explain(AppState& s) {
  if (!s.show_explain) return;
  ImGui::SetNextWindowSize(ImVec2(520 * s.dpr, 460 * s.dpr), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("What am I looking at?", &s.show_explain)) {
    ImGui::End();
    return;
  }
  if (ImGui::CollapsingHeader("A denoising autoencoder", ImGuiTreeNodeFlags_DefaultOpen))
    ImGui::TextWrapped(
        "A network that takes a noisy image and gives back a clean one. It learned from pairs: a clean picture, and "
        "the same picture with noise added. It was shown the noisy one and scored on how far its output was from the "
        "clean one (the mean squared error), then nudged to do better, many thousands of times.");
  if (ImGui::CollapsingHeader("Why the target is the clean image"))
    ImGui::TextWrapped(
        "If it were asked to give back its own input, copying would be a perfect answer and it would learn nothing. "
        "Asked for the clean image, it must learn what images of this kind look like, so that it can tell the "
        "picture from the noise: the noise is whatever does not look like a T-shirt, a shoe or a photo.");
  if (ImGui::CollapsingHeader("The code"))
    ImGui::TextWrapped(
        "The tutorial's model ('seed') squeezes the 28x28 = 784 pixels into 8 small maps of 7x7 = 392 numbers, then "
        "rebuilds the image from those numbers alone. That narrow middle is the code. It is too small to hold the "
        "noise, so the decoder can only draw what the encoder kept: the shape, not the speckles. Open 'Inside the "
        "model' (L) with 'seed' to see it, marked in yellow.");
  if (ImGui::CollapsingHeader("Why the U-Nets do better")) {
    ImGui::TextWrapped(
        "A code that small also loses detail: edges blur. The U-Nets ('unet', 'unet32') keep the squeeze but add "
        "skip connections: each decoder stage also sees the encoder's maps of its own size, so fine detail goes "
        "around the bottleneck. They also predict the noise and subtract it from the input, rather than redrawing "
        "the whole image. What the trainer measured on Fashion-MNIST's test images with noise sigma 0.3 (models.json):");
    if (ImGui::BeginTable("psnr", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
      ImGui::TableSetupColumn("model");
      ImGui::TableSetupColumn("parameters");
      ImGui::TableSetupColumn("PSNR at sigma 0.3");
      ImGui::TableHeadersRow();
      for (const ModelInfo& m : s.manifest.models) {
        const std::string psnr = measured_psnr(m, "0.3");
        // The Fashion-MNIST models: the photo models' rows are another test set.
        if (psnr.empty() || m.channels != 1 || m.name == s.manifest.photo_gray_name ||
            m.name == s.manifest.photo_gray_camera_name)
          continue;
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(m.name.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(m.params));
        ImGui::TableNextColumn();
        ImGui::Text("%s dB", psnr.c_str());
      }
      ImGui::EndTable();
    }
    ImGui::TextDisabled("Higher is better; +3 dB halves the squared error.");
  }
  if (ImGui::CollapsingHeader("What the views show"))
    ImGui::TextWrapped(
        "Clean, noisy and denoised are the images; the difference view shows where the result is still off. PSNR and "
        "SSIM compare each with the clean image. 'Inside the model' (L) runs the model once more on this image and "
        "shows what every layer makes of it, channel by channel: early layers respond to edges and blobs, the last "
        "one is the answer. 'Watch it learn' (T) denoises the image with the model as it was at a step of its "
        "training, from the random weights it started with to the finished model, beside the curve of its "
        "validation PSNR: most of the learning happens in the first few hundred steps. On your own noisy photo "
        "there is no clean image, so the page shows the estimated noise level before and after instead.");
  ImGui::End();
}

void panel_help(AppState& s) {
  if (!s.show_help) return;
  ImGui::SetNextWindowSize(ImVec2(480 * s.dpr, 380 * s.dpr), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Help", &s.show_help)) {
    ImGui::End();
    return;
  }
  ImGui::TextWrapped(
      "Denoising autoencoders: grayscale models trained on Fashion-MNIST for drawing and samples, an RGB model "
      "trained on photographs for full-resolution uploads. Draw on the clean image (or upload one, or pick a "
      "sample): the app adds the chosen noise and the model removes it, live. PSNR and SSIM compare each image "
      "with the clean one; higher is better. Photos get one large view: drag its split line to compare.");
  if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg)) {
    for (const auto& row : kShortcuts) text_row(row[0], row[1]);
    ImGui::EndTable();
  }
  ImGui::End();
}

void handle_shortcuts(AppState& s) {
  const ImGuiIO& io = ImGui::GetIO();
  const std::vector<std::pair<int, int>> keys = std::move(s.pressed_keys);
  s.pressed_keys.clear();
  if (io.WantTextInput) return;
  int mods = 0;
  auto pressed = [&](int key) {
    for (const auto& [k, m] : keys)
      if (k == key) {
        mods = m;
        return true;
      }
    return false;
  };
  if (pressed(GLFW_KEY_P)) s.tool = Tool::Pen;
  if (pressed(GLFW_KEY_E)) s.tool = Tool::Eraser;
  if (pressed(GLFW_KEY_N)) s.tool = Tool::NoiseBrush;
  if (pressed(GLFW_KEY_LEFT_BRACKET)) s.brush_radius = std::max(0.5f, s.brush_radius - 0.5f);
  if (pressed(GLFW_KEY_RIGHT_BRACKET)) s.brush_radius = std::min(6.0f, s.brush_radius + 0.5f);
  if (pressed(GLFW_KEY_C)) {
    // Ctrl+C, and Cmd+C on a Mac, copy; C alone clears.
    if (mods & (GLFW_MOD_CONTROL | GLFW_MOD_SUPER))
      host_copy_png(s.denoised);
    else
      clear_image(s, 28, 28);
  }
  if ((pressed(GLFW_KEY_Z) && (mods & GLFW_MOD_CONTROL)) || pressed(GLFW_KEY_U)) pop_undo(s);
  if (pressed(GLFW_KEY_R)) reroll_noise(s);
  if (pressed(GLFW_KEY_L)) s.layers.open = !s.layers.open;
  if (pressed(GLFW_KEY_T)) s.training.open = !s.training.open, s.need_denoise = true;
  if (pressed(GLFW_KEY_ESCAPE)) cancel_denoise(s);
  if (pressed(GLFW_KEY_ENTER) || pressed(GLFW_KEY_KP_ENTER)) run_again(s);
  if (pressed(GLFW_KEY_O)) host_open_file();
  if (pressed(GLFW_KEY_S) && !(mods & GLFW_MOD_CONTROL)) save_result(s, 0);
  for (int k = 0; k < 4; ++k)
    if (pressed(GLFW_KEY_1 + k)) {
      s.view = static_cast<View>(k);
      if (uses_large_view(s)) s.compare = Compare::Single;
    }
  if (pressed(GLFW_KEY_V)) {
    if (uses_large_view(s))
      s.compare = static_cast<Compare>((static_cast<int>(s.compare) + 1) % 3);
    else
      s.compare_split = !s.compare_split;
  }
  if (pressed(GLFW_KEY_F)) s.hide_controls = !s.hide_controls;
  if (pressed(GLFW_KEY_EQUAL) || pressed(GLFW_KEY_KP_ADD)) s.zoom = std::min(32.0f, s.zoom * 1.25f);
  if (pressed(GLFW_KEY_MINUS) || pressed(GLFW_KEY_KP_SUBTRACT)) s.zoom = std::max(1.0f, s.zoom / 1.25f);
  if (pressed(GLFW_KEY_0)) {
    s.zoom = 1.0f;
    s.pan_x = s.pan_y = 0.5f;
  }
  if (pressed(GLFW_KEY_B)) {
    const int count = s.webgpu_available ? 3 : 2;
    s.backend = static_cast<Backend>((static_cast<int>(s.backend) + 1) % count);
    s.need_denoise = true;
  }
  if (pressed(GLFW_KEY_M)) s.show_model_card = !s.show_model_card;
  if (pressed(GLFW_KEY_H) || pressed(GLFW_KEY_F1)) s.show_help = !s.show_help;
}
