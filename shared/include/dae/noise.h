// Seeded noise models shared by the trainer and the browser, so both corrupt images identically.
// All work on values in [0, 1] and clip their result back to [0, 1].
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dae/result.h"

namespace dae {

// A small, fast, portable generator (SplitMix64 seeding, xoshiro256**): the same seed gives the same
// numbers natively and in WebAssembly, unlike the standard library's distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  uint64_t next();
  float uniform();  // [0, 1)
  float normal();   // standard normal
  // Poisson-distributed count with mean `lambda` (>= 0).
  float poisson(float lambda);

 private:
  uint64_t s_[4];
  float spare_ = 0.0f;
  bool has_spare_ = false;
};

enum class NoiseKind {
  Gaussian,    // x + amount·N(0, 1)
  SaltPepper,  // each pixel set to 0 or 1 with probability `amount`
  Speckle,     // x + amount·x·N(0, 1)
  Poisson,     // Poisson(x·peak)/peak with peak = 1/amount², so amount is the noise std at x = 1
  // A camera's noise (camera_noise.cpp has the model and where its numbers come from): sRGB to linear light,
  // inverse white balance, shot and read noise on an RGGB mosaic, bilinear demosaic, white balance, back to sRGB,
  // 8-bit. amount = a is the sensor's shot noise: variance 4a²·x at linear level x, so a is close to the noise
  // std of mid-gray in sRGB (0.005 is a bright day at ISO 100, 0.05 a dim room at ISO 10000: camera_iso).
  Camera,
  CameraJpeg,  // Camera, then a JPEG round trip at NoiseParams::jpeg_quality (4:2:0, the standard tables)
};

// Every kind, in the order the app's menu shows them; names come from noise_name and are what the CLI, the trainer
// and the page's API take (parse_noise_kind).
inline constexpr NoiseKind kNoiseKinds[] = {NoiseKind::Gaussian, NoiseKind::SaltPepper, NoiseKind::Speckle,
                                            NoiseKind::Poisson,  NoiseKind::Camera,     NoiseKind::CameraJpeg};

struct NoiseParams {
  NoiseKind kind = NoiseKind::Gaussian;
  float amount = 0.3f;  // σ for Gaussian and speckle, probability for salt-and-pepper
  int jpeg_quality = 90;  // CameraJpeg: 1..100 on the IJG scale that libjpeg's and most cameras' settings use
  // Camera kinds: where this image's pixel (0, 0) lies on the sensor's colour filter and the JPEG block grid (a crop
  // of a bigger photo has its own phase there; a whole photo starts at 0).
  int origin_x = 0, origin_y = 0;
};

// Whether a kind's amount is a probability (salt-and-pepper: "p") rather than a noise std ("σ").
inline bool amount_is_probability(NoiseKind kind) {
  return kind == NoiseKind::SaltPepper;
}

// Whether a kind works on whole images (neighbouring pixels and colour channels together) rather than value by value.
inline bool is_camera(NoiseKind kind) {
  return kind == NoiseKind::Camera || kind == NoiseKind::CameraJpeg;
}

// The ISO setting whose sensor noise a camera amount corresponds to (ISO 100 at 0.005, growing with amount²): a
// label for people, the model itself needs only the amount.
float camera_iso(float amount);

const char* noise_name(NoiseKind kind);
Result<NoiseKind> parse_noise_kind(std::string_view name);

// out[i] = noisy version of clean[i]; out may equal clean. The camera kinds need the image's shape: here the values
// are taken as one gray row (use add_noise_image for images).
void add_noise(const float* clean, float* out, size_t count, const NoiseParams& params, Rng& rng);
// Applies noise only where mask[i] > 0, blending by mask (the browser's noise brush).
void add_noise_masked(const float* clean, const float* mask, float* out, size_t count, const NoiseParams& params,
                      Rng& rng);

// Noise for a planar image [channels, height, width] (channels 1 or 3): every kind. For the value-by-value kinds the
// numbers are add_noise's over all channels in order; a gray image gets camera noise as the luma of a colour camera's
// output for it. out may equal clean.
void add_noise_image(const float* clean, float* out, int channels, int height, int width, const NoiseParams& params,
                     Rng& rng);
// The same blended towards the clean image by a one-plane mask [height, width] in [0, 1] (the noise brush); the noise
// drawn is that of add_noise_image whatever the mask.
void add_noise_image_masked(const float* clean, const float* mask, float* out, int channels, int height, int width,
                            const NoiseParams& params, Rng& rng);

// A baseline JPEG's loss without its lossless coding: 8-bit samples, YCbCr (JFIF), 4:2:0 chroma (2×2 mean),
// 8×8 DCT quantised with the JPEG standard's example tables scaled for `quality` as libjpeg does, dequantised,
// inverse DCT, chroma upsampled with libjpeg's triangle filter, back to 8-bit values in [0, 1]. Planar, channels 1
// (luma only) or 3, in place. The block grid starts at (-origin_x mod 16, -origin_y mod 16).
void jpeg_round_trip(float* image, int channels, int height, int width, int quality, int origin_x = 0,
                     int origin_y = 0);

}  // namespace dae
