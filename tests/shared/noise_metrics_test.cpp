// Tests for the noise models (seeded, clipped, right strength) and the quality metrics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dae/metrics.h"
#include "dae/noise.h"

namespace dae {
namespace {

std::vector<float> flat(size_t n, float v) {
  return std::vector<float>(n, v);
}

TEST(Rng, SameSeedSameNumbersAndKnownMoments) {
  Rng a(42), b(42), c(43);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
  Rng r(1);
  double sum = 0, sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = r.normal();
    sum += x;
    sq += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.02);
  double lam = 0;
  for (int i = 0; i < n; ++i) lam += r.poisson(3.5f);
  EXPECT_NEAR(lam / n, 3.5, 0.03);
}

// Known answers: noise.h promises the same numbers natively and in WebAssembly, and this suite runs in both (natively
// and under node). Integers and uniforms must match exactly; values that go through log, cos and sqrt to within a few
// ulps (the two C libraries may round their last bit differently). The numbers are the native build's.
TEST(Rng, KnownAnswersOnEveryPlatform) {
  Rng rng(20261127);
  EXPECT_EQ(rng.next(), 6702057940304510780ull);
  EXPECT_EQ(rng.next(), 9848125878446575007ull);
  EXPECT_EQ(rng.next(), 1641067575659639136ull);
  EXPECT_EQ(rng.uniform(), 0.0678076744f);
  EXPECT_EQ(rng.uniform(), 0.976352453f);
  EXPECT_FLOAT_EQ(rng.normal(), 1.65222132f);
  EXPECT_FLOAT_EQ(rng.normal(), -0.067288518f);
  EXPECT_FLOAT_EQ(rng.normal(), -1.07542419f);
  EXPECT_EQ(rng.poisson(3.5f), 8.0f);
  EXPECT_EQ(rng.poisson(40.0f), 36.0f);
  const std::vector<std::vector<float>> expected = {
      {0.0f, 0.405544609f, 0.629953742f, 0.454660803f, 1.0f, 0.560616732f},   // gaussian 0.2
      {0.0f, 1.0f, 0.25f, 0.5f, 0.75f, 1.0f},                                 // salt-pepper 0.5
      {0.0f, 0.130554467f, 0.344988436f, 0.477330416f, 1.0f, 0.560616732f},   // speckle 0.2
      {0.0f, 0.0800000057f, 0.0400000028f, 0.560000062f, 0.720000029f, 0.76000005f},  // poisson 0.2
  };
  for (int k = 0; k < 4; ++k) {
    float x[6] = {0.0f, 0.1f, 0.25f, 0.5f, 0.75f, 1.0f};
    Rng r(7);
    add_noise(x, x, 6, {NoiseKind(k), k == 1 ? 0.5f : 0.2f}, r);
    for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(x[i], expected[k][i]) << noise_name(NoiseKind(k)) << " value " << i;
  }
}

TEST(Noise, GaussianHasItsSigmaAndStaysInRange) {
  const auto clean = flat(100000, 0.5f);
  std::vector<float> noisy(clean.size());
  Rng rng(9);
  add_noise(clean.data(), noisy.data(), clean.size(), {NoiseKind::Gaussian, 0.1f}, rng);
  EXPECT_NEAR(std::sqrt(mse(clean.data(), noisy.data(), clean.size())), 0.1, 0.002);
  for (float v : noisy) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
}

TEST(Noise, EveryKindIsClippedAndSeeded) {
  const auto clean = flat(5000, 0.9f);
  for (NoiseKind kind : {NoiseKind::Gaussian, NoiseKind::SaltPepper, NoiseKind::Speckle, NoiseKind::Poisson}) {
    std::vector<float> a(clean.size()), b(clean.size());
    Rng r1(5), r2(5);
    add_noise(clean.data(), a.data(), a.size(), {kind, 0.5f}, r1);
    add_noise(clean.data(), b.data(), b.size(), {kind, 0.5f}, r2);
    EXPECT_EQ(a, b) << noise_name(kind);
    EXPECT_GT(mse(clean.data(), a.data(), a.size()), 1e-3) << noise_name(kind);
    for (float v : a) ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << noise_name(kind);
    Result<NoiseKind> parsed = parse_noise_kind(noise_name(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_FALSE(parse_noise_kind("pink").ok());
}

TEST(Noise, SaltAndPepperHitsTheRequestedFraction) {
  const auto clean = flat(100000, 0.5f);
  std::vector<float> noisy(clean.size());
  Rng rng(3);
  add_noise(clean.data(), noisy.data(), noisy.size(), {NoiseKind::SaltPepper, 0.2f}, rng);
  size_t hit = 0;
  for (float v : noisy) hit += v != 0.5f;
  EXPECT_NEAR(double(hit) / noisy.size(), 0.2, 0.01);
}

TEST(Noise, MaskedNoiseLeavesUnmaskedPixelsAlone) {
  const auto clean = flat(100, 0.3f);
  std::vector<float> mask(100, 0.0f), out(100);
  for (int i = 50; i < 100; ++i) mask[i] = 1.0f;
  Rng rng(1);
  add_noise_masked(clean.data(), mask.data(), out.data(), 100, {NoiseKind::Gaussian, 0.4f}, rng);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(out[i], 0.3f);
  EXPECT_GT(mse(clean.data() + 50, out.data() + 50, 50), 1e-3);
}

TEST(Metrics, PsnrOfKnownError) {
  const auto a = flat(64, 0.5f), b = flat(64, 0.6f);
  EXPECT_NEAR(mse(a.data(), b.data(), 64), 0.01, 1e-7);
  EXPECT_NEAR(psnr_db(a.data(), b.data(), 64), 20.0, 1e-4);
  EXPECT_EQ(psnr_db(a.data(), a.data(), 64), 100.0);
}

TEST(Metrics, NonFiniteImagesScoreNaNNotTheCap) {
  std::vector<float> clean(64, 0.5f), out(64, 0.5f);
  EXPECT_TRUE(std::isnan(psnr_db(std::nan(""))));
  EXPECT_TRUE(std::isnan(psnr_db(std::numeric_limits<double>::infinity())));
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
    out[10] = bad;
    EXPECT_TRUE(std::isnan(psnr_db(out.data(), clean.data(), 64))) << bad;
    EXPECT_TRUE(std::isnan(ssim(out.data(), clean.data(), 8, 8))) << bad;
    EXPECT_TRUE(std::isnan(ssim(clean.data(), out.data(), 8, 8))) << bad;
    EXPECT_TRUE(std::isnan(ssim_channels(out.data(), clean.data(), 1, 8, 8))) << bad;
  }
  std::fill(out.begin(), out.end(), std::nanf(""));  // an all-NaN output used to score 100 dB
  EXPECT_FALSE(psnr_db(out.data(), clean.data(), 64) > 0.0);
}

TEST(Metrics, SsimIsOneForIdenticalAndDropsWithNoise) {
  std::vector<float> img(28 * 28);
  for (int i = 0; i < 28 * 28; ++i) img[i] = float((i % 28) * (i / 28)) / (27.0f * 27.0f);
  EXPECT_NEAR(ssim(img.data(), img.data(), 28, 28), 1.0, 1e-9);
  std::vector<float> noisy(img.size()), noisier(img.size());
  Rng r1(1), r2(1);
  add_noise(img.data(), noisy.data(), img.size(), {NoiseKind::Gaussian, 0.05f}, r1);
  add_noise(img.data(), noisier.data(), img.size(), {NoiseKind::Gaussian, 0.3f}, r2);
  const double s1 = ssim(img.data(), noisy.data(), 28, 28), s2 = ssim(img.data(), noisier.data(), 28, 28);
  EXPECT_LT(s1, 1.0);
  EXPECT_LT(s2, s1);
  EXPECT_NEAR(ssim(img.data(), noisy.data(), 28, 28), ssim(noisy.data(), img.data(), 28, 28), 1e-12);
}

TEST(Metrics, ColorScoresCoverEveryChannel) {
  // Planar RGB: red is a ramp, green the ramp with mild noise, blue with strong noise.
  constexpr int kH = 24, kW = 31;
  constexpr size_t kPlane = size_t(kH) * kW;
  std::vector<float> clean(3 * kPlane), noisy(3 * kPlane);
  for (size_t i = 0; i < kPlane; ++i) clean[i] = clean[kPlane + i] = clean[2 * kPlane + i] = float(i % kW) / kW;
  std::copy_n(clean.data(), kPlane, noisy.data());
  Rng r1(3), r2(4);
  add_noise(clean.data() + kPlane, noisy.data() + kPlane, kPlane, {NoiseKind::Gaussian, 0.05f}, r1);
  add_noise(clean.data() + 2 * kPlane, noisy.data() + 2 * kPlane, kPlane, {NoiseKind::Gaussian, 0.3f}, r2);
  double per_channel = 0;
  for (int c = 0; c < 3; ++c) per_channel += ssim(noisy.data() + c * kPlane, clean.data() + c * kPlane, kH, kW);
  EXPECT_NEAR(ssim_channels(noisy.data(), clean.data(), 3, kH, kW), per_channel / 3, 1e-12);
  EXPECT_NEAR(ssim_channels(noisy.data() + kPlane, clean.data(), 1, kH, kW),
              ssim(noisy.data() + kPlane, clean.data(), kH, kW), 1e-12);
  EXPECT_NEAR(ssim_channels(clean.data(), clean.data(), 3, kH, kW), 1.0, 1e-9);
  // PSNR over all values: an error of 0.1 in one channel of three is a third of the MSE, +4.77 dB.
  std::vector<float> shifted = clean;
  for (size_t i = 0; i < kPlane; ++i) shifted[kPlane + i] += 0.1f;
  EXPECT_NEAR(psnr_db(shifted.data(), clean.data(), 3 * kPlane), 20.0 + 10.0 * std::log10(3.0), 1e-4);
}

TEST(Filters, BlurAndMedianRemoveNoiseFromAFlatImage) {
  const auto clean = flat(32 * 32, 0.5f);
  std::vector<float> noisy(clean.size()), blurred(clean.size()), median(clean.size());
  Rng rng(8);
  add_noise(clean.data(), noisy.data(), noisy.size(), {NoiseKind::Gaussian, 0.2f}, rng);
  gaussian_blur(noisy.data(), blurred.data(), 32, 32, 1.0f);
  median_filter(noisy.data(), median.data(), 32, 32, 1);
  const double before = mse(clean.data(), noisy.data(), clean.size());
  EXPECT_LT(mse(clean.data(), blurred.data(), clean.size()), before / 4);
  EXPECT_LT(mse(clean.data(), median.data(), clean.size()), before / 2);
  // A median keeps a step edge exactly.
  std::vector<float> step(32 * 32), out(step.size());
  for (int i = 0; i < 32 * 32; ++i) step[i] = (i % 32) < 16 ? 0.0f : 1.0f;
  median_filter(step.data(), out.data(), 32, 32, 2);
  EXPECT_EQ(out, step);
}

}  // namespace
}  // namespace dae
