// The image panes: clean (the draw pad), noisy and the result view, sharing zoom, pan and the pixel inspector.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app_state.h"
#include "bindings.h"
#include "imgui.h"

static ImTextureID tex_id(unsigned t) {
  return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(t));
}

// The visible part of the image in texture coordinates, from zoom and pan (pan is kept inside the image).
static void visible_uv(AppState& s, ImVec2& uv0, ImVec2& uv1) {
  const float half = 0.5f / s.zoom;
  s.pan_x = std::clamp(s.pan_x, half, 1.0f - half);
  s.pan_y = std::clamp(s.pan_y, half, 1.0f - half);
  uv0 = ImVec2(s.pan_x - half, s.pan_y - half);
  uv1 = ImVec2(s.pan_x + half, s.pan_y + half);
}

enum class Pane { Clean, Noisy, Result };

static void draw_result(AppState& s, ImDrawList* dl, ImVec2 p0, ImVec2 p1, ImVec2 uv0, ImVec2 uv1) {
  if (s.view == View::Difference) {
    dl->AddImage(tex_id(s.textures.difference), p0, p1, uv0, uv1);
  } else if (s.compare_split) {
    // Noisy left of the split line, denoised right of it, the same pixels under both.
    const float xs = p0.x + (p1.x - p0.x) * s.split;
    const float us = uv0.x + (uv1.x - uv0.x) * s.split;
    dl->AddImage(tex_id(s.textures.noisy), p0, ImVec2(xs, p1.y), uv0, ImVec2(us, uv1.y));
    dl->AddImage(tex_id(s.textures.denoised), ImVec2(xs, p0.y), p1, ImVec2(us, uv0.y), uv1);
    dl->AddLine(ImVec2(xs, p0.y), ImVec2(xs, p1.y), IM_COL32(255, 200, 0, 255), 2.0f * s.dpr);
  } else {
    const unsigned t = s.view == View::Clean   ? s.textures.clean
                       : s.view == View::Noisy ? s.textures.noisy
                                               : s.textures.denoised;
    dl->AddImage(tex_id(t), p0, p1, uv0, uv1);
  }
}

static void image_pane(AppState& s, Pane pane, const char* id, ImVec2 size) {
  ImGuiIO& io = ImGui::GetIO();
  ImVec2 uv0, uv1;
  visible_uv(s, uv0, uv1);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImVec2 p1(p0.x + size.x, p0.y + size.y);
  float* rect = s.pane_rects[static_cast<int>(pane)];
  rect[0] = p0.x, rect[1] = p0.y, rect[2] = size.x, rect[3] = size.y;
  ImGui::InvisibleButton(
      id, size,
      ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  if (pane == Pane::Clean)
    dl->AddImage(tex_id(s.textures.clean), p0, p1, uv0, uv1);
  else if (pane == Pane::Noisy)
    dl->AddImage(tex_id(s.textures.noisy), p0, p1, uv0, uv1);
  else
    draw_result(s, dl, p0, p1, uv0, uv1);
  const bool hovered = ImGui::IsItemHovered();
  dl->AddRect(p0, p1, hovered ? IM_COL32(255, 200, 0, 255) : IM_COL32(90, 90, 100, 255));

  // Mouse position in image pixels (fractional).
  const float fx = (io.MousePos.x - p0.x) / size.x, fy = (io.MousePos.y - p0.y) / size.y;
  const float ix = (uv0.x + fx * (uv1.x - uv0.x)) * s.clean.w;
  const float iy = (uv0.y + fy * (uv1.y - uv0.y)) * s.clean.h;

  if (hovered) {
    s.inspect_x = std::clamp(static_cast<int>(ix), 0, s.clean.w - 1);
    s.inspect_y = std::clamp(static_cast<int>(iy), 0, s.clean.h - 1);
    if (io.MouseWheel != 0) {
      // Zoom about the pixel under the cursor so it stays put.
      const float u = uv0.x + fx * (uv1.x - uv0.x), v = uv0.y + fy * (uv1.y - uv0.y);
      s.zoom = std::clamp(s.zoom * std::pow(1.25f, io.MouseWheel), 1.0f, 32.0f);
      s.pan_x = u - (fx - 0.5f) / s.zoom;
      s.pan_y = v - (fy - 0.5f) / s.zoom;
    }
  }
  if (ImGui::IsItemActive() &&
      (ImGui::IsMouseDragging(ImGuiMouseButton_Right, 0) || ImGui::IsMouseDragging(ImGuiMouseButton_Middle, 0))) {
    s.pan_x -= io.MouseDelta.x / size.x / s.zoom;
    s.pan_y -= io.MouseDelta.y / size.y / s.zoom;
  }
  // Left drag paints on whichever pane it starts in; every pane shows the same pixels.
  if (ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    if (s.compare_split && pane == Pane::Result && io.KeyShift) {
      s.split = std::clamp(fx, 0.0f, 1.0f);
    } else {
      const PointerInput& pointer = pointer_input();
      const float pressure = pointer.active ? pointer.pressure : 1.0f;
      if (!s.stroke_active) {
        if (s.tool != Tool::NoiseBrush) push_undo(s);
        s.stroke_active = true;
        s.last_x = ix;
        s.last_y = iy;
      }
      paint_stroke(s, s.last_x, s.last_y, ix, iy, pressure);
      s.last_x = ix;
      s.last_y = iy;
    }
  } else if (s.stroke_active && !ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    s.stroke_active = false;
  }
}

static void metric_line(const char* what, double psnr, double ssim) {
  ImGui::Text("%s  PSNR %.2f dB  SSIM %.3f", what, psnr, ssim);
}

void panel_images(AppState& s) {
  if (s.clean.empty()) return;
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float text_h = ImGui::GetTextLineHeightWithSpacing();
  const float aspect = static_cast<float>(s.clean.h) / s.clean.w;
  // Three panes across when wide, stacked results otherwise: each as large as fits.
  float pane_w = (avail.x - 2 * style.ItemSpacing.x) / 3.0f;
  float pane_h = pane_w * aspect;
  const float max_h = avail.y - 6 * text_h;
  if (pane_h > max_h) {
    pane_h = std::max(32.0f, max_h);
    pane_w = pane_h / aspect;
  }
  const ImVec2 size(std::floor(pane_w), std::floor(pane_h));
  const char* result_label = s.view == View::Difference ? "Difference |denoised - clean|"
                             : s.compare_split          ? "Noisy | denoised (Shift+drag: split)"
                                                        : "Denoised";
  const char* labels[3] = {"Clean (draw here)", "Noisy", result_label};
  for (int i = 0; i < 3; ++i) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(labels[i]);
    image_pane(s, static_cast<Pane>(i), i == 0 ? "##clean" : i == 1 ? "##noisy" : "##result", size);
    ImGui::EndGroup();
    if (i < 2) ImGui::SameLine();
  }
  if (!ImGui::IsAnyItemHovered()) s.inspect_x = s.inspect_y = -1;

  metric_line("Noisy    vs clean:", s.psnr_noisy, s.ssim_noisy);
  metric_line("Denoised vs clean:", s.psnr_denoised, s.ssim_denoised);
  if (s.job.active) {
    const int total = s.job.tiles_x * s.job.tiles_y;
    char label[64];
    std::snprintf(label, sizeof label, "denoising %dx%d: tile %d of %d", s.clean.w, s.clean.h, s.job.next_tile, total);
    ImGui::ProgressBar(static_cast<float>(s.job.next_tile) / total, ImVec2(-1, 0), label);
  }
  if (s.inspect_x >= 0 && !s.denoised.empty() && s.denoised.size() == s.clean.size()) {
    const size_t i = static_cast<size_t>(s.inspect_y) * s.clean.w + s.inspect_x;
    ImGui::TextWrapped("Pixel (%d, %d): clean %.3f  noisy %.3f  denoised %.3f", s.inspect_x, s.inspect_y, s.clean.px[i],
                       s.noisy.px[i], s.denoised.px[i]);
  } else {
    ImGui::TextDisabled("Hover a pane to inspect pixels; wheel zooms, right-drag pans.");
  }
}
