// Image quality metrics and classical denoising filters, shared by the trainer's report, the
// command-line tool and the browser so every PSNR shown is computed the same way.
#pragma once

#include <cstddef>

namespace dae {

// Mean squared error over `count` values.
double mse(const float* a, const float* b, size_t count);
// Peak signal-to-noise ratio in dB for data range 1; capped at 100 dB for identical images; NaN when the error is
// NaN or infinite (an input holds NaN or infinity), never a number that could win a comparison.
double psnr_db(double mse_value);
double psnr_db(const float* a, const float* b, size_t count);
// Structural similarity (Wang et al. 2004) of two h×w images in [0, 1]: 7×7 Gaussian window
// (σ = 1.5) over the whole image with edge replication, K1 = 0.01, K2 = 0.03, mean of the map. NaN when either
// image holds NaN or infinity.
double ssim(const float* a, const float* b, int h, int w);
// SSIM of planar images (`channels` planes of h×w, e.g. RGB): the mean of the per-channel SSIMs.
double ssim_channels(const float* a, const float* b, int channels, int h, int w);

// Classical baselines for the report: separable Gaussian blur and a (2r+1)×(2r+1) median filter,
// both with edge replication. out must not alias in.
void gaussian_blur(const float* in, float* out, int h, int w, float sigma);
void median_filter(const float* in, float* out, int h, int w, int radius);

}  // namespace dae
