// Images and models of different channel counts: see channels.h.
#include "dae/channels.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "dae/noise.h"

namespace dae {
namespace {

// The normalised median absolute deviation of a Gaussian: MAD / 0.6745 estimates σ.
constexpr float kMadToSigma = 1.0f / 0.6745f;
constexpr uint64_t kGraySeed = 0x6772617931ull;  // the synthetic color noise is the same on every run and platform

// One generator per pixel and draw, seeded by its absolute position: tiles and threads agree without sharing state.
Rng pixel_rng(int draw, int y, int x) {
  const uint64_t key =
      kGraySeed ^ (uint64_t(uint32_t(draw)) << 56) ^ (uint64_t(uint32_t(y)) << 28) ^ uint64_t(uint32_t(x));
  return Rng(key);
}

// One draw's RGB input for a gray image y with noise σ: y + m in each channel, m zero-sum over R, G and B with
// per-channel std σ·√2. Gaussian noise of std σ·√3 independent per channel splits exactly into its mean over the
// channels (std σ, the same in all three) and a zero-sum rest (std σ·√2): y's own noise is the first, m the second.
// So y + m is distributed as a gray image with the per-channel noise the model learned, and the mean of its
// channels is still y (up to clipping).
void gray_to_color(const float* gray, float* rgb, int h, int w, float sigma, int draw, int ox, int oy) {
  const size_t plane = size_t(h) * w;
  const float scale = sigma * std::sqrt(3.0f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      Rng rng = pixel_rng(draw, oy + y, ox + x);
      float g[3] = {rng.normal(), rng.normal(), rng.normal()};
      const float mean = (g[0] + g[1] + g[2]) / 3.0f;
      const size_t i = size_t(y) * w + x;
      for (int c = 0; c < 3; ++c) rgb[c * plane + i] = std::clamp(gray[i] + scale * (g[c] - mean), 0.0f, 1.0f);
    }
}

std::string count_name(int channels) {
  return std::to_string(channels) + "-channel";
}

}  // namespace

float estimate_noise_sigma(const float* plane, int h, int w) {
  if (h < 2 || w < 2) return 0.0f;
  std::vector<float> d;
  d.reserve(size_t(h / 2) * (w / 2));
  for (int y = 0; y + 1 < h; y += 2)
    for (int x = 0; x + 1 < w; x += 2) {
      const float* a = plane + size_t(y) * w + x;
      const float* b = a + w;
      d.push_back(std::fabs(a[0] - a[1] - b[0] + b[1]) * 0.5f);
    }
  auto mid = d.begin() + d.size() / 2;
  std::nth_element(d.begin(), mid, d.end());
  return *mid * kMadToSigma;
}

Result<std::string> channel_plan(const Model& model, int image_channels) {
  const int mc = model.arch().channels;
  const std::string who = "the " + count_name(mc) + " model '" + model.arch().name + "'";
  if (image_channels == mc) return std::string();
  if (mc == 1 && image_channels == 3) return "color input, " + who + ": each color channel is denoised separately";
  if (mc == 3 && image_channels == 1)
    return "grayscale input, " + who +
           ": gray given synthetic color noise of its estimated level, the mean of R, G, B kept";
  return Status::Error(who + " cannot denoise " + count_name(image_channels) +
                       " images (only 1- or 3-channel images, with 1- or 3-channel models)");
}

Result<Tensor> model_input(const Tensor& noisy, int model_channels, const ChannelOptions& options, int draw) {
  const int c = noisy.c;
  if (c == model_channels) return noisy;
  if (model_channels == 1 && c == 3) {
    // Planar NCHW is already N·C single-channel images in a row: the same values read as a batch.
    Tensor planes = noisy;
    planes.n = noisy.n * noisy.c, planes.c = 1;
    return planes;
  }
  if (model_channels == 3 && c == 1) {
    Tensor rgb(noisy.n, 3, noisy.h, noisy.w);
    for (int n = 0; n < noisy.n; ++n) {
      const float* gray = noisy.at(n, 0);
      const float sigma =
          options.gray_sigma >= 0.0f ? options.gray_sigma : estimate_noise_sigma(gray, noisy.h, noisy.w);
      gray_to_color(gray, rgb.at(n, 0), noisy.h, noisy.w, sigma, draw, options.origin_x, options.origin_y);
    }
    return rgb;
  }
  return Status::Error("a " + count_name(model_channels) + " model cannot denoise " + count_name(c) +
                       " images (only 1- or 3-channel images, with 1- or 3-channel models)");
}

Result<Tensor> image_from_output(const Tensor& out, int image_channels) {
  if (out.c == image_channels) return out;
  if (out.c == 1 && image_channels == 3 && out.n % 3 == 0) {
    Tensor y = out;
    y.n = out.n / 3, y.c = 3;
    return y;
  }
  if (out.c == 3 && image_channels == 1) {
    // The mean of R, G and B, not luma: the gray image was the mean of the model's input (see gray_to_color).
    Tensor gray(out.n, 1, out.h, out.w);
    for (int n = 0; n < out.n; ++n) {
      const float *r = out.at(n, 0), *g = out.at(n, 1), *b = out.at(n, 2);
      float* dst = gray.at(n, 0);
      for (size_t i = 0; i < gray.plane(); ++i) dst[i] = (r[i] + g[i] + b[i]) * (1.0f / 3.0f);
    }
    return gray;
  }
  return Status::Error("a model output of " + std::to_string(out.n) + " image(s) of " + count_name(out.c) +
                       " cannot become " + count_name(image_channels) + " images");
}

Result<Tensor> denoise_channels(const Model& model, const Tensor& noisy, const ChannelOptions& options) {
  Result<std::string> plan = channel_plan(model, noisy.c);
  if (!plan.ok()) return plan.status();
  const bool gray_in_color = model.arch().channels == 3 && noisy.c == 1;
  const int draws = gray_in_color ? options.gray_draws : 1;
  if (draws < 1 || draws > 64)
    return Status::Error("denoise: gray_draws must be 1 to 64, not " + std::to_string(draws));
  ChannelOptions o = options;
  if (gray_in_color && o.gray_sigma < 0.0f && noisy.n == 1 && draws > 1)
    o.gray_sigma = estimate_noise_sigma(noisy.data.data(), noisy.h, noisy.w);  // once, not once per draw
  Tensor sum;
  for (int d = 0; d < draws; ++d) {
    Result<Tensor> in = model_input(noisy, model.arch().channels, o, d);
    if (!in.ok()) return in;
    Result<Tensor> out = denoise(model, *in, o.run);
    if (!out.ok()) return out;
    Result<Tensor> y = image_from_output(*out, noisy.c);
    if (!y.ok() || draws == 1) return y;
    if (d == 0)
      sum = std::move(*y);
    else
      for (size_t i = 0; i < sum.size(); ++i) sum.data[i] += y->data[i];
  }
  for (float& v : sum.data) v = std::clamp(v / float(draws), 0.0f, 1.0f);
  return sum;
}

}  // namespace dae
