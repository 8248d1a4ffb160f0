// The image panes, sharing zoom, pan and the pixel inspector: for 28×28 images three panes (clean, the draw pad;
// noisy; the result view); for full-resolution images one large pane split between two images at a draggable line.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

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

// Full-resolution detail of the image behind `texture` (clean, noisy, denoised or difference), [x0, x1) × [y0, y1).
static bool make_detail(AppState& s, int slot, unsigned texture, int x0, int y0, int x1, int y1) {
  Textures& t = s.textures;
  if (texture == t.difference)
    return !s.denoised.empty() && detail_difference(t, t.detail[slot], texture, s.denoised.data(), s.clean.data(),
                                                    s.clean.w, s.clean.h, s.clean.c, x0, y0, x1, y1);
  const Image& im = texture == t.clean ? s.clean : texture == t.noisy ? s.noisy : s.denoised;
  if (im.empty() || !im.same_shape(s.clean)) return false;
  return detail_image(t, t.detail[slot], texture, im.data(), im.w, im.h, im.c, x0, y0, x1, y1);
}

// Draws [uv0, uv1] of an image's texture into [p0, p1]. Where the texture is a copy scaled down to fit the GPU and the
// view magnifies it (zoomed in past its resolution), the visible part goes over it at full resolution (slot: the
// detail texture of the single view or of a side of the split view).
static void draw_image(AppState& s, ImDrawList* dl, unsigned texture, int slot, ImVec2 p0, ImVec2 p1, ImVec2 uv0,
                       ImVec2 uv1) {
  dl->AddImage(tex_id(texture), p0, p1, uv0, uv1);
  const int f = texture_shrink(s.textures, texture), w = s.clean.w, h = s.clean.h;
  const float du = uv1.x - uv0.x, dv = uv1.y - uv0.y;
  if (f <= 1 || du <= 0 || dv <= 0 || p1.x <= p0.x || p1.y <= p0.y) return;
  const float screen_per_pixel = (p1.x - p0.x) / (du * w);
  if (screen_per_pixel * f <= 1.0f) return;  // the scaled-down copy has a texel for every screen pixel
  const int vx0 = static_cast<int>(std::floor(uv0.x * w)), vx1 = static_cast<int>(std::ceil(uv1.x * w));
  const int vy0 = static_cast<int>(std::floor(uv0.y * h)), vy1 = static_cast<int>(std::ceil(uv1.y * h));
  DetailTexture& d = s.textures.detail[slot];
  if (!d.holds(texture, texture_version(s.textures, texture), vx0, vy0, vx1, vy1)) {
    // Around the visible pixels a quarter of their size more, so panning a little needs no new upload.
    const int mx = (vx1 - vx0) / 4, my = (vy1 - vy0) / 4;
    if (!make_detail(s, slot, texture, vx0 - mx, vy0 - my, vx1 + mx, vy1 + my) &&
        !make_detail(s, slot, texture, vx0, vy0, vx1, vy1))
      return;
  }
  // The detail's part of the shown window, in screen and in its texture's coordinates.
  const float u0 = std::max(uv0.x, static_cast<float>(d.x0) / w), u1 = std::min(uv1.x, static_cast<float>(d.x1) / w);
  const float v0 = std::max(uv0.y, static_cast<float>(d.y0) / h), v1 = std::min(uv1.y, static_cast<float>(d.y1) / h);
  if (u0 >= u1 || v0 >= v1) return;
  const float dw = static_cast<float>(d.x1 - d.x0), dh = static_cast<float>(d.y1 - d.y0);
  dl->AddImage(tex_id(d.texture),
               ImVec2(p0.x + (u0 - uv0.x) / du * (p1.x - p0.x), p0.y + (v0 - uv0.y) / dv * (p1.y - p0.y)),
               ImVec2(p0.x + (u1 - uv0.x) / du * (p1.x - p0.x), p0.y + (v1 - uv0.y) / dv * (p1.y - p0.y)),
               ImVec2((u0 * w - d.x0) / dw, (v0 * h - d.y0) / dh), ImVec2((u1 * w - d.x0) / dw, (v1 * h - d.y0) / dh));
  d.drawn = true;
}

enum class Pane { Clean, Noisy, Result };

// The denoised image (and the difference) belong to the current image; until then the panes show a placeholder.
static bool result_ready(const AppState& s) {
  return !s.denoised.empty() && s.denoised.same_shape(s.clean);
}

// What the result side shows while there is no result yet: the noisy image dimmed, the tiles already denoised over
// it, and why.
// The tiles of the job in progress that have finished, over whatever [p0, p1] shows of the image.
static void draw_finished_tiles(AppState& s, ImDrawList* dl, ImVec2 p0, ImVec2 p1, ImVec2 uv0, ImVec2 uv1) {
  const float du = uv1.x - uv0.x, dv = uv1.y - uv0.y;
  for (const dae::TileRect& r : s.partial) {
    // The tile's part inside the shown window of the image, in texture and in screen coordinates.
    const float u0 = std::max(uv0.x, static_cast<float>(r.x0) / s.clean.w);
    const float u1 = std::min(uv1.x, static_cast<float>(r.x1) / s.clean.w);
    const float v0 = std::max(uv0.y, static_cast<float>(r.y0) / s.clean.h);
    const float v1 = std::min(uv1.y, static_cast<float>(r.y1) / s.clean.h);
    if (u0 >= u1 || v0 >= v1 || du <= 0 || dv <= 0) continue;
    dl->AddImage(tex_id(s.textures.partial),
                 ImVec2(p0.x + (u0 - uv0.x) / du * (p1.x - p0.x), p0.y + (v0 - uv0.y) / dv * (p1.y - p0.y)),
                 ImVec2(p0.x + (u1 - uv0.x) / du * (p1.x - p0.x), p0.y + (v1 - uv0.y) / dv * (p1.y - p0.y)),
                 ImVec2(u0, v0), ImVec2(u1, v1));
  }
}

static void draw_pending(AppState& s, ImDrawList* dl, ImVec2 p0, ImVec2 p1, ImVec2 uv0, ImVec2 uv1) {
  dl->AddImage(tex_id(s.textures.noisy), p0, p1, uv0, uv1, IM_COL32(110, 110, 110, 255));
  draw_finished_tiles(s, dl, p0, p1, uv0, uv1);
  char text[96];
  if (!s.model_loading.empty())
    std::snprintf(text, sizeof text, "loading model '%s' %.0f%%", s.model_loading.c_str(), s.model_progress * 100);
  else if (s.cancelled)
    std::snprintf(text, sizeof text, "cancelled: %d of %d tiles done (Enter runs again)", s.cancelled_done,
                  s.cancelled_tiles);
  else if (s.denoiser.busy() && s.denoiser.tiles() > 1)
    std::snprintf(text, sizeof text, "denoising: tile %d of %d", s.denoiser.tiles_done(), s.denoiser.tiles());
  else
    std::snprintf(text, sizeof text, "denoising...");
  const ImVec2 size = ImGui::CalcTextSize(text);
  const ImVec2 at((p0.x + p1.x - size.x) / 2, (p0.y + p1.y - size.y) / 2);
  const float pad = 4 * s.dpr;
  dl->PushClipRect(p0, p1, true);
  dl->AddRectFilled(ImVec2(at.x - pad, at.y - pad), ImVec2(at.x + size.x + pad, at.y + size.y + pad),
                    IM_COL32(0, 0, 0, 190), 3 * s.dpr);
  dl->AddText(at, IM_COL32(255, 255, 255, 255), text);
  dl->PopClipRect();
}

// A caption on a dark tab at a corner of the pane, so it reads over any image.
static void caption(AppState& s, ImDrawList* dl, ImVec2 at, const char* text, bool right_aligned) {
  const ImVec2 size = ImGui::CalcTextSize(text);
  const float pad = 4 * s.dpr;
  const ImVec2 q0(right_aligned ? at.x - size.x - 2 * pad : at.x, at.y);
  dl->AddRectFilled(q0, ImVec2(q0.x + size.x + 2 * pad, q0.y + size.y + 2 * pad), IM_COL32(0, 0, 0, 170), 3 * s.dpr);
  dl->AddText(ImVec2(q0.x + pad, q0.y + pad), IM_COL32(255, 255, 255, 255), text);
}

static void draw_result(AppState& s, ImDrawList* dl, ImVec2 p0, ImVec2 p1, ImVec2 uv0, ImVec2 uv1) {
  if (!result_ready(s) && s.view != View::Clean && s.view != View::Noisy) {
    draw_pending(s, dl, p0, p1, uv0, uv1);
  } else if (s.view == View::Difference) {
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

// Mouse position over a pane in image pixels (fractional), and zoom about it with the wheel.
static void hover_and_zoom(AppState& s, ImVec2 p0, ImVec2 size, ImVec2 uv0, ImVec2 uv1, float& ix, float& iy) {
  const ImGuiIO& io = ImGui::GetIO();
  const float fx = (io.MousePos.x - p0.x) / size.x, fy = (io.MousePos.y - p0.y) / size.y;
  ix = (uv0.x + fx * (uv1.x - uv0.x)) * s.clean.w;
  iy = (uv0.y + fy * (uv1.y - uv0.y)) * s.clean.h;
  if (!ImGui::IsItemHovered()) return;
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

static void pan_by_drag(AppState& s, ImVec2 size, bool left_too) {
  const ImGuiIO& io = ImGui::GetIO();
  if (ImGui::IsItemActive() &&
      (ImGui::IsMouseDragging(ImGuiMouseButton_Right, 0) || ImGui::IsMouseDragging(ImGuiMouseButton_Middle, 0) ||
       (left_too && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0)))) {
    s.pan_x -= io.MouseDelta.x / size.x / s.zoom;
    s.pan_y -= io.MouseDelta.y / size.y / s.zoom;
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
  float ix, iy;
  hover_and_zoom(s, p0, size, uv0, uv1, ix, iy);
  const float fx = (io.MousePos.x - p0.x) / size.x;
  pan_by_drag(s, size, false);
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

// The value of every channel of `im` at pixel i, as "0.123" or "(0.1, 0.2, 0.3)".
static std::string pixel_text(const Image& im, size_t i) {
  char buf[48];
  if (im.c == 3)
    std::snprintf(buf, sizeof buf, "(%.3f, %.3f, %.3f)", im[i], im[im.plane() + i], im[2 * im.plane() + i]);
  else
    std::snprintf(buf, sizeof buf, "%.3f", im[i]);
  return buf;
}

// Metrics, progress and the pixel inspector under the images.
static void image_footer(AppState& s, const char* hint) {
  if (cleans_as_is(s)) {
    // No clean reference: what can be said without one.
    ImGui::Text("Your photo  estimated noise sigma %.4f (%.1f/255)", s.sigma_noisy, s.sigma_noisy * 255);
    if (result_ready(s))
      ImGui::Text("Denoised    estimated noise sigma %.4f (%.1f/255) at strength %.0f%%, %.0f ms", s.sigma_denoised,
                  s.sigma_denoised * 255, s.strength * 100, s.engine_ms);
    else
      ImGui::TextDisabled("Denoised    (once denoised)");
  } else {
    metric_line("Noisy    vs clean:", s.psnr_noisy, s.ssim_noisy);
    if (result_ready(s) && s.denoiser.busy() && s.denoiser.tiles() > 1)
      ImGui::TextDisabled("Denoised vs clean:  PSNR %.2f dB  SSIM %.3f "
                          "(the result before: new tiles show as they finish)",
                          s.psnr_denoised, s.ssim_denoised);
    else if (result_ready(s))
      metric_line("Denoised vs clean:", s.psnr_denoised, s.ssim_denoised);
    else
      ImGui::TextDisabled("Denoised vs clean:  (once denoised)");
  }
  if (s.denoiser.busy() && s.denoiser.tiles() > 1) {
    const int done = s.denoiser.tiles_done(), total = s.denoiser.tiles();
    char label[128], left[32] = "";
    if (const double secs = seconds_left(s); secs >= 0) std::snprintf(left, sizeof left, ", about %.0f s left", secs);
    std::snprintf(label, sizeof label, "denoising %dx%d: tile %d of %d (%d thread%s)%s", s.clean.w, s.clean.h, done,
                  total, s.denoiser.threads(), s.denoiser.threads() == 1 ? "" : "s", left);
    if (ImGui::SmallButton("Cancel (Esc)")) cancel_denoise(s);
    ImGui::SameLine();
    ImGui::ProgressBar(static_cast<float>(done) / total, ImVec2(-1, 0), label);
  } else if (s.cancelled) {
    if (ImGui::SmallButton("Run again (Enter)")) run_again(s);
    ImGui::SameLine();
    ImGui::TextDisabled("cancelled after %d of %d tiles", s.cancelled_done, s.cancelled_tiles);
  } else if (!s.model_loading.empty()) {
    char label[96];
    std::snprintf(label, sizeof label, "downloading model '%s'", s.model_loading.c_str());
    ImGui::ProgressBar(s.model_progress, ImVec2(-1, 0), label);
  }
  if (s.inspect_x >= 0 && result_ready(s) && s.noisy.same_shape(s.clean)) {
    const size_t i = static_cast<size_t>(s.inspect_y) * s.clean.w + s.inspect_x;
    if (cleans_as_is(s))
      ImGui::TextWrapped("Pixel (%d, %d)%s: photo %s  denoised %s", s.inspect_x, s.inspect_y,
                         s.clean.c == 3 ? " RGB" : "", pixel_text(s.noisy, i).c_str(), pixel_text(s.denoised, i).c_str());
    else
      ImGui::TextWrapped("Pixel (%d, %d)%s: clean %s  noisy %s  denoised %s", s.inspect_x, s.inspect_y,
                         s.clean.c == 3 ? " RGB" : "", pixel_text(s.clean, i).c_str(), pixel_text(s.noisy, i).c_str(),
                         pixel_text(s.denoised, i).c_str());
  } else {
    ImGui::TextDisabled("%s", hint);
  }
}

static unsigned single_texture(const AppState& s) {
  switch (s.view) {
    case View::Clean: return s.textures.clean;
    case View::Noisy: return s.textures.noisy;
    case View::Denoised: return s.textures.denoised;
    case View::Difference: return s.textures.difference;
  }
  return s.textures.denoised;
}

static const char* view_name(const AppState& s, View v) {
  const bool as_is = cleans_as_is(s);
  switch (v) {
    case View::Clean: return as_is ? "Your photo" : "Clean";
    case View::Noisy: return as_is ? "Your photo" : "Noisy";
    case View::Denoised: return "Denoised";
    case View::Difference: return as_is ? "Difference |denoised - photo|: what was removed" : "Difference |denoised - clean|";
  }
  return "";
}

// Full-resolution images: one pane as large as the window allows. Split: the left image left of the line, the
// denoised image right of it, the same pixels under both, so the line can be dragged across any detail.
static void large_view(AppState& s) {
  const ImGuiIO& io = ImGui::GetIO();
  const float text_h = ImGui::GetTextLineHeightWithSpacing();
  const bool split = s.compare != Compare::Single;
  const char* left_name = cleans_as_is(s) ? "Your photo" : s.compare == Compare::CleanDenoised ? "Clean" : "Noisy";
  if (!s.narrow) {
    if (ImGui::SmallButton(s.hide_controls ? "Show controls (F)" : "Hide controls (F)"))
      s.hide_controls = !s.hide_controls;
    ImGui::SameLine();
  }
  // A phone has no wheel or right button, and little width.
  if (split)
    ImGui::Text("%s | denoised: drag the line%s", left_name, s.narrow ? "" : "; wheel zooms, right-drag pans");
  else
    ImGui::Text("%s%s", view_name(s, s.view), s.narrow ? "" : ": wheel zooms, drag pans");

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float aspect = static_cast<float>(s.clean.h) / s.clean.w;
  float pane_w = avail.x, pane_h = pane_w * aspect;
  const float max_h = avail.y - 4 * text_h;  // metric lines, progress and inspector below
  if (pane_h > max_h) {
    pane_h = std::max(32.0f, max_h);
    pane_w = pane_h / aspect;
  }
  const ImVec2 size(std::floor(pane_w), std::floor(pane_h));
  ImGui::SetCursorPosX(ImGui::GetCursorPosX() + std::floor((avail.x - size.x) / 2));
  ImVec2 uv0, uv1;
  visible_uv(s, uv0, uv1);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImVec2 p1(p0.x + size.x, p0.y + size.y);
  for (float(&r)[4] : s.pane_rects) r[0] = r[1] = r[2] = r[3] = 0;
  float* rect = s.pane_rects[static_cast<int>(Pane::Result)];
  rect[0] = p0.x, rect[1] = p0.y, rect[2] = size.x, rect[3] = size.y;
  ImGui::InvisibleButton(
      "##large", size,
      ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight | ImGuiButtonFlags_MouseButtonMiddle);
  float ix, iy;
  hover_and_zoom(s, p0, size, uv0, uv1, ix, iy);
  if (split && ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left))
    s.split = std::clamp((io.MousePos.x - p0.x) / size.x, 0.0f, 1.0f);
  pan_by_drag(s, size, !split);

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float pad = 6 * s.dpr;
  for (DetailTexture& d : s.textures.detail) d.drawn = false;
  if (!split) {
    if (!result_ready(s) && (s.view == View::Denoised || s.view == View::Difference))
      draw_pending(s, dl, p0, p1, uv0, uv1);
    else
      draw_image(s, dl, single_texture(s), 0, p0, p1, uv0, uv1);
    // A new run over a result shown (the noise or the model changed): its tiles replace the old ones as they finish.
    if (s.view == View::Denoised && result_ready(s) && s.denoiser.busy())
      draw_finished_tiles(s, dl, p0, p1, uv0, uv1);
    caption(s, dl, ImVec2(p0.x + pad, p0.y + pad),
            s.view == View::Difference && s.clean.c == 3
                ? (cleans_as_is(s) ? "|denoised - photo| x4, per channel" : "|denoised - clean| x4, per channel")
                : view_name(s, s.view),
            false);
  } else {
    const float xs = std::floor(p0.x + size.x * s.split);
    const float us = uv0.x + (uv1.x - uv0.x) * s.split;
    draw_image(s, dl, s.compare == Compare::CleanDenoised ? s.textures.clean : s.textures.noisy, 0, p0,
               ImVec2(xs, p1.y), uv0, ImVec2(us, uv1.y));
    if (result_ready(s)) {
      draw_image(s, dl, s.textures.denoised, 1, ImVec2(xs, p0.y), p1, ImVec2(us, uv0.y), uv1);
      if (s.denoiser.busy()) draw_finished_tiles(s, dl, ImVec2(xs, p0.y), p1, ImVec2(us, uv0.y), uv1);
    } else {
      draw_pending(s, dl, ImVec2(xs, p0.y), p1, ImVec2(us, uv0.y), uv1);
    }
    // The line and a round handle in its middle, so it is clear the split can be dragged.
    const ImU32 line = IM_COL32(255, 200, 0, 255);
    const float ym = (p0.y + p1.y) / 2, r = 9 * s.dpr;
    dl->AddLine(ImVec2(xs, p0.y), ImVec2(xs, p1.y), line, 2.0f * s.dpr);
    dl->AddCircleFilled(ImVec2(xs, ym), r, IM_COL32(0, 0, 0, 200));
    dl->AddCircle(ImVec2(xs, ym), r, line, 0, 2.0f * s.dpr);
    dl->AddTriangleFilled(ImVec2(xs - r * 0.7f, ym), ImVec2(xs - r * 0.2f, ym - r * 0.45f),
                          ImVec2(xs - r * 0.2f, ym + r * 0.45f), line);
    dl->AddTriangleFilled(ImVec2(xs + r * 0.7f, ym), ImVec2(xs + r * 0.2f, ym + r * 0.45f),
                          ImVec2(xs + r * 0.2f, ym - r * 0.45f), line);
    caption(s, dl, ImVec2(p0.x + pad, p0.y + pad), left_name, false);
    caption(s, dl, ImVec2(p1.x - pad, p0.y + pad), "Denoised", true);
  }
  dl->AddRect(p0, p1, ImGui::IsItemHovered() ? IM_COL32(255, 200, 0, 255) : IM_COL32(90, 90, 100, 255));
  if (!ImGui::IsItemHovered() && !ImGui::IsItemActive()) s.inspect_x = s.inspect_y = -1;
  if (s.zoom > 1.0f) {
    char z[32];
    std::snprintf(z, sizeof z, "zoom %.1fx (0: reset)", s.zoom);
    caption(s, dl, ImVec2(p1.x - pad, p1.y - pad - ImGui::GetTextLineHeight() - 2 * 4 * s.dpr), z, true);
  }
  image_footer(s, "Hover the image to inspect pixels.");
}

void panel_images(AppState& s) {
  if (s.clean.empty()) return;
  if (uses_large_view(s)) {
    large_view(s);
    return;
  }
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
  image_footer(s, "Hover a pane to inspect pixels; wheel zooms, right-drag pans.");
}
