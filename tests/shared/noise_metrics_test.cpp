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

// Camera noise: what the model in camera_noise.cpp promises, measured on flat images where the answer is known.
float srgb_to_linear(float v) {
  return v <= 0.04045f ? v / 12.92f : std::pow((v + 0.055f) / 1.055f, 2.4f);
}
float linear_to_srgb(float v) {
  return v <= 0.0031308f ? 12.92f * v : 1.055f * std::pow(v, 1.0f / 2.4f) - 0.055f;
}

// A flat colour image at linear level `linear` in every channel, through camera noise; returns the noise in linear
// light of channel `c` at the pixels whose sensor colour is `site` (0 R, 1 G, 2 B on RGGB from the origin).
std::vector<double> camera_noise_at(float linear, int c, int site, float amount, uint64_t seed, int side = 256) {
  const size_t plane = size_t(side) * side;
  std::vector<float> img(3 * plane, linear_to_srgb(linear)), out(img.size());
  Rng rng(seed);
  add_noise_image(img.data(), out.data(), 3, side, side, {NoiseKind::Camera, amount}, rng);
  std::vector<double> noise;
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const int colour = (y & 1) == 0 ? ((x & 1) == 0 ? 0 : 1) : ((x & 1) == 0 ? 1 : 2);
      if (colour == site) noise.push_back(srgb_to_linear(out[c * plane + size_t(y) * side + x]) - linear);
    }
  return noise;
}

double variance(const std::vector<double>& v) {
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  for (double x : v) sq += (x - mean) * (x - mean);
  return sq / v.size();
}

TEST(CameraNoise, VarianceGrowsWithBrightnessAsShotNoise) {
  // Green at green sites is neither interpolated nor white-balanced: variance shot·x + read with shot = 4a².
  const float a = 0.04f, shot = 4 * a * a;
  std::vector<double> levels = {0.15, 0.3, 0.45}, vars;
  for (double x : levels) vars.push_back(variance(camera_noise_at(float(x), 1, 1, a, 11)));
  EXPECT_GT(vars[1], 1.5 * vars[0]);
  EXPECT_GT(vars[2], 1.3 * vars[1]);
  const double slope = (vars[2] - vars[0]) / (levels[2] - levels[0]);
  EXPECT_NEAR(slope / shot, 1.0, 0.15) << "shot noise slope " << slope << " against " << shot;
  // The read noise is what is left at zero signal: small beside shot noise at this level, but there.
  const double read = vars[0] - slope * levels[0];
  EXPECT_GT(read, 0.0);
  EXPECT_LT(read, 0.3 * vars[0]);
}

TEST(CameraNoise, RedAndBlueCarryTheirWhiteBalanceGain) {
  // At its own sites red is sensed at x / gain and multiplied back: variance ≈ gain·shot·x, gain in [1.9, 2.4];
  // blue's gain is in [1.5, 1.9]. Averaged over seeds, since each image draws its own gains.
  double red = 0, blue = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const double green = variance(camera_noise_at(0.25f, 1, 1, 0.03f, seed));
    red += variance(camera_noise_at(0.25f, 0, 0, 0.03f, seed)) / green / 4;
    blue += variance(camera_noise_at(0.25f, 2, 2, 0.03f, seed)) / green / 4;
  }
  EXPECT_GT(red, 1.8);
  EXPECT_LT(red, 2.6);
  EXPECT_GT(blue, 1.4);
  EXPECT_LT(blue, 2.0);
}

TEST(CameraNoise, DemosaicingCorrelatesNeighboursWhereGaussianNoiseDoesNot) {
  constexpr int kSide = 128;
  constexpr size_t kPlane = size_t(kSide) * kSide;
  const auto correlation = [&](NoiseKind kind) {
    std::vector<float> img(3 * kPlane, 0.5f), out(img.size());
    Rng rng(5);
    add_noise_image(img.data(), out.data(), 3, kSide, kSide, {kind, 0.03f}, rng);
    double num = 0, den = 0;
    for (int y = 0; y < kSide; ++y)
      for (int x = 0; x + 1 < kSide; ++x) {
        const size_t i = kPlane + size_t(y) * kSide + x;  // green
        num += (out[i] - 0.5) * (out[i + 1] - 0.5);
        den += (out[i] - 0.5) * (out[i] - 0.5);
      }
    return num / den;
  };
  EXPECT_GT(correlation(NoiseKind::Camera), 0.25);
  EXPECT_LT(std::abs(correlation(NoiseKind::Gaussian)), 0.05);
}

TEST(CameraNoise, SeededEightBitInRangeAndGrayIsTheLumaOfColour) {
  constexpr int kH = 37, kW = 29;
  constexpr size_t kPlane = size_t(kH) * kW;
  std::vector<float> rgb(3 * kPlane), gray(kPlane);
  for (size_t i = 0; i < kPlane; ++i) {
    rgb[i] = float(i % kW) / kW, rgb[kPlane + i] = float(i / kW) / kH, rgb[2 * kPlane + i] = 0.5f;
    gray[i] = rgb[i];
  }
  for (NoiseKind kind : {NoiseKind::Camera, NoiseKind::CameraJpeg}) {
    for (int channels : {1, 3}) {
      const std::vector<float>& clean = channels == 3 ? rgb : gray;
      std::vector<float> a(clean.size()), b(clean.size());
      Rng r1(3), r2(3);
      add_noise_image(clean.data(), a.data(), channels, kH, kW, {kind, 0.05f}, r1);
      add_noise_image(clean.data(), b.data(), channels, kH, kW, {kind, 0.05f}, r2);
      EXPECT_EQ(a, b) << noise_name(kind);
      EXPECT_GT(mse(clean.data(), a.data(), a.size()), 1e-4) << noise_name(kind);
      for (float v : a) {
        ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
        ASSERT_NEAR(v * 255.0f, std::round(v * 255.0f), 1e-3) << "not an 8-bit value";
      }
    }
  }
  // Odd shapes down to one pixel work, at any origin.
  for (int h : {1, 2, 3})
    for (int w : {1, 2, 17}) {
      std::vector<float> img(3 * size_t(h) * w, 0.4f);
      NoiseParams p{NoiseKind::CameraJpeg, 0.05f};
      p.origin_x = 5, p.origin_y = -3;
      Rng rng(1);
      add_noise_image(img.data(), img.data(), 3, h, w, p, rng);
      for (float v : img) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
    }
  // Zero amount: the camera's processing alone (white balance and back, 8-bit) changes next to nothing.
  std::vector<float> quiet(rgb.size());
  Rng rng(2);
  add_noise_image(rgb.data(), quiet.data(), 3, kH, kW, {NoiseKind::Camera, 0.0f}, rng);
  EXPECT_GT(psnr_db(quiet.data(), rgb.data(), rgb.size()), 50.0);
}

TEST(CameraNoise, MaskedKeepsCleanWhereTheMaskIsZeroAndValueKindsKeepTheirNumbers) {
  constexpr int kH = 16, kW = 16;
  constexpr size_t kPlane = size_t(kH) * kW;
  std::vector<float> clean(3 * kPlane, 0.6f), mask(kPlane, 0.0f), out(clean.size());
  for (size_t i = kPlane / 2; i < kPlane; ++i) mask[i] = 1.0f;
  Rng rng(4);
  add_noise_image_masked(clean.data(), mask.data(), out.data(), 3, kH, kW, {NoiseKind::Camera, 0.05f}, rng);
  for (int c = 0; c < 3; ++c)
    for (size_t i = 0; i < kPlane / 2; ++i) ASSERT_EQ(out[c * kPlane + i], 0.6f);
  EXPECT_GT(mse(clean.data() + kPlane / 2, out.data() + kPlane / 2, kPlane / 2), 1e-5);
  // The value-by-value kinds: add_noise_image is add_noise over every channel, masked or not.
  std::vector<float> a(clean.size()), b(clean.size());
  Rng r1(6), r2(6);
  add_noise_image(clean.data(), a.data(), 3, kH, kW, {NoiseKind::Poisson, 0.2f}, r1);
  add_noise(clean.data(), b.data(), clean.size(), {NoiseKind::Poisson, 0.2f}, r2);
  EXPECT_EQ(a, b);
}

// Known answers, natively and under node (pow, exp and log may differ in their last bit there, so within one 8-bit
// step; the numbers are the native build's).
TEST(CameraNoise, KnownAnswersOnEveryPlatform) {
  std::vector<float> img(3 * 4 * 4);
  for (size_t i = 0; i < img.size(); ++i) img[i] = float((i * 37) % 101) / 100.0f;
  NoiseParams p{NoiseKind::CameraJpeg, 0.05f};
  p.jpeg_quality = 75;
  Rng rng(20261207);
  add_noise_image(img.data(), img.data(), 3, 4, 4, p, rng);
  const int expected[48] = {165, 159, 151, 181, 204, 148, 97,  122, 195, 164, 128, 139, 181, 205, 191, 163,
                            20,  62,  149, 232, 65,  56,  100, 178, 66,  82,  141, 204, 61,  132, 213, 237,
                            123, 118, 112, 131, 158, 103, 55,  70,  140, 111, 80,  84,  115, 143, 138, 105};
  int off_by_one = 0;
  for (int i = 0; i < 48; ++i) {
    const int got = static_cast<int>(std::lround(img[i] * 255));
    EXPECT_NEAR(got, expected[i], 1) << "value " << i;
    off_by_one += got != expected[i];
  }
  EXPECT_LE(off_by_one, 3);
}

TEST(Jpeg, QualityHundredKeepsAGrayImageAndLowQualityMakesBlocks) {
  constexpr int kH = 40, kW = 48;
  std::vector<float> img(size_t(kH) * kW);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) img[size_t(y) * kW + x] = std::round(255 * (0.5f + 0.3f * std::sin(x * 0.3f + y * 0.2f))) / 255;
  std::vector<float> best = img;
  jpeg_round_trip(best.data(), 1, kH, kW, 100);
  for (size_t i = 0; i < img.size(); ++i) ASSERT_NEAR(best[i], img[i], 1.5f / 255) << i;
  // Quality 20 on a noisy image: each block is approximated on its own, so the error jumps across the 8×8 block
  // edges more than inside the blocks.
  std::vector<float> noisy = img;
  Rng rng(3);
  add_noise(noisy.data(), noisy.data(), noisy.size(), {NoiseKind::Gaussian, 0.1f}, rng);
  std::vector<float> low = noisy;
  jpeg_round_trip(low.data(), 1, kH, kW, 20);
  double across = 0, inside = 0;
  int n_across = 0, n_inside = 0;
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x + 1 < kW; ++x) {
      const size_t i = size_t(y) * kW + x;
      const double jump = std::abs((low[i + 1] - img[i + 1]) - (low[i] - img[i]));
      if (x % 8 == 7) across += jump, ++n_across;
      else inside += jump, ++n_inside;
    }
  EXPECT_GT(across / n_across, 1.5 * inside / n_inside);
  EXPECT_LT(mse(low.data(), img.data(), img.size()), mse(noisy.data(), img.data(), img.size()));
}

TEST(Jpeg, ColourLosesChromaDetailFirst) {
  // 4:2:0 keeps luma at full resolution but averages colour over 2×2: a one-pixel colour checkerboard of constant
  // luma fades, a luma checkerboard of the same contrast stays.
  constexpr int kSide = 32;
  constexpr size_t kPlane = size_t(kSide) * kSide;
  std::vector<float> chroma(3 * kPlane), luma_board(3 * kPlane);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      const size_t i = size_t(y) * kSide + x;
      const bool odd = (x + y) % 2;
      chroma[i] = odd ? 0.7f : 0.3f, chroma[kPlane + i] = 0.5f, chroma[2 * kPlane + i] = odd ? 0.3f : 0.7f;
      for (int c = 0; c < 3; ++c) luma_board[c * kPlane + i] = odd ? 0.7f : 0.3f;
    }
  std::vector<float> a = chroma, b = luma_board;
  jpeg_round_trip(a.data(), 3, kSide, kSide, 95);
  jpeg_round_trip(b.data(), 3, kSide, kSide, 95);
  EXPECT_LT(psnr_db(a.data(), chroma.data(), a.size()), 20.0);
  EXPECT_GT(psnr_db(b.data(), luma_board.data(), b.size()), 30.0);
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

// SSIM the plain way: whole maps of the Gaussian-filtered signals (edge-replicated, 7x7, sigma 1.5), then the mean of
// the per-pixel index; what the engine's band-by-band version must equal.
double ssim_whole_maps(const float* a, const float* b, int h, int w) {
  const int r = 3;
  std::vector<float> k(2 * r + 1);
  float ksum = 0;
  for (int i = -r; i <= r; ++i) ksum += k[i + r] = std::exp(-0.5f * i * i / (1.5f * 1.5f));
  for (float& v : k) v /= ksum;
  const size_t n = size_t(h) * w;
  auto blur = [&](const std::vector<float>& in) {
    std::vector<float> tmp(n), out(n);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float acc = 0;
        for (int i = -r; i <= r; ++i) acc += k[i + r] * in[size_t(y) * w + std::clamp(x + i, 0, w - 1)];
        tmp[size_t(y) * w + x] = acc;
      }
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float acc = 0;
        for (int i = -r; i <= r; ++i) acc += k[i + r] * tmp[size_t(std::clamp(y + i, 0, h - 1)) * w + x];
        out[size_t(y) * w + x] = acc;
      }
    return out;
  };
  std::vector<float> va(a, a + n), vb(b, b + n), aa(n), bb(n), ab(n);
  for (size_t i = 0; i < n; ++i) aa[i] = a[i] * a[i], bb[i] = b[i] * b[i], ab[i] = a[i] * b[i];
  const auto ma = blur(va), mb = blur(vb), saa = blur(aa), sbb = blur(bb), sab = blur(ab);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = ma[i], y = mb[i], vx = saa[i] - x * x, vy = sbb[i] - y * y, cov = sab[i] - x * y;
    sum += ((2 * x * y + 1e-4) * (2 * cov + 9e-4)) / ((x * x + y * y + 1e-4) * (vx + vy + 9e-4));
  }
  return sum / double(n);
}

TEST(Metrics, SsimBandByBandEqualsWholeMapsOnImagesTallerThanABand) {
  // 300 rows: bands of 128 meet twice, and the last one is short; a 2-row and a 1-column image as edge cases.
  for (auto [h, w] : {std::pair{300, 45}, std::pair{129, 7}, std::pair{2, 40}, std::pair{50, 1}}) {
    SCOPED_TRACE(std::to_string(h) + "x" + std::to_string(w));
    std::vector<float> clean(size_t(h) * w), noisy(clean.size());
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) clean[size_t(y) * w + x] = 0.5f + 0.4f * std::sin(0.07f * x + 0.05f * y);
    Rng rng(3);
    add_noise(clean.data(), noisy.data(), clean.size(), {NoiseKind::Gaussian, 0.1f}, rng);
    EXPECT_NEAR(ssim(noisy.data(), clean.data(), h, w), ssim_whole_maps(noisy.data(), clean.data(), h, w), 1e-12);
  }
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
