// Images meet models of another channel count: the one place that decides how a color image goes through a
// grayscale model and a grayscale image through a color model (the CLI, the trainer's reports and the app all
// come here).
#pragma once

#include <cstdint>

#include "dae/engine.h"

namespace dae {

// Rec. 601 luma: the one color-to-gray formula of the project (image files, training data, the app, the engine).
inline constexpr float kLumaR = 0.299f, kLumaG = 0.587f, kLumaB = 0.114f;
inline float luma(float r, float g, float b) {
  return kLumaR * r + kLumaG * g + kLumaB * b;
}

// Standard deviation of additive white noise in an h×w plane, estimated from the median absolute value of its
// finest diagonal Haar detail (Donoho's MAD estimate): edges and texture barely move it, flat clipped areas pull
// it down a little. Planes smaller than 2×2 give 0.
float estimate_noise_sigma(const float* plane, int h, int w);

struct ChannelOptions {
  RunOptions run;
  // A grayscale image given to a 3-channel model: its noise σ on the [0, 1] scale; negative means estimate it
  // from each image (estimate_noise_sigma).
  float gray_sigma = -1.0f;
  // A grayscale image given to a 3-channel model is run this many times, each with different synthetic color
  // noise, and the results averaged (slower; on the test photos 2 draws gain about 0.1 dB over 1).
  int gray_draws = 1;
  // Where this piece lies in the whole image: the synthetic color noise is a function of the absolute pixel
  // position, so tiles of one image get the same noise where they overlap.
  int origin_x = 0, origin_y = 0;
};

// Denoises [N, C, H, W] images (C = 1 or 3) with a model of 1 or 3 channels; the result has C channels.
// - Same count: dae::denoise.
// - Color image, 1-channel model: each color channel is denoised on its own (the planes as one batch).
// - Grayscale image, 3-channel model: a color model learned noise that differs between R, G and B, and three
//   equal channels with equal noise look like structure to it. So the gray image y (noise σ) gets zero-sum
//   color noise m in each pixel, of the size that makes y + m exactly an RGB image of gray content with
//   independent noise of σ·√3 per channel, the kind the model was trained on; the mean of the output's channels
//   is the result, averaged over `gray_draws` draws of m. No information is added or lost: the channel mean of
//   y + m is y.
Result<Tensor> denoise_channels(const Model& model, const Tensor& noisy, const ChannelOptions& options = {});

// The two halves of denoise_channels for a backend that runs the model itself (ONNX Runtime in the app), so both
// backends see the same tensors: the model's input for draw `draw`, and its output back as `image_channels`-channel
// images (for a gray image through a color model, one draw's channel mean).
Result<Tensor> model_input(const Tensor& noisy, int model_channels, const ChannelOptions& options = {}, int draw = 0);
Result<Tensor> image_from_output(const Tensor& out, int image_channels);

// What denoise_channels does for `image_channels`-channel images with this model, in a few words for a status
// line; empty when the counts match. Errors for combinations it refuses.
Result<std::string> channel_plan(const Model& model, int image_channels);

}  // namespace dae
