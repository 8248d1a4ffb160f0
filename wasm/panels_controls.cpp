// The controls column: image tools and upload, noise, samples gallery, model and backend, views.
#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string>

#include "app_state.h"
#include "imgui.h"

static ImTextureID tex_id(unsigned t) {
  return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(t));
}

// What a full-resolution image is for: the demo (noise added, then removed) or a photo that is noisy already.
static void section_photo_mode(AppState& s) {
  if (s.upload_mode != UploadMode::FullResolution && s.kind != ImageKind::Photo) return;
  int mode = static_cast<int>(s.photo_mode);
  ImGui::RadioButton("Add noise, remove it", &mode, 0);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The demo: the chosen noise is added to the photo and the model removes it");
  ImGui::SameLine();
  ImGui::RadioButton("My photo is noisy", &mode, 1);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Clean the photo as it is: no noise added; the model that learned a camera's noise removes it");
  set_photo_mode(s, static_cast<PhotoMode>(mode));
  if (!cleans_as_is(s)) return;
  float percent = s.strength * 100.0f;
  if (ImGui::SliderFloat("Strength", &percent, 0.0f, 100.0f, "%.0f%%")) set_strength(s, percent / 100.0f);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("How much of the model's result to keep: 0%% is your photo, 100%% the model's output");
}

static void section_image(AppState& s) {
  if (!ImGui::CollapsingHeader("Image", ImGuiTreeNodeFlags_DefaultOpen)) return;
  // The large view of a full-resolution image compares rather than draws: its drag moves the split.
  ImGui::BeginDisabled(uses_large_view(s));
  int tool = static_cast<int>(s.tool);
  ImGui::RadioButton("Pen (P)", &tool, 0);
  ImGui::SameLine();
  ImGui::RadioButton("Eraser (E)", &tool, 1);
  ImGui::SameLine();
  ImGui::RadioButton("Noise brush (N)", &tool, 2);
  s.tool = static_cast<Tool>(tool);
  ImGui::SliderFloat("Brush ([ ])", &s.brush_radius, 0.5f, 6.0f, "%.1f px");
  ImGui::EndDisabled();
  if (ImGui::Button("Clear (C)")) clear_image(s, 28, 28);
  ImGui::SameLine();
  ImGui::BeginDisabled(s.undo.empty());
  if (ImGui::Button("Undo (Ctrl+Z)")) pop_undo(s);
  ImGui::EndDisabled();
  if (ImGui::Button("Save PNG (S)")) save_result(s, 0);
  ImGui::SameLine();
  if (ImGui::Button("Save JPEG")) save_result(s, s.save_jpeg_quality);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("At the JPEG quality set below (%d)", s.save_jpeg_quality);
  ImGui::SameLine();
  if (ImGui::Button("Copy (Ctrl+C)")) host_copy_png(s.denoised);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Copy the denoised image to the clipboard as a PNG");
  ImGui::SliderInt("Save quality", &s.save_jpeg_quality, 50, 100);

  if (ImGui::Button("Upload image... (O)")) host_open_file();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Or drop an image on the page, or paste one (Ctrl+V). Several at once are denoised as a batch.");
  int mode = static_cast<int>(s.upload_mode);
  ImGui::RadioButton("As Fashion-MNIST 28x28", &mode, 0);
  ImGui::SameLine();
  ImGui::RadioButton("Full resolution", &mode, 1);
  s.upload_mode = static_cast<UploadMode>(mode);
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
  ImGui::TextWrapped("Full resolution keeps the photo's size (up to %d megapixels).", kMaxPhotoMegapixels);
  ImGui::PopStyleColor();
  section_photo_mode(s);
  ImGui::TextWrapped("Showing: %s (%dx%d, %s)", s.image_source.c_str(), s.clean.w, s.clean.h,
                     s.clean.c == 3 ? "RGB" : "gray");
}

static void section_noise(AppState& s) {
  if (!ImGui::CollapsingHeader("Noise", ImGuiTreeNodeFlags_DefaultOpen)) return;
  if (cleans_as_is(s)) {
    ImGui::TextWrapped("None added: your photo is denoised as it is.");
    return;
  }
  constexpr int kinds = static_cast<int>(std::size(dae::kNoiseKinds));
  int kind = static_cast<int>(std::find(dae::kNoiseKinds, dae::kNoiseKinds + kinds, s.noise.kind) - dae::kNoiseKinds);
  const auto name = [](void*, int i, const char** text) {
    *text = dae::noise_name(dae::kNoiseKinds[i]);
    return true;
  };
  if (ImGui::Combo("Type", &kind, name, nullptr, kinds)) {
    s.noise.kind = dae::kNoiseKinds[kind];
    s.noise.amount = std::min(s.noise.amount, noise_amount_limit(s.noise.kind));
    s.need_noise = true;
  }
  const float limit = noise_amount_limit(s.noise.kind);
  if (dae::is_camera(s.noise.kind)) {
    // The sensor's noise, shown as the ISO setting that gives it.
    char label[48];
    std::snprintf(label, sizeof label, "%%.3f (ISO %.0f)", dae::camera_iso(s.noise.amount));
    if (ImGui::SliderFloat("Camera noise", &s.noise.amount, 0.0f, limit, label)) s.need_noise = true;
    if (s.noise.kind == dae::NoiseKind::CameraJpeg &&
        ImGui::SliderInt("JPEG quality", &s.noise.jpeg_quality, 10, 100))
      s.need_noise = true;
  } else {
    const bool is_probability = dae::amount_is_probability(s.noise.kind);
    if (ImGui::SliderFloat(is_probability ? "Probability" : "Strength (sigma)", &s.noise.amount, 0.0f, limit, "%.2f"))
      s.need_noise = true;
  }
  int seed = static_cast<int>(s.seed);
  if (ImGui::InputInt("Seed", &seed)) {
    s.seed = static_cast<uint32_t>(std::max(1, seed));
    s.need_noise = true;
  }
  if (const std::string note = noise_note(s); !note.empty()) ImGui::TextWrapped("%s", note.c_str());
  if (ImGui::Button("Re-roll (R)")) reroll_noise(s);
  ImGui::SameLine();
  if (ImGui::Checkbox("Everywhere", &s.noise_everywhere)) s.need_noise = true;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Off: noise only where the noise brush painted");
}

static void section_samples(AppState& s) {
  if (!ImGui::CollapsingHeader("Fashion-MNIST samples", ImGuiTreeNodeFlags_DefaultOpen)) return;
  if (s.samples.empty()) {
    ImGui::TextDisabled("loading...");
    return;
  }
  const float cell = std::max(18.0f * s.dpr, (ImGui::GetContentRegionAvail().x - 9 * 2 * s.dpr) / 10.0f);
  const int count = static_cast<int>(s.samples.size());
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(2 * s.dpr, 2 * s.dpr));
  for (int i = 0; i < count; ++i) {
    const float u0 = (i % 10) / 10.0f, v0 = static_cast<float>(i / 10) / ((count + 9) / 10);
    const float du = 0.1f, dv = 1.0f / ((count + 9) / 10);
    ImGui::PushID(i);
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(0, 0));
    if (ImGui::ImageButton(tex_id(s.textures.samples), ImVec2(cell, cell), ImVec2(u0, v0), ImVec2(u0 + du, v0 + dv)))
      load_sample(s, i);
    ImGui::PopStyleVar();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", dae::fashion_mnist::kClassNames[s.samples[i].label]);
    ImGui::PopID();
    if (i % 10 != 9) ImGui::SameLine();
  }
  ImGui::PopStyleVar();
}

static void section_model(AppState& s) {
  if (!ImGui::CollapsingHeader("Model and backend", ImGuiTreeNodeFlags_DefaultOpen)) return;
  const std::string preview = s.model_loading.empty() ? s.model_name : s.model_loading + " (loading)";
  if (ImGui::BeginCombo("Model", preview.c_str())) {
    for (const ModelInfo& m : s.manifest.models) {
      const std::string label = m.name + (m.channels == 3 ? "  (RGB, for photos)" : "");
      if (ImGui::Selectable(label.c_str(), m.name == s.model_name)) choose_model(s, m.name);
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  if (ImGui::SmallButton("Card")) s.show_model_card = !s.show_model_card;
  // The views of the model at work, on a line of their own (the model row is full).
  if (ImGui::SmallButton("Inside (L)")) s.layers.open = !s.layers.open;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("See every layer of the model at work on this image");
  ImGui::SameLine();
  if (ImGui::SmallButton("Learn (T)")) s.training.open = !s.training.open, s.need_denoise = true;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("See this image denoised by the model as it was while it learned");
  if (!s.model_loading.empty()) {
    char label[96];
    std::snprintf(label, sizeof label, "downloading '%s' %.0f%%", s.model_loading.c_str(), s.model_progress * 100);
    ImGui::ProgressBar(s.model_progress, ImVec2(-1, 0), label);
  } else if (!s.model_reason.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::TextWrapped("%s", s.model_reason.c_str());
    ImGui::PopStyleColor();
  }
  // How the image's channels meet the model's (dae::denoise_channels).
  if (s.model && s.model_loading.empty()) {
    const dae::Result<std::string> plan = dae::channel_plan(*s.model, s.clean.c);
    if (plan.ok() && !plan->empty()) ImGui::TextWrapped("%s", plan->c_str());
  }
  if (s.kind == ImageKind::Photo && !s.manifest.models.empty() && !s.manifest.photo())
    ImGui::TextDisabled("models.json lists no RGB model for photos.");
  int backend = static_cast<int>(s.backend);
  ImGui::RadioButton("Engine (WASM SIMD)", &backend, 0);
  ImGui::RadioButton("ONNX Runtime Web (WASM)", &backend, 1);
  ImGui::BeginDisabled(!s.webgpu_available);
  ImGui::RadioButton("ONNX Runtime Web (WebGPU)", &backend, 2);
  ImGui::EndDisabled();
  ImGui::RadioButton("Auto: the faster, measured", &backend, 3);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Times one tile on ONNX Runtime Web's WebGPU backend against the engine's run of the image\n"
                      "and keeps the faster for this model (without a WebGPU adapter: the engine).");
  if (backend != static_cast<int>(s.backend)) {
    s.backend = static_cast<Backend>(backend);
    s.need_denoise = true;
  }
  if (s.backend == Backend::Auto) {
    const AppState::AutoChoice& a = s.auto_backend;
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    if (a.measuring)
      ImGui::TextWrapped("Auto: timing WebGPU on one tile...");
    else if (!a.key.empty())
      ImGui::TextWrapped("Auto: %s (%s).", backend_in_use(s) == Backend::Engine ? "the engine" : "WebGPU",
                         a.reason.c_str());
    ImGui::PopStyleColor();
  }
  // The engine's self-ensemble: the mean over the mirrors and quarter turns the model's training data allows.
  const int symmetries = s.model ? dae::model_symmetries(*s.model) : 1;
  ImGui::BeginDisabled(symmetries == 1);
  char label[64];
  std::snprintf(label, sizeof label, "Engine: average %d mirrors/turns", symmetries);
  if (ImGui::Checkbox(label, &s.ensemble)) s.need_denoise = true;
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip(symmetries > 1 ? "The model runs on the image and its mirrored and turned copies; their results are\n"
                                       "turned back and averaged: a little cleaner, that many times the work."
                                     : "This model learned from images in one orientation (Fashion-MNIST's shoes all\n"
                                       "point left): mirrored or turned copies would make its result worse.");
  if (ImGui::BeginTable("latency", 2, ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableNextColumn();
    ImGui::Text("Engine %.2f ms", s.engine_ms);
    ImGui::TableNextColumn();
    if (s.ort_ms > 0)
      ImGui::Text("ORT %.2f ms", s.ort_ms);
    else
      ImGui::TextDisabled("ORT not run yet");
    ImGui::EndTable();
  }
  if (s.max_abs_diff >= 0) ImGui::Text("Max |engine - ORT|: %.2e", s.max_abs_diff);
  else if (engine_ensemble(s) > 1 && s.ort_ms > 0) ImGui::TextDisabled("Engine vs ORT: compared without the ensemble only");
  if (!s.ort_status.empty()) ImGui::TextDisabled("ORT: %s", s.ort_status.c_str());
}

static void section_view(AppState& s) {
  if (!ImGui::CollapsingHeader("View", ImGuiTreeNodeFlags_DefaultOpen)) return;
  int view = static_cast<int>(s.view);
  if (uses_large_view(s)) {
    int compare = static_cast<int>(s.compare);
    ImGui::TextUnformatted("Compare (V cycles):");
    ImGui::RadioButton(cleans_as_is(s) ? "Photo | denoised" : "Noisy | denoised", &compare, 0);
    ImGui::SameLine();
    ImGui::BeginDisabled(cleans_as_is(s));  // a noisy photo has no clean version
    ImGui::RadioButton("Clean | denoised", &compare, 1);
    ImGui::EndDisabled();
    ImGui::RadioButton("One image:", &compare, 2);
    s.compare = static_cast<Compare>(compare);
    ImGui::BeginDisabled(s.compare != Compare::Single);
  } else {
    ImGui::TextUnformatted("Third pane:");
  }
  ImGui::RadioButton("Clean (1)", &view, 0);
  ImGui::SameLine();
  ImGui::RadioButton("Noisy (2)", &view, 1);
  ImGui::RadioButton("Denoised (3)", &view, 2);
  ImGui::SameLine();
  ImGui::RadioButton("Difference (4)", &view, 3);
  s.view = static_cast<View>(view);
  if (uses_large_view(s)) {
    ImGui::EndDisabled();
    if (s.compare != Compare::Single) ImGui::SliderFloat("Split", &s.split, 0.0f, 1.0f, "%.2f");
    ImGui::Checkbox("Hide these controls (F)", &s.hide_controls);
  } else {
    ImGui::Checkbox("Split noisy | denoised (V)", &s.compare_split);
    if (s.compare_split) ImGui::SliderFloat("Split", &s.split, 0.0f, 1.0f, "%.2f");
  }
  ImGui::SliderFloat("Zoom", &s.zoom, 1.0f, 32.0f, "%.1fx", ImGuiSliderFlags_Logarithmic);
  ImGui::SameLine();
  if (ImGui::SmallButton("Reset (0)")) {
    s.zoom = 1.0f;
    s.pan_x = s.pan_y = 0.5f;
  }
  if (ImGui::Button("Help (H)")) s.show_help = !s.show_help;
  ImGui::SameLine();
  if (ImGui::Button("What am I looking at?")) s.show_explain = !s.show_explain;
}

void panel_controls(AppState& s) {
  // Leave room for the longest label ("Strength (sigma)") beside each widget.
  ImGui::PushItemWidth(-ImGui::CalcTextSize("Strength (sigma)").x - ImGui::GetStyle().ItemInnerSpacing.x);
  section_image(s);
  section_noise(s);
  section_model(s);
  section_view(s);
  section_samples(s);
  ImGui::PopItemWidth();
}
