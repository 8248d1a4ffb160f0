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
};

// Every kind, in the order the app's menu shows them; names come from noise_name and are what the CLI, the trainer
// and the page's API take (parse_noise_kind).
inline constexpr NoiseKind kNoiseKinds[] = {NoiseKind::Gaussian, NoiseKind::SaltPepper, NoiseKind::Speckle,
                                            NoiseKind::Poisson};

struct NoiseParams {
  NoiseKind kind = NoiseKind::Gaussian;
  float amount = 0.3f;  // σ for Gaussian and speckle, probability for salt-and-pepper
};

// Whether a kind's amount is a probability (salt-and-pepper: "p") rather than a noise std ("σ").
inline bool amount_is_probability(NoiseKind kind) {
  return kind == NoiseKind::SaltPepper;
}

const char* noise_name(NoiseKind kind);
Result<NoiseKind> parse_noise_kind(std::string_view name);

// out[i] = noisy version of clean[i]; out may equal clean.
void add_noise(const float* clean, float* out, size_t count, const NoiseParams& params, Rng& rng);
// Applies noise only where mask[i] > 0, blending by mask (the browser's noise brush).
void add_noise_masked(const float* clean, const float* mask, float* out, size_t count, const NoiseParams& params,
                      Rng& rng);

}  // namespace dae
