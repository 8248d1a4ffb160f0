// Tests for images meeting models of another channel count: the noise estimate, gray images through a color model
// (synthetic color noise), color images through a gray model, and the halves a second backend uses.
#include "dae/channels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "dae/metrics.h"
#include "test_util.h"

namespace dae {
namespace {

Model random_model(const std::string& name, uint64_t seed = 5) {
  const std::vector<uint8_t> bytes = testing::model_file(builtin_arch(name).value(), seed);
  Result<Model> m = Model::from_safetensors(bytes.data(), bytes.size());
  EXPECT_TRUE(m.ok()) << m.error();
  return std::move(*m);
}

// A piecewise smooth gray scene in [0.2, 0.8] (so little noise is clipped): a gradient, a disc and stripes.
Tensor scene(int h, int w) {
  Tensor t(1, 1, h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float v = 0.3f + 0.3f * float(x) / float(w);
      const float dx = x - 0.35f * w, dy = y - 0.5f * h;
      if (dx * dx + dy * dy < 0.04f * w * h) v = 0.75f;
      if (x > 0.65f * w && (y / 6) % 2) v = 0.25f;
      t.data[size_t(y) * w + x] = v;
    }
  return t;
}

Tensor with_noise(const Tensor& clean, float sigma, uint64_t seed) {
  Tensor t = clean;
  Rng rng(seed);
  add_noise(t.data.data(), t.data.data(), t.size(), {NoiseKind::Gaussian, sigma}, rng);
  return t;
}

float max_abs_diff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

TEST(Channels, NoiseEstimateFindsTheNoiseLevel) {
  const Tensor clean = scene(256, 256);
  EXPECT_LT(estimate_noise_sigma(clean.data.data(), 256, 256), 0.01f) << "edges alone are not noise";
  for (float sigma : {0.03f, 0.1f, 0.2f}) {
    const Tensor noisy = with_noise(clean, sigma, 11);
    EXPECT_NEAR(estimate_noise_sigma(noisy.data.data(), 256, 256), sigma, 0.1f * sigma) << "sigma " << sigma;
  }
  const float one = 0.5f;
  EXPECT_EQ(estimate_noise_sigma(&one, 1, 1), 0.0f);
}

TEST(Channels, GrayForAColorModelGetsZeroSumColorNoise) {
  const Tensor gray = with_noise(scene(64, 80), 0.1f, 3);
  ChannelOptions o;
  o.gray_sigma = 0.1f;
  Result<Tensor> rgb = model_input(gray, 3, o);
  ASSERT_TRUE(rgb.ok()) << rgb.error();
  ASSERT_EQ(rgb->c, 3);
  // The mean of the three channels is the gray image where nothing clipped; the rest has std σ·√2 per channel.
  double sum2 = 0;
  size_t unclipped = 0, count = 0;
  for (size_t i = 0; i < gray.plane(); ++i) {
    const float r = rgb->at(0, 0)[i], g = rgb->at(0, 1)[i], b = rgb->at(0, 2)[i];
    sum2 += double(r - gray.data[i]) * (r - gray.data[i]);
    ++count;
    if (std::min({r, g, b}) > 0.0f && std::max({r, g, b}) < 1.0f) {
      EXPECT_NEAR((r + g + b) / 3.0f, gray.data[i], 1e-5f);
      ++unclipped;
    }
  }
  EXPECT_GT(unclipped, count * 9 / 10);
  EXPECT_NEAR(std::sqrt(sum2 / count), 0.1 * std::sqrt(2.0), 0.01);
  // The same on every call; another draw is different noise.
  Result<Tensor> again = model_input(gray, 3, o), other = model_input(gray, 3, o, 1);
  EXPECT_EQ(again->data, rgb->data);
  EXPECT_GT(max_abs_diff(other->data.data(), rgb->data.data(), rgb->size()), 0.1f);
  // A color model's output comes back as the mean of its channels; a gray model's planes as the color channels.
  Result<Tensor> back = image_from_output(*rgb, 1);
  ASSERT_TRUE(back.ok());
  EXPECT_LT(max_abs_diff(back->data.data(), gray.data.data(), gray.size()), 0.35f);
  EXPECT_FALSE(model_input(gray, 2, o).ok());
  EXPECT_FALSE(image_from_output(Tensor(1, 2, 4, 4), 1).ok());
}

// The synthetic noise follows the absolute pixel position: a tile denoised with its origin matches the whole-image
// result away from the tile's edges, as the app's tiles need.
TEST(Channels, TilesOfAGrayImageAgreeWithTheWholeImage) {
  const Model m = random_model(kPhotoArch);
  const int radius = context_radius(m.arch());
  const int side = 2 * radius + 48, x0 = 16, y0 = 24, tw = side - 16, th = side - 24;
  const Tensor gray = with_noise(scene(side, side), 0.1f, 4);
  ChannelOptions o;
  o.gray_sigma = estimate_noise_sigma(gray.data.data(), side, side);
  Result<Tensor> whole = denoise_channels(m, gray, o);
  ASSERT_TRUE(whole.ok()) << whole.error();
  Tensor tile(1, 1, th, tw);
  for (int y = 0; y < th; ++y)
    std::copy_n(gray.data.data() + size_t(y0 + y) * side + x0, tw, tile.data.data() + size_t(y) * tw);
  o.origin_x = x0, o.origin_y = y0;
  Result<Tensor> part = denoise_channels(m, tile, o);
  ASSERT_TRUE(part.ok()) << part.error();
  float worst = 0;
  for (int y = radius; y < th - radius; ++y)
    worst = std::max(worst, max_abs_diff(part->data.data() + size_t(y) * tw + radius,
                                         whole->data.data() + size_t(y0 + y) * side + x0 + radius, tw - 2 * radius));
  EXPECT_LT(worst, 1e-4f);
  // Without the origin the tile gets other noise, and the result differs.
  o.origin_x = o.origin_y = 0;
  Result<Tensor> shifted = denoise_channels(m, tile, o);
  EXPECT_GT(max_abs_diff(shifted->data.data(), part->data.data(), part->size()), 1e-3f);
}

TEST(Channels, ColorImageThroughAGrayModelIsDenoisedPerChannel) {
  const Model m = random_model(kDefaultArch);
  Tensor rgb(1, 3, 40, 36);
  for (int c = 0; c < 3; ++c) {
    const Tensor plane = with_noise(scene(40, 36), 0.1f, 20 + c);
    std::copy(plane.data.begin(), plane.data.end(), rgb.at(0, c));
  }
  Result<Tensor> out = denoise_channels(m, rgb);
  ASSERT_TRUE(out.ok()) << out.error();
  ASSERT_EQ(out->c, 3);
  for (int c = 0; c < 3; ++c) {
    Tensor plane(1, 1, 40, 36);
    std::copy_n(rgb.at(0, c), plane.size(), plane.data.begin());
    Result<Tensor> alone = denoise(m, plane);
    EXPECT_LT(max_abs_diff(alone->data.data(), out->at(0, c), plane.size()), 1e-6f) << "channel " << c;
  }
  EXPECT_EQ(channel_plan(m, 3).value(),
            "color input, the 1-channel model 'unet32': each color channel is denoised separately");
  EXPECT_EQ(channel_plan(m, 1).value(), "");
  EXPECT_FALSE(channel_plan(m, 2).ok());
  ChannelOptions bad;
  bad.gray_draws = 0;
  EXPECT_FALSE(denoise_channels(random_model(kPhotoArch), Tensor(1, 1, 8, 8), bad).ok());
}

// The shipped photo model on a gray image: with synthetic color noise it removes the noise; given three equal
// channels with equal noise (what it never saw in training) it keeps much of it.
TEST(Channels, ShippedPhotoModelDenoisesGrayImagesWithSyntheticColorNoise) {
  const std::string path = std::string(DAE_MODELS_DIR) + "/photo.safetensors";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  Result<Model> m = Model::from_file(path);
  ASSERT_TRUE(m.ok()) << m.error();
  const Tensor clean = scene(128, 128);
  const Tensor noisy = with_noise(clean, 0.1f, 8);
  Result<Tensor> ours = denoise_channels(*m, noisy);
  ASSERT_TRUE(ours.ok()) << ours.error();
  Tensor equal(1, 3, 128, 128);
  for (int c = 0; c < 3; ++c) std::copy(noisy.data.begin(), noisy.data.end(), equal.at(0, c));
  Result<Tensor> replicated = denoise(*m, equal);
  ASSERT_TRUE(replicated.ok());
  const Result<Tensor> plain = image_from_output(*replicated, 1);
  const double noisy_db = psnr_db(noisy.data.data(), clean.data.data(), clean.size());
  const double ours_db = psnr_db(ours->data.data(), clean.data.data(), clean.size());
  const double plain_db = psnr_db(plain->data.data(), clean.data.data(), clean.size());
  std::printf("gray scene, sigma 0.1: noisy %.2f dB, three equal channels %.2f dB, synthetic color noise %.2f dB\n",
              noisy_db, plain_db, ours_db);
  EXPECT_GT(ours_db, noisy_db + 8.0);
  EXPECT_GT(ours_db, plain_db + 2.0);
  ChannelOptions two;
  two.gray_draws = 2;
  Result<Tensor> averaged = denoise_channels(*m, noisy, two);
  ASSERT_TRUE(averaged.ok());
  EXPECT_GT(psnr_db(averaged->data.data(), clean.data.data(), clean.size()), ours_db);
}

}  // namespace
}  // namespace dae
