// "Inside the model": every node of the model's graph run on the image on screen (a drawing whole, a photo's 64×64
// region around the pointer), its output shown channel by channel, through the engine's layer observer
// (dae::RunOptions::observer). The same numbers the denoiser computes; nothing is simulated.
#include <algorithm>
#include <cmath>
#include <cfloat>
#include <cstdio>

#include <emscripten.h>

#include "app_state.h"
#include "dae/tiles.h"
#include "imgui.h"

namespace {

constexpr int kPhotoRegion = 64;  // side of a photo's region: small enough to run at once on every change
constexpr int kCell = 48;         // side of one channel's picture in the atlas
constexpr int kGap = 2;

ImTextureID tex_id(unsigned t) {
  return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(t));
}

// A dark-blue to yellow ramp (low to high): easy to read as a heat map, distinct from the images' own colours.
void ramp(float t, uint8_t* rgb) {
  static const float stops[5][3] = {{0.05f, 0.03f, 0.25f}, {0.25f, 0.15f, 0.55f}, {0.70f, 0.20f, 0.45f},
                                    {0.95f, 0.55f, 0.15f}, {0.99f, 0.95f, 0.45f}};
  t = std::clamp(t, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(3, static_cast<int>(t));
  const float f = t - i;
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<uint8_t>(255.0f * (stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
}

std::string input_name(const dae::Arch& arch, int index) {
  return index == dae::kGraphInput ? "the input" : "'" + arch.nodes[index].name + "'";
}

}  // namespace

// The region of the image the view runs on: all of a drawing; around the pointer (or the view's middle) on a photo.
static void layer_region(const AppState& s, int& x0, int& y0, int& w, int& h) {
  if (s.kind != ImageKind::Photo) {
    x0 = y0 = 0, w = s.noisy.w, h = s.noisy.h;
    return;
  }
  w = std::min(kPhotoRegion, s.noisy.w), h = std::min(kPhotoRegion, s.noisy.h);
  const int cx = s.inspect_x >= 0 ? s.inspect_x : static_cast<int>(s.pan_x * s.noisy.w);
  const int cy = s.inspect_y >= 0 ? s.inspect_y : static_cast<int>(s.pan_y * s.noisy.h);
  x0 = std::clamp(cx - w / 2, 0, s.noisy.w - w);
  y0 = std::clamp(cy - h / 2, 0, s.noisy.h - h);
}

void update_layers(AppState& s) {
  LayerView& v = s.layers;
  // The model denoising the image: with "Watch it learn" open, the weights at the step shown.
  const std::shared_ptr<const dae::Model> model = model_in_use(s);
  if (!v.open || !model || s.noisy.empty() || !s.noisy.same_shape(s.clean)) return;
  int x0, y0, w, h;
  layer_region(s, x0, y0, w, h);
  const std::array<int, 4> region = {x0, y0, w, h};
  if (v.model == model.get() && v.generation == s.ort_generation && v.region == region && v.channels_shown == v.built_channels)
    return;
  v.model = model.get();
  v.generation = s.ort_generation;
  v.region = region;
  v.built_channels = v.channels_shown;
  v.rows.clear();
  v.error.clear();

  // The model's input as the denoiser builds it (channels arranged for the model, edge-padded to its size multiple);
  // of a batch (a gray model on a color photo runs each channel), the first image, the red channel.
  const dae::Tensor region_in = region_tensor(s.noisy, x0, y0, w, h);
  const int channels = model->arch().channels;
  dae::Result<dae::Tensor> in = dae::model_input(region_in, channels, channel_options(s.noisy, channels));
  if (!in.ok()) {
    v.error = in.error();
    return;
  }
  const dae::Arch& arch = model->arch();
  struct Seen {
    int c, h, w;
    std::vector<float> px;  // the channels shown, each c×h×w plane kept whole
    float lo, hi;
  };
  std::vector<Seen> seen;
  dae::RunOptions options;
  options.observer = [&](int, const float* data, int c, int h, int w) {
    const size_t plane = static_cast<size_t>(h) * w;
    Seen one{c, h, w, std::vector<float>(data, data + std::min(c, v.channels_shown) * plane), 0, 0};
    const auto [lo, hi] = std::minmax_element(data, data + c * plane);
    one.lo = *lo, one.hi = *hi;
    seen.push_back(std::move(one));
  };
  const double t0 = emscripten_get_now();
  const dae::Tensor padded = dae::pad_for_model(arch, *in);
  dae::Result<dae::Tensor> out = model->forward(padded, options);
  v.ms = emscripten_get_now() - t0;
  if (!out.ok()) {
    v.error = out.error();
    return;
  }

  // One atlas: a row of cells per node, its shown channels side by side, each scaled to the cell (nearest), on the
  // node's own value range.
  const int cols = std::max(1, v.channels_shown), rows = static_cast<int>(seen.size());
  const int aw = cols * (kCell + kGap), ah = rows * (kCell + kGap);
  std::vector<uint8_t> atlas(static_cast<size_t>(aw) * ah * 4, 24);
  const int code = dae::code_node(arch, padded.h, padded.w);
  for (int i = 0; i < rows; ++i) {
    const Seen& one = seen[i];
    const dae::Node& node = arch.nodes[i];
    LayerRow row;
    row.name = node.name;
    row.op = std::string(dae::op_name(node.op)) + (node.act != dae::Act::None ? std::string(" + ") + dae::act_name(node.act) : "");
    row.c = one.c, row.h = one.h, row.w = one.w;
    row.lo = one.lo, row.hi = one.hi;
    row.code = i == code;
    if (node.inputs.size() > 1)
      row.joins = (node.op == dae::Op::Concat ? "skip connection: " : "residual: ") +
                  input_name(arch, node.inputs[0]) +
                  (node.op == dae::Op::Concat ? " beside " : node.op == dae::Op::Sub ? " minus " : " plus ") +
                  input_name(arch, node.inputs[1]);
    const float range = one.hi > one.lo ? one.hi - one.lo : 1.0f;
    const size_t plane = static_cast<size_t>(one.h) * one.w;
    for (int k = 0; k < std::min(one.c, cols); ++k)
      for (int y = 0; y < kCell; ++y)
        for (int x = 0; x < kCell; ++x) {
          const int sy = y * one.h / kCell, sx = x * one.w / kCell;
          uint8_t* p = &atlas[(static_cast<size_t>(i * (kCell + kGap) + y) * aw + k * (kCell + kGap) + x) * 4];
          ramp((one.px[k * plane + static_cast<size_t>(sy) * one.w + sx] - one.lo) / range, p);
          p[3] = 255;
        }
    v.rows.push_back(std::move(row));
  }
  v.atlas_w = aw, v.atlas_h = ah;
  v.input_numbers = static_cast<int64_t>(padded.c) * padded.h * padded.w;
  upload_rgba(&v.texture, atlas.data(), aw, ah, true);
}

void panel_layers(AppState& s) {
  LayerView& v = s.layers;
  if (!v.open || !s.model) return;
  ImGui::SetNextWindowSize(ImVec2(560 * s.dpr, 520 * s.dpr), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Inside the model (L)", &v.open)) {
    ImGui::End();
    return;
  }
  ImGui::TextWrapped(
      "Every layer of '%s', run on %s: what each one outputs, channel by channel (dark: its lowest value, "
      "yellow: its highest).",
      s.model_name.c_str(), s.kind == ImageKind::Photo ? "the 64x64 pixels around the pointer" : "the noisy image");
  if (s.kind == ImageKind::Photo)
    ImGui::TextDisabled("Region %dx%d at (%d, %d): hover the photo to move it.", v.region[2], v.region[3], v.region[0],
                        v.region[1]);
  ImGui::SliderInt("Channels shown", &v.channels_shown, 1, 32);
  if (dae::code_node(s.model->arch(), 28, 28) >= 0 && s.kind == ImageKind::Small) {
    if (ImGui::Button("Walk the code...")) s.walk.open = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Slide between this image's code and a sample's, and see what the decoder makes of it");
  }
  if (!v.error.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.3f, 1), "%s", v.error.c_str());
  ImGui::TextDisabled("%zu layers, %.1f ms", v.rows.size(), v.ms);
  const float cell = kCell * s.dpr;
  const float u = static_cast<float>(kCell + kGap) / std::max(1, v.atlas_w);
  const float w = static_cast<float>(kCell) / std::max(1, v.atlas_w);
  const float dv = static_cast<float>(kCell + kGap) / std::max(1, v.atlas_h);
  const float h = static_cast<float>(kCell) / std::max(1, v.atlas_h);
  ImGui::BeginChild("##layers");
  for (size_t i = 0; i < v.rows.size(); ++i) {
    const LayerRow& r = v.rows[i];
    ImGui::Text("%zu. %s  (%s)  %d x %d x %d   values %.3g .. %.3g", i + 1, r.name.c_str(), r.op.c_str(), r.c, r.h, r.w,
                r.lo, r.hi);
    if (r.code) {
      const int64_t numbers = int64_t(r.c) * r.h * r.w;
      ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.8f, 0.2f, 1));
      ImGui::TextWrapped("The code: %lld numbers for %lld input values (%.0f%%). Everything the decoder knows about "
                         "the image passes through here.",
                         static_cast<long long>(numbers), static_cast<long long>(v.input_numbers),
                         100.0 * numbers / std::max<int64_t>(1, v.input_numbers));
      ImGui::PopStyleColor();
    }
    if (!r.joins.empty()) ImGui::TextDisabled("%s", r.joins.c_str());
    const int shown = std::min(r.c, v.built_channels);
    for (int k = 0; k < shown; ++k) {
      if (k) ImGui::SameLine();
      const ImVec2 uv0(k * u, i * dv), uv1(k * u + w, i * dv + h);
      ImGui::Image(tex_id(v.texture), ImVec2(cell, cell), uv0, uv1);
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("%s, channel %d of %d", r.name.c_str(), k + 1, r.c);
        ImGui::Image(tex_id(v.texture), ImVec2(cell * 4, cell * 4), uv0, uv1);
        ImGui::EndTooltip();
      }
    }
    if (r.c > shown) {
      ImGui::SameLine();
      ImGui::TextDisabled("+%d more", r.c - shown);
    }
    ImGui::Separator();
  }
  ImGui::EndChild();
  ImGui::End();
}

// The code of a 28×28 image (one channel) at node `code`.
static dae::Result<dae::Tensor> encode(const dae::Model& model, int code, const float* px) {
  dae::Tensor in(1, 1, 28, 28);
  std::copy_n(px, in.size(), in.data.begin());
  return model.node_output(code, dae::pad_for_model(model.arch(), in));
}

void update_walk(AppState& s) {
  CodeWalk& w = s.walk;
  const std::shared_ptr<const dae::Model> model = model_in_use(s);  // the training view's step, when open
  if (!w.open || !model || s.samples.empty()) return;
  w.sample = std::clamp(w.sample, 0, static_cast<int>(s.samples.size()) - 1);
  if (w.model == model.get() && w.clean_version == s.clean_version && w.built_sample == w.sample && w.built_t == w.t)
    return;
  w.model = model.get();
  w.clean_version = s.clean_version;
  w.built_sample = w.sample;
  w.built_t = w.t;
  w.error.clear();
  w.out = {};
  const dae::Arch& arch = model->arch();
  const int code = dae::code_node(arch, 28, 28);
  if (code < 0 || arch.channels != 1) {
    w.error = "'" + s.model_name + "' has no single code to walk: " +
              (arch.channels != 1 ? std::string("it is a color model") : std::string("its skip connections go around it")) +
              ". Pick 'seed' or 'conv'.";
    return;
  }
  if (s.kind != ImageKind::Small || s.clean.w != 28 || s.clean.h != 28 || s.clean.c != 1) {
    w.error = "The walk starts from a drawing or a sample (28x28).";
    return;
  }
  dae::Result<dae::Tensor> a = encode(*model, code, s.clean.data());
  dae::Result<dae::Tensor> b = encode(*model, code, s.samples[w.sample].px.data());
  if (!a.ok() || !b.ok()) {
    w.error = a.ok() ? b.error() : a.error();
    return;
  }
  dae::Tensor mixed = *a;
  for (size_t i = 0; i < mixed.size(); ++i) mixed.data[i] = (1.0f - w.t) * a->data[i] + w.t * b->data[i];
  w.mixed = mixed.data;
  w.code_c = mixed.c, w.code_h = mixed.h, w.code_w = mixed.w;
  dae::Result<dae::Tensor> out = model->decode(code, mixed);
  if (!out.ok()) {
    w.error = out.error();
    return;
  }
  const dae::Tensor image = dae::finish_output(std::move(*out), 28, 28);
  w.out = Image(28, 28, 1, image.data);
  upload_image(s.textures, &w.texture, w.out.data(), 28, 28, 1);
}

void panel_walk(AppState& s) {
  CodeWalk& w = s.walk;
  if (!w.open) return;
  ImGui::SetNextWindowSize(ImVec2(420 * s.dpr, 440 * s.dpr), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Walk the code", &w.open)) {
    ImGui::End();
    return;
  }
  ImGui::TextWrapped(
      "The encoder turns an image into its code; the decoder draws an image from a code alone. Here the code of the "
      "image on screen (left end) is mixed with a sample's (right end) and decoded: the pictures in between are "
      "images no one drew, made from codes in between.");
  if (!s.samples.empty()) {
    const auto label = [](void* data, int i, const char** text) {
      static std::string name;
      const auto* samples = static_cast<const std::vector<Sample>*>(data);
      name = "sample " + std::to_string(i) + " (" + dae::fashion_mnist::kClassNames[(*samples)[i].label] + ")";
      *text = name.c_str();
      return true;
    };
    ImGui::Combo("Other end", &w.sample, label, &s.samples, static_cast<int>(s.samples.size()));
  }
  ImGui::SliderFloat("Mix", &w.t, 0.0f, 1.0f, "%.2f");
  if (!w.error.empty()) {
    ImGui::TextWrapped("%s", w.error.c_str());
  } else if (!w.out.empty()) {
    const float side = 168 * s.dpr;
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(s.textures.clean)), ImVec2(side * 0.5f, side * 0.5f));
    ImGui::SameLine();
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(w.texture)), ImVec2(side, side));
    ImGui::SameLine();
    ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(s.textures.samples)), ImVec2(side * 0.5f, side * 0.5f),
                 ImVec2((w.sample % 10) / 10.0f, static_cast<float>(w.sample / 10) / ((s.samples.size() + 9) / 10)),
                 ImVec2((w.sample % 10 + 1) / 10.0f, static_cast<float>(w.sample / 10 + 1) / ((s.samples.size() + 9) / 10)));
    const int shown = std::min<int>(32, static_cast<int>(w.mixed.size()));
    ImGui::Text("The code: %d x %d x %d = %zu numbers; the first %d:", w.code_c, w.code_h, w.code_w, w.mixed.size(), shown);
    ImGui::PlotHistogram("##code", w.mixed.data(), shown, 0, nullptr, FLT_MAX, FLT_MAX,
                         ImVec2(ImGui::GetContentRegionAvail().x, 80 * s.dpr));
  }
  ImGui::End();
}
