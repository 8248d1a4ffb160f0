// The dae-denoise process on real files: color and grayscale images with color and grayscale models (each result
// checked against the engine run in this process), per-channel noise and scores, bad input files, and the committed
// bad-model and bad-IDX corpora through the process (a clear message and status 1, never a crash).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "corpus_list.h"
#include "dae/channels.h"
#include "dae/engine.h"
#include "dae/metrics.h"
#include "dae/noise.h"
#include "image.h"
#include "test_dirs.h"
#include "test_util.h"

namespace {

using dae::Tensor;
namespace image = dae::image;

struct CliRun {
  int status = -1;  // exit status
  std::string out, err;
};

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Runs dae-denoise with `args` (already quoted where needed) from `dir`.
CliRun run_cli(const std::string& dir, const std::string& args) {
  const std::string command =
      "cd '" + dir + "' && '" + DAE_DENOISE + "' " + args + " >'" + dir + "/stdout' 2>'" + dir + "/stderr'";
  const int raw = std::system(command.c_str());
  CliRun r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_text(dir + "/stdout");
  r.err = read_text(dir + "/stderr");
  return r;
}

// A random-weight model file of a builtin architecture (or of `arch`), written where the CLI can load it.
std::string write_model(const std::string& dir, const dae::Arch& arch) {
  const std::string path = dir + "/" + arch.name + ".safetensors";
  write_bytes(path, dae::testing::model_file(arch, 11));
  return path;
}

std::string write_model(const std::string& dir, const std::string& name) {
  return write_model(dir, dae::builtin_arch(name).value());
}

dae::Model load_model(const std::string& path) {
  dae::Result<dae::Model> m = dae::Model::from_file(path);
  EXPECT_TRUE(m.ok()) << m.error();
  return std::move(*m);
}

// An odd-sized test picture: smooth ramps with a different pattern in every channel, plus a sharp square.
image::Image picture(int channels, int w = 37, int h = 29) {
  image::Image img;
  img.w = w, img.h = h, img.channels = channels;
  img.data.resize(img.plane() * channels);
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const bool square = x > w / 3 && x < 2 * w / 3 && y > h / 3 && y < 2 * h / 3;
        const float v = square ? 0.9f - 0.3f * c : 0.1f + 0.7f * float((x * (c + 1) + y * (3 - c)) % w) / w;
        img.channel(c)[static_cast<size_t>(y) * w + x] = v;
      }
  return img;
}

// What a PNG stores for these values: 8-bit, rounded.
Tensor quantized(Tensor t) {
  for (float& v : t.data) v = std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f) / 255.0f;
  return t;
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_TRUE(a.same_shape(b)) << a.n << "x" << a.c << "x" << a.h << "x" << a.w << " vs " << b.n << "x" << b.c << "x"
                               << b.h << "x" << b.w;
  if (!a.same_shape(b)) return INFINITY;
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a.data[i] - b.data[i]));
  return m;
}

// The PNG as stored (1 or 3 channels) as a [1, C, H, W] tensor.
Tensor load_png(const std::string& path) {
  dae::Result<image::Image> img = image::load(path);
  EXPECT_TRUE(img.ok()) << img.error();
  return img.ok() ? image::to_tensor(*img) : Tensor();
}

// The PNG writer and reader keep 8-bit values exactly, so the CLI's output must equal the in-process result.
constexpr float kSame = 1e-6f;

TEST(Cli, ColorImageWithColorModelStaysColor) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, dae::kPhotoArch);
  ASSERT_TRUE(image::save_png(dir + "/in.png", picture(3)).ok());
  const CliRun r = run_cli(dir, "in.png -o out.png --model " + model);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("denoised 1x3x29x37 (RGB) with photo"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("separately"), std::string::npos) << r.out;
  const Tensor in = load_png(dir + "/in.png");
  dae::Result<Tensor> expected = dae::denoise(load_model(model), in);
  ASSERT_TRUE(expected.ok()) << expected.error();
  const Tensor out = load_png(dir + "/out.png");
  ASSERT_EQ(out.c, 3);
  EXPECT_LE(max_abs_diff(out, quantized(*expected)), kSame);
  EXPECT_GT(max_abs_diff(out, in), 0.0f);
}

// --dump-layers writes each node's channels as a grid PNG and lists the nodes; the plain autoencoder's code is named,
// and the last node's picture is the model's output on the image (rescaled to its own range).
TEST(Cli, DumpLayersWritesEveryNodeAsAGrid) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, "seed");
  ASSERT_TRUE(image::save_png(dir + "/in.png", picture(1)).ok());
  const CliRun r = run_cli(dir, "in.png -o out.png --model " + model + " --dump-layers layers");
  ASSERT_EQ(r.status, 0) << r.err;
  const dae::Model m = load_model(model);
  const Tensor in = dae::pad_for_model(m.arch(), load_png(dir + "/in.png"));
  dae::Result<std::vector<dae::NodeSize>> sizes = dae::node_sizes(m.arch(), in.h, in.w);
  ASSERT_TRUE(sizes.ok());
  for (size_t i = 0; i < sizes->size(); ++i) {
    const dae::NodeSize& s = (*sizes)[i];
    char name[96];
    std::snprintf(name, sizeof name, "%02zu-%s.png", i + 1, m.arch().nodes[i].name.c_str());
    SCOPED_TRACE(name);
    EXPECT_NE(r.out.find(name), std::string::npos) << r.out;
    const Tensor grid = load_png(dir + "/layers/" + name);
    const int shown = std::min(s.c, 64), cols = static_cast<int>(std::ceil(std::sqrt(double(shown))));
    EXPECT_EQ(grid.w, cols * (s.w + 1) - 1);
    EXPECT_EQ(grid.h, ((shown + cols - 1) / cols) * (s.h + 1) - 1);
  }
  const int code = dae::code_node(m.arch(), in.h, in.w);
  ASSERT_GE(code, 0);
  EXPECT_NE(r.out.find(m.arch().nodes[code].name + " "), std::string::npos);
  EXPECT_NE(r.out.find("(the code: the narrowest layer)"), std::string::npos) << r.out;
  // A U-Net has no code: its skip connections let the image around the bottleneck.
  EXPECT_EQ(dae::code_node(dae::builtin_arch("unet").value(), 28, 28), -1);
}

// Images run in tiles (--tile, default 512) with the model's context: the result is the whole-image run's.
TEST(Cli, TilesGiveTheWholeImageResult) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, dae::kPhotoArch);
  ASSERT_TRUE(image::save_png(dir + "/in.png", picture(3, 301, 203)).ok());
  const CliRun r = run_cli(dir, "in.png -o out.png --tile 64 --model " + model);
  ASSERT_EQ(r.status, 0) << r.err;
  const Tensor in = load_png(dir + "/in.png");
  dae::Result<Tensor> expected = dae::denoise(load_model(model), in);
  ASSERT_TRUE(expected.ok()) << expected.error();
  // Tiles and the whole image differ by float rounding at most, which can move a value across an 8-bit step.
  EXPECT_LE(max_abs_diff(load_png(dir + "/out.png"), quantized(*expected)), 1.0f / 255 + kSame);
  const CliRun whole = run_cli(dir, "in.png -o whole.png --tile 0 --model " + model);
  ASSERT_EQ(whole.status, 0) << whole.err;
  EXPECT_LE(max_abs_diff(load_png(dir + "/whole.png"), quantized(*expected)), kSame);
  const CliRun bad = run_cli(dir, "in.png -o out.png --tile -1 --model " + model);
  EXPECT_NE(bad.status, 0);
}

// A photo larger than one pass may take (the engine caps a pass's activations at 1 GiB) is denoised in tiles.
TEST(Cli, APhotoOverTheSinglePassLimitIsDenoisedInTiles) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, "unet");
  ASSERT_TRUE(image::save_png(dir + "/big.png", picture(1, 3600, 2500)).ok());
  const CliRun whole = run_cli(dir, "big.png -o out.png --tile 0 --model " + model);
  EXPECT_NE(whole.status, 0) << "a 9 MP single pass was expected to exceed the engine's cap";
  EXPECT_NE(whole.err.find("too large"), std::string::npos) << whole.err;
  const CliRun r = run_cli(dir, "big.png -o out.png --threads 2 --model " + model);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("denoised 1x1x2500x3600"), std::string::npos) << r.out;
  const Tensor out = load_png(dir + "/out.png");
  EXPECT_EQ(out.w, 3600);
  EXPECT_EQ(out.h, 2500);
}

TEST(Cli, ColorImageWithGrayModelDenoisesEachChannel) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, "unet");
  ASSERT_TRUE(image::save_png(dir + "/in.png", picture(3)).ok());
  const CliRun r = run_cli(dir, "in.png -o out.png --model " + model);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("color input, the 1-channel model 'unet': each color channel is denoised separately"),
            std::string::npos)
      << r.out;
  const dae::Model m = load_model(model);
  const Tensor in = load_png(dir + "/in.png"), out = load_png(dir + "/out.png");
  ASSERT_EQ(out.c, 3);
  for (int c = 0; c < 3; ++c) {
    Tensor plane(1, 1, in.h, in.w), got(1, 1, in.h, in.w);
    std::copy_n(in.at(0, c), in.plane(), plane.data.begin());
    std::copy_n(out.at(0, c), out.plane(), got.data.begin());
    dae::Result<Tensor> expected = dae::denoise(m, plane);
    ASSERT_TRUE(expected.ok()) << expected.error();
    EXPECT_LE(max_abs_diff(got, quantized(*expected)), kSame) << "channel " << c;
  }
  // Threads change nothing in the result.
  const CliRun threaded = run_cli(dir, "in.png -o out3.png --threads 3 --model " + model);
  ASSERT_EQ(threaded.status, 0) << threaded.err;
  EXPECT_NE(threaded.out.find("(3 thread(s))"), std::string::npos) << threaded.out;
  EXPECT_EQ(max_abs_diff(load_png(dir + "/out3.png"), out), 0.0f);
}

TEST(Cli, GrayImageWithColorModelStaysGray) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, dae::kPhotoArch);
  ASSERT_TRUE(image::save_png(dir + "/in.png", picture(1)).ok());
  const CliRun r = run_cli(dir, "in.png -o out.png --model " + model);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("gray given synthetic color noise of its estimated level"), std::string::npos) << r.out;
  const Tensor in = load_png(dir + "/in.png"), out = load_png(dir + "/out.png");
  ASSERT_EQ(out.c, 1);
  // Expected: the engine's one way of giving a gray image to a color model.
  dae::Result<Tensor> expected = dae::denoise_channels(load_model(model), in);
  ASSERT_TRUE(expected.ok()) << expected.error();
  EXPECT_LE(max_abs_diff(out, quantized(*expected)), kSame);
}

TEST(Cli, EnsembleAndGrayDrawsReachTheEngine) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, dae::kPhotoArch);
  ASSERT_TRUE(image::save_png(dir + "/in.png", picture(1)).ok());
  const CliRun r = run_cli(dir, "in.png -o out.png --ensemble 4 --gray-draws 2 --model " + model);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ensemble of 4"), std::string::npos) << r.out;
  dae::ChannelOptions o;
  o.run.ensemble = 4, o.gray_draws = 2;
  dae::Result<Tensor> expected = dae::denoise_channels(load_model(model), load_png(dir + "/in.png"), o);
  ASSERT_TRUE(expected.ok()) << expected.error();
  EXPECT_LE(max_abs_diff(load_png(dir + "/out.png"), quantized(*expected)), kSame);
  const CliRun bad = run_cli(dir, "in.png -o out.png --ensemble 3 --model " + model);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--ensemble"), std::string::npos) << bad.err;
}

// The number after `key` on the line starting with `label` in the CLI's score lines.
double score(const std::string& out, const std::string& label, const std::string& key) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(label + " ", 0) == 0) {
      const size_t at = line.find(key);
      if (at != std::string::npos) return std::stod(line.substr(at + key.size()));
    }
  ADD_FAILURE() << "no '" << label << "' " << key << " in:\n" << out;
  return NAN;
}

TEST(Cli, NoiseIsPerChannelAndScoresCoverEveryChannel) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, dae::kPhotoArch);
  ASSERT_TRUE(image::save_png(dir + "/clean.png", picture(3)).ok());
  const CliRun r = run_cli(dir,
                           "clean.png -o out.png --noisy-out noisy.png --noise gaussian --sigma 0.2 --seed 5 "
                           "--reference clean.png --model " +
                               model);
  ASSERT_EQ(r.status, 0) << r.err;
  const Tensor clean = load_png(dir + "/clean.png"), noisy_png = load_png(dir + "/noisy.png");
  ASSERT_EQ(noisy_png.c, 3);
  // The shared noise code over every value of the planar image: each channel gets its own noise.
  Tensor noisy = clean;
  dae::Rng rng(5);
  dae::add_noise(noisy.data.data(), noisy.data.data(), noisy.size(), {dae::NoiseKind::Gaussian, 0.2f}, rng);
  EXPECT_LE(max_abs_diff(noisy_png, quantized(noisy)), kSame);
  float channel_noise_differs = 0;
  for (size_t i = 0; i < clean.plane(); ++i)
    channel_noise_differs = std::max(channel_noise_differs, std::abs((noisy.at(0, 0)[i] - clean.at(0, 0)[i]) -
                                                                     (noisy.at(0, 1)[i] - clean.at(0, 1)[i])));
  EXPECT_GT(channel_noise_differs, 0.1f);
  // Scores: PSNR over all RGB values, SSIM the mean of the per-channel SSIMs (printed to 2 and 4 decimals).
  dae::Result<Tensor> denoised = dae::denoise(load_model(model), noisy);
  ASSERT_TRUE(denoised.ok()) << denoised.error();
  const auto ssim = [&](const Tensor& t) { return dae::ssim_channels(t.data.data(), clean.data.data(), 3, t.h, t.w); };
  EXPECT_NEAR(score(r.out, "input", "PSNR"), dae::psnr_db(noisy.data.data(), clean.data.data(), noisy.size()), 0.006);
  EXPECT_NEAR(score(r.out, "input", "SSIM"), ssim(noisy), 6e-5);
  EXPECT_NEAR(score(r.out, "denoised", "PSNR"),
              dae::psnr_db(denoised->data.data(), clean.data.data(), denoised->size()), 0.006);
  EXPECT_NEAR(score(r.out, "denoised", "SSIM"), ssim(*denoised), 6e-5);
  // The SSIM printed is not the first channel's alone.
  EXPECT_GT(std::abs(ssim(noisy) - dae::ssim(noisy.data.data(), clean.data.data(), clean.h, clean.w)), 1e-4);
}

TEST(Cli, GrayReferenceForAColorInputIsConverted) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, dae::kPhotoArch);
  ASSERT_TRUE(image::save_png(dir + "/in.png", picture(3)).ok());
  ASSERT_TRUE(image::save_png(dir + "/gray.png", picture(1)).ok());
  ASSERT_TRUE(image::save_png(dir + "/small.png", picture(3, 20, 20)).ok());
  CliRun r = run_cli(dir, "in.png --reference gray.png --model " + model);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("--reference is grayscale, converted to RGB like the input"), std::string::npos) << r.out;
  r = run_cli(dir, "in.png --reference small.png --model " + model);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--reference is 20x20x3, the input 37x29x3"), std::string::npos) << r.err;
}

uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// A PNG signature and a valid IHDR chunk claiming a w×h 8-bit grayscale image, and no pixel data.
std::vector<uint8_t> png_header(uint32_t w, uint32_t h) {
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
  std::vector<uint8_t> chunk = {'I', 'H', 'D', 'R'};
  for (uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) chunk.push_back(static_cast<uint8_t>(v >> s));
  chunk.insert(chunk.end(), {8, 0, 0, 0, 0});  // bit depth 8, grayscale, deflate, no filter, no interlace
  const uint32_t crc = crc32(chunk.data(), chunk.size());
  out.insert(out.end(), chunk.begin(), chunk.end());
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(crc >> s));
  return out;
}

TEST(Cli, BadInputsGiveClearErrors) {
  const std::string dir = dae::test::scratch_dir();
  const std::string model = write_model(dir, dae::kPhotoArch);
  std::vector<uint8_t> corrupt = png_header(64, 64);
  corrupt.insert(corrupt.end(), {0, 0, 0, 9, 'I', 'D', 'A', 'T', 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0});
  write_bytes(dir + "/corrupt.png", corrupt);
  write_bytes(dir + "/huge.png", png_header(20000, 20000));
  write_bytes(dir + "/empty.png", {});
  write_bytes(dir + "/notes.txt", {'h', 'e', 'l', 'l', 'o', '\n'});
  // A valid graph for 2-channel images, which no image file gives.
  dae::Result<dae::Arch> two = dae::arch_from_json(
      R"({"name":"two","channels":2,"nodes":[{"name":"c","op":"conv","inputs":["input"],"cin":2,"cout":2,"kernel":3,"pad":1}]})");
  ASSERT_TRUE(two.ok()) << two.error();
  const std::string two_model = write_model(dir, *two);
  ASSERT_TRUE(image::save_png(dir + "/gray.png", picture(1)).ok());
  const struct {
    std::string args, message;
  } cases[] = {
      {"corrupt.png -o out.png", "cannot decode 'corrupt.png'"},
      {"huge.png -o out.png", "'huge.png' is 20000x20000, more than the 64 Mpx limit"},
      {"empty.png -o out.png", "'empty.png' is empty"},
      {"notes.txt -o out.png", "'notes.txt' is not an image this tool reads (PNG, JPEG, BMP, TGA, GIF)"},
      {"missing.png -o out.png", "cannot open 'missing.png'"},
      {"gray.png -o out.png --model " + two_model, "the 2-channel model 'two' cannot denoise 1-channel images"},
      {"--raw-in gray.png --shape 1,3,4,4 -o out.png", "needs 192"},
  };
  for (const auto& c : cases) {
    const CliRun r = run_cli(dir, c.args + (c.args.find("--model") == std::string::npos ? " --model " + model : ""));
    EXPECT_EQ(r.status, 1) << c.args;
    EXPECT_NE(r.err.find("dae-denoise: "), std::string::npos) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_FALSE(std::ifstream(dir + "/out.png").good()) << c.args << " wrote an output";
  }
}

// Every file of the bad-model corpus given to the CLI as --model: the loader's message, status 1, no output; the
// valid ones denoise.
TEST(Cli, BadModelCorpusGivesItsMessages) {
  const std::string dir = dae::test::scratch_dir();
  const std::string corpus = std::string(DAE_SOURCE_DIR) + "/tests/data/bad-models/";
  ASSERT_TRUE(image::save_png(dir + "/gray.png", picture(1, 28, 28)).ok());
  int cases = 0;
  for (const dae::testing::CorpusCase& c : dae::testing::corpus_cases(corpus)) {
    std::remove((dir + "/out.png").c_str());
    const CliRun r = run_cli(dir, "gray.png -o out.png --model '" + corpus + c.file + "'");
    if (c.expected == "OK") {
      EXPECT_EQ(r.status, 0) << c.file << ": " << r.err;
      EXPECT_TRUE(std::ifstream(dir + "/out.png").good()) << c.file;
    } else {
      EXPECT_EQ(r.status, 1) << c.file << ": " << r.err;
      EXPECT_NE(r.err.find("dae-denoise: "), std::string::npos) << c.file << ": " << r.err;
      EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.file << ": " << r.err;
      EXPECT_FALSE(std::ifstream(dir + "/out.png").good()) << c.file << " wrote an output";
    }
    ++cases;
  }
  EXPECT_GE(cases, 25);
}

// Every file of the bad-IDX corpus given to `eval --images`: the reader's message and status 1; the valid ones
// (two 28x28 images) are scored.
TEST(Cli, BadIdxCorpusGivesItsMessagesInEval) {
  const std::string dir = dae::test::scratch_dir();
  const std::string corpus = std::string(DAE_SOURCE_DIR) + "/tests/data/bad-idx/";
  const std::string model = write_model(dir, "conv");
  int cases = 0;
  for (const dae::testing::CorpusCase& c : dae::testing::corpus_cases(corpus)) {
    const CliRun r = run_cli(dir, "eval --model " + model + " --images '" + corpus + c.file + "'");
    // The corpus's messages are those of the IDX tests' 16 MiB limit. The CLI reads up to 1 GiB, so the 32 MiB
    // "bomb" inflates completely there and is refused for holding less than its header promises.
    const std::string expected = c.file == "gzip-bomb.idx.gz" ? "ends inside the data" : c.expected;
    if (expected == "OK") {
      EXPECT_EQ(r.status, 0) << c.file << ": " << r.err;
      EXPECT_NE(r.out.find("2 test images"), std::string::npos) << c.file << ": " << r.out;
    } else {
      EXPECT_EQ(r.status, 1) << c.file << ": " << r.err;
      EXPECT_NE(r.err.find("dae-denoise: "), std::string::npos) << c.file << ": " << r.err;
      EXPECT_NE(r.err.find(expected), std::string::npos) << c.file << ": " << r.err;
    }
    ++cases;
  }
  EXPECT_GE(cases, 20);
}

}  // namespace
