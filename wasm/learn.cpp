// "Watch it learn": a slider over the model's training history (dae-train --snapshots, dae/snapshots.h) that denoises
// the image on screen with the weights as they were at that step, beside the loss and validation PSNR curves with
// the step marked. The history is downloaded the first time the slider is used.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app_state.h"

std::shared_ptr<const dae::Model> model_in_use(const AppState& s) {
  const TrainingView& t = s.training;
  if (t.open && t.at_index && t.history && t.model == s.model_name) return t.at_index;
  return s.model;
}

bool training_step_in_use(const AppState& s) {
  return model_in_use(s) != s.model;
}

// The loaded model's history, if the manifest lists one: starts its download (once).
static void request_history(AppState& s) {
  TrainingView& t = s.training;
  const ModelInfo* info = s.manifest.find(s.model_name);
  if (!info || info->snapshots_file.empty() || !s.model) return;
  if ((t.history || t.loading) && t.model == s.model_name) return;
  t.history.reset();
  t.at_index.reset();
  t.error.clear();
  t.model = s.model_name;
  t.loading = true;
  host_request_snapshots(info->snapshots_file, ++t.request);
}

void set_training_index(AppState& s, int index) {
  TrainingView& t = s.training;
  t.open = true;
  if (!t.history || t.model != s.model_name) {
    t.index = index;  // shown once the history is in
    request_history(s);
    return;
  }
  index = std::clamp(index, 0, static_cast<int>(t.history->size()) - 1);
  if (index == t.index && t.at_index) return;
  dae::Result<dae::Model> m = t.history->model(static_cast<size_t>(index));
  if (!m.ok()) {
    t.error = m.error();
    return;
  }
  t.index = index;
  t.at_index = std::make_shared<const dae::Model>(std::move(*m));
  s.need_denoise = true;
}

bool load_training_history(AppState& s, const uint8_t* bytes, size_t size, int request) {
  TrainingView& t = s.training;
  if (request != t.request || !t.loading) return false;
  t.loading = false;
  dae::Result<dae::Snapshots> h = dae::Snapshots::from_safetensors(bytes, size);
  if (!h.ok()) {
    t.error = "The training history could not be read: " + h.error();
    set_message(s, t.error, true);
    return false;
  }
  if (!s.model || t.model != s.model_name) return false;  // another model was chosen meanwhile
  if (!h->same_arch(*s.model)) {
    t.error = "The training history is of another network than '" + s.model_name + "'";
    set_message(s, t.error, true);
    return false;
  }
  t.history = std::make_shared<const dae::Snapshots>(std::move(*h));
  const int wanted = t.index >= 0 ? t.index : static_cast<int>(t.history->size()) - 1;
  t.index = -1;
  set_training_index(s, wanted);
  return true;
}

void training_history_failed(AppState& s, int request, const std::string& text) {
  TrainingView& t = s.training;
  if (request != t.request) return;
  t.loading = false;
  t.error = text;
  set_message(s, text, true);
}

// Log-step axis: step 0 at the left edge, the last step at the right.
static float step_x(int64_t step, int64_t last, float x0, float width) {
  return x0 + width * static_cast<float>(std::log1p(double(step)) / std::log1p(double(std::max<int64_t>(1, last))));
}

// The validation PSNR (yellow) and training loss (blue, its own scale) against the step, the chosen one marked.
// Returns the snapshot clicked, or -1.
static int plot_history(const AppState& s, const dae::Snapshots& h, int index) {
  const std::vector<dae::SnapshotInfo>& info = h.info();
  const float width = std::max(120.0f, ImGui::GetContentRegionAvail().x), height = 130 * s.dpr;
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("##curve", ImVec2(width, height));
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(25, 25, 30, 255));
  double psnr_lo = info[0].val_psnr, psnr_hi = psnr_lo, loss_lo = info[0].train_loss, loss_hi = loss_lo;
  for (const dae::SnapshotInfo& e : info) {
    psnr_lo = std::min(psnr_lo, e.val_psnr), psnr_hi = std::max(psnr_hi, e.val_psnr);
    loss_lo = std::min(loss_lo, e.train_loss), loss_hi = std::max(loss_hi, e.train_loss);
  }
  const int64_t last = info.back().step;
  const float pad = 8 * s.dpr, x0 = p0.x + pad, w = width - 2 * pad, y0 = p0.y + pad, hgt = height - 2 * pad;
  auto y_of = [&](double v, double lo, double hi) {
    return y0 + hgt * static_cast<float>(1.0 - (v - lo) / std::max(1e-12, hi - lo));
  };
  std::vector<ImVec2> psnr, loss;
  for (const dae::SnapshotInfo& e : info) {
    const float x = step_x(e.step, last, x0, w);
    psnr.emplace_back(x, y_of(e.val_psnr, psnr_lo, psnr_hi));
    loss.emplace_back(x, y_of(e.train_loss, loss_lo, loss_hi));
  }
  const ImU32 yellow = IM_COL32(250, 200, 60, 255), blue = IM_COL32(110, 170, 255, 255);
  draw->AddPolyline(loss.data(), static_cast<int>(loss.size()), blue, 0, 1.5f * s.dpr);
  draw->AddPolyline(psnr.data(), static_cast<int>(psnr.size()), yellow, 0, 2.0f * s.dpr);
  // A fine-tune continuing an earlier run: where it starts.
  for (size_t i = 1; i < info.size(); ++i)
    if (info[i].run != info[i - 1].run)
      draw->AddLine(ImVec2(psnr[i - 1].x, y0), ImVec2(psnr[i - 1].x, y0 + hgt), IM_COL32(120, 120, 120, 255));
  const ImVec2 at = psnr[static_cast<size_t>(index)];
  draw->AddLine(ImVec2(at.x, y0), ImVec2(at.x, y0 + hgt), IM_COL32(255, 255, 255, 160));
  draw->AddCircleFilled(at, 4.5f * s.dpr, yellow);
  draw->AddCircleFilled(loss[static_cast<size_t>(index)], 3.5f * s.dpr, blue);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f dB", psnr_hi);
  draw->AddText(ImVec2(x0, y0), yellow, buf);
  std::snprintf(buf, sizeof buf, "%.1f dB", psnr_lo);
  draw->AddText(ImVec2(x0, y0 + hgt - ImGui::GetTextLineHeight()), yellow, buf);
  if (ImGui::IsItemHovered()) {
    // The snapshot nearest the pointer: click to show it.
    const float mx = ImGui::GetIO().MousePos.x;
    size_t best = 0;
    for (size_t i = 1; i < psnr.size(); ++i)
      if (std::abs(psnr[i].x - mx) < std::abs(psnr[best].x - mx)) best = i;
    ImGui::SetTooltip("step %lld (epoch %.2f): validation PSNR %.2f dB, training loss %.4g",
                      static_cast<long long>(info[best].step), info[best].epoch, info[best].val_psnr,
                      info[best].train_loss);
    if (ImGui::IsItemClicked()) return static_cast<int>(best);
  }
  return -1;
}

void panel_training(AppState& s) {
  TrainingView& t = s.training;
  if (!t.open) return;
  // Below the image panes on the right, where it hides neither the controls nor the images it changes.
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize(ImVec2(460 * s.dpr, 380 * s.dpr), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowPos(ImVec2(std::max(0.0f, display.x - 480 * s.dpr), std::max(0.0f, display.y - 410 * s.dpr)),
                          ImGuiCond_FirstUseEver);
  const bool was_open = t.open;
  if (!ImGui::Begin("Watch it learn (T)", &t.open)) {
    ImGui::End();
    return;
  }
  if (was_open && !t.open) s.need_denoise = true;  // closed: back to the model file
  ImGui::TextWrapped(
      "A network starts from random weights and improves them a little at every training step. Move the slider to "
      "see the image on screen denoised by '%s' as it was at that step.",
      s.model_name.c_str());
  const ModelInfo* info = s.manifest.find(s.model_name);
  if (!info || info->snapshots_file.empty()) {
    std::string with;
    for (const ModelInfo& m : s.manifest.models)
      if (!m.snapshots_file.empty()) with += (with.empty() ? "'" : ", '") + m.name + "'";
    ImGui::TextWrapped("'%s' comes without its training history. %s", s.model_name.c_str(),
                       with.empty() ? "No model of this site has one."
                                    : ("These models have one: " + with + ".").c_str());
    ImGui::End();
    return;
  }
  // Loaded: the history is this model's and a snapshot of it is in use (a snapshot the engine refused is not).
  const bool loaded = t.history && t.model == s.model_name && t.at_index && t.index >= 0 &&
                      t.index < static_cast<int>(t.history->size());
  const int count = t.history && t.model == s.model_name ? static_cast<int>(t.history->size())
                                                         : static_cast<int>(info->snapshots_count);
  int shown = std::clamp(t.index >= 0 ? t.index : count - 1, 0, std::max(0, count - 1));
  char label[96];
  if (loaded)
    std::snprintf(label, sizeof label, "step %lld of %lld", static_cast<long long>(t.history->info()[shown].step),
                  static_cast<long long>(t.history->info().back().step));
  else
    std::snprintf(label, sizeof label, "snapshot %d of %d", shown + 1, count);
  ImGui::SetNextItemWidth(-FLT_MIN);
  if (ImGui::SliderInt("##step", &shown, 0, std::max(0, count - 1), label)) set_training_index(s, shown);
  if (!loaded) {
    ImGui::TextDisabled("%lld snapshots over %lld steps, %.0f KB: downloaded when you first move the slider.",
                        static_cast<long long>(info->snapshots_count), static_cast<long long>(info->snapshots_steps),
                        info->snapshots_bytes / 1024.0);
    if (t.loading) ImGui::Text("Downloading the training history (%.0f KB)...", info->snapshots_bytes / 1024.0);
  } else {
    const dae::SnapshotInfo& e = t.history->info()[static_cast<size_t>(t.index)];
    ImGui::Text("Epoch %.2f: training loss %.4g, validation PSNR %.2f dB", e.epoch, e.train_loss, e.val_psnr);
    if (e.step == 0) ImGui::TextDisabled("Step 0: the random weights the training started from.");
    if (e.run > 0) ImGui::TextDisabled("A fine-tune (run %d) continuing from the earlier training.", e.run + 1);
    if (const int clicked = plot_history(s, *t.history, t.index); clicked >= 0) set_training_index(s, clicked);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("Yellow: PSNR on the validation images. Blue: loss on a training batch. Steps on a log scale; "
                       "click the curve to jump to a step.");
    ImGui::PopStyleColor();
    if (backend_in_use(s) != Backend::Engine)
      ImGui::TextWrapped("ONNX Runtime has only the finished model, so the engine denoises while this panel is open.");
  }
  if (!t.error.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.3f, 1), "%s", t.error.c_str());
  ImGui::End();
}
