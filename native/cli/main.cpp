// dae-denoise: denoise a grayscale or color image (or a raw float32 tensor) with a model file, optionally adding
// noise first and scoring against a clean reference; `eval` scores a model on the Fashion-MNIST test set.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "dae/arch.h"
#include "dae/channels.h"
#include "dae/engine.h"
#include "dae/metrics.h"
#include "dae/noise.h"
#include "dae/tiles.h"
#include "idx.h"
#include "image.h"
#include "tensor_io.h"

namespace {

using dae::Result;
using dae::Status;
using dae::Tensor;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "dae-denoise: %s\n", message.c_str());
  std::exit(1);
}

template <class T>
T check(Result<T> r) {
  if (!r.ok()) fail(r.error());
  return std::move(*r);
}

void check(const Status& s) {
  if (!s.ok()) fail(s.message());
}

struct NoiseOptions {
  std::string kind;  // empty: no noise
  float amount = 0.2f;
  int jpeg_quality = 90;
  uint64_t seed = 1;
};

void apply_noise(Tensor& t, const NoiseOptions& o) {
  if (o.kind.empty()) return;
  dae::NoiseParams params{check(dae::parse_noise_kind(o.kind)), o.amount};
  params.jpeg_quality = o.jpeg_quality;
  dae::Rng rng(o.seed);
  const size_t image = size_t(t.c) * t.h * t.w;
  for (int i = 0; i < t.n; ++i)
    dae::add_noise_image(t.data.data() + i * image, t.data.data() + i * image, t.c, t.h, t.w, params, rng);
}

std::vector<int> parse_shape(const std::string& text) {
  std::vector<int> dims;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    try {
      size_t used = 0;
      const long v = std::stol(part, &used);
      if (used != part.size() || v < 1 || v > dae::kMaxImageSide) throw std::out_of_range(part);
      dims.push_back(static_cast<int>(v));
    } catch (const std::exception&) {
      fail("--shape: '" + part + "' is not a positive size");
    }
  }
  if (dims.size() != 4) fail("--shape needs four sizes N,C,H,W, got '" + text + "'");
  if (uint64_t(dims[0]) * dims[1] * dims[2] * dims[3] > dae::image::kMaxPixels)
    fail("--shape " + text + " is larger than the 64 Mpx limit");
  return dims;
}

// PSNR over every value (all channels), SSIM as the mean over images of the per-channel mean.
void print_scores(const char* label, const Tensor& a, const Tensor& ref) {
  double ssim = 0.0;
  for (int n = 0; n < a.n; ++n) ssim += dae::ssim_channels(a.at(n, 0), ref.at(n, 0), a.c, a.h, a.w);
  std::printf("%-9s PSNR %6.2f dB  SSIM %.4f\n", label, dae::psnr_db(a.data.data(), ref.data.data(), a.size()),
              ssim / a.n);
}

const char* channels_name(int channels) {
  return channels == 1 ? "grayscale" : channels == 3 ? "RGB" : "multi-channel";
}

// How images with `channels` channels meet the model, printed when they differ (dae::channel_plan says what is done).
void print_channel_plan(const dae::Model& model, int channels) {
  if (const std::string plan = check(dae::channel_plan(model, channels)); !plan.empty()) std::printf("%s\n", plan.c_str());
}

// Denoises [N, C, H, W] images with a model of any channel count dae::channel_plan accepts; the result has C channels.
Tensor denoise_images(const dae::Model& model, const Tensor& x, const dae::ChannelOptions& options) {
  return check(dae::denoise_channels(model, x, options));
}

// One image, tile by tile (dae::denoise_tiled: the same result as a whole-image run, in a tile's memory), with
// progress and the time left on a terminal.
Tensor denoise_image_tiled(const dae::Model& model, const Tensor& x, const dae::ChannelOptions& options, int tile) {
  const dae::TileGrid grid = dae::tile_grid(model.arch(), x.h, x.w, tile);
  const bool talk = grid.count() > 1 && isatty(fileno(stderr));
  const auto t0 = std::chrono::steady_clock::now();
  const auto progress = [&](int done, int total) {
    if (!talk) return true;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\rdenoising: tile %d of %d (%d%%), %.0f s left   %s", done, total, 100 * done / total,
                 s / done * (total - done), done == total ? "\n" : "");
    return true;
  };
  return check(dae::denoise_tiled(model, x, dae::whole_image_options(x, model.arch().channels, options), grid,
                                  progress));
}

// Takes the tensor's values rather than copying them: a 24 Mpx photo is 288 MB of floats.
void save_png(const std::string& path, Tensor&& t, const char* what) {
  if (t.n != 1 || (t.c != 1 && t.c != 3))
    fail(std::string(what) + " writes one grayscale or RGB image, not " + std::to_string(t.n) + "x" +
         std::to_string(t.c) + " channels; use --raw-out");
  dae::image::Image img;
  img.w = t.w, img.h = t.h, img.channels = t.c;
  img.data = std::move(t.data);
  check(dae::image::save_png(path, img));
}

// Mean PSNR/SSIM of noisy inputs and model outputs over the test images, and the throughput.
void run_eval(const dae::Model& model, const std::string& images_path, int limit, int batch, const NoiseOptions& o,
              const dae::ChannelOptions& options) {
  const Tensor clean = check(dae::idx::read_images_28(images_path, limit));
  print_channel_plan(model, 1);
  Tensor noisy = clean;
  apply_noise(noisy, o);
  double psnr_in = 0, psnr_out = 0, ssim_in = 0, ssim_out = 0, seconds = 0;
  const size_t plane = clean.plane();
  for (int start = 0; start < clean.n; start += batch) {
    const int count = std::min(batch, clean.n - start);
    Tensor x(count, 1, 28, 28);
    std::copy_n(noisy.at(start, 0), plane * count, x.data.data());
    const auto t0 = std::chrono::steady_clock::now();
    const Tensor y = denoise_images(model, x, options);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (int i = 0; i < count; ++i) {
      const float* c = clean.at(start + i, 0);
      psnr_in += dae::psnr_db(x.at(i, 0), c, plane);
      psnr_out += dae::psnr_db(y.at(i, 0), c, plane);
      ssim_in += dae::ssim(x.at(i, 0), c, 28, 28);
      ssim_out += dae::ssim(y.at(i, 0), c, 28, 28);
    }
  }
  const double n = clean.n;
  std::printf("model %s, %d test images, noise %s %.3f (seed %llu)\n", model.arch().name.c_str(), clean.n,
              o.kind.empty() ? "none" : o.kind.c_str(), o.amount, static_cast<unsigned long long>(o.seed));
  std::printf("| | PSNR dB | SSIM |\n|---|---|---|\n| noisy | %.2f | %.4f |\n| denoised | %.2f | %.4f |\n", psnr_in / n,
              ssim_in / n, psnr_out / n, ssim_out / n);
  std::printf("PSNR gain %.2f dB, %.0f images/s (batch %d, %d thread(s), ensemble of %d)\n", (psnr_out - psnr_in) / n,
              n / seconds, batch, options.run.threads, options.run.ensemble);
}

}  // namespace

// --dump-layers: every node of the model run on the noisy input (its central 256×256 when larger), each node's
// channels written as one grayscale grid PNG (up to 64 channels, each on the node's own value range) named
// NN-node.png, and a line per node on standard output.
void dump_layers(const dae::Model& model, const Tensor& noisy, const dae::RunOptions& run, const std::string& dir) {
  constexpr int kSide = 256, kMostChannels = 64;
  const int w = std::min(noisy.w, kSide), h = std::min(noisy.h, kSide);
  const int x0 = (noisy.w - w) / 2, y0 = (noisy.h - h) / 2;
  Tensor region(1, noisy.c, h, w);
  for (int k = 0; k < noisy.c; ++k)
    for (int y = 0; y < h; ++y)
      std::copy_n(noisy.at(0, k) + static_cast<size_t>(y0 + y) * noisy.w + x0, w, region.at(0, k) + static_cast<size_t>(y) * w);
  if (w < noisy.w || h < noisy.h)
    std::printf("--dump-layers: the central %dx%d of the %dx%d image\n", w, h, noisy.w, noisy.h);
  const dae::Arch& arch = model.arch();
  const Tensor in = dae::pad_for_model(
      arch, check(dae::model_input(region, arch.channels,
                                   dae::whole_image_options(noisy, arch.channels))));
  const int code = dae::code_node(arch, in.h, in.w);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail("--dump-layers: cannot create " + dir + ": " + ec.message());
  dae::RunOptions options = run;
  options.observer = [&](int node, const float* data, int c, int nh, int nw) {
    const size_t plane = static_cast<size_t>(nh) * nw;
    const auto [lo, hi] = std::minmax_element(data, data + c * plane);
    const int shown = std::min(c, kMostChannels);
    const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(shown))));
    const int rows = (shown + cols - 1) / cols;
    dae::image::Image grid;
    grid.w = cols * (nw + 1) - 1, grid.h = rows * (nh + 1) - 1, grid.channels = 1;
    grid.data.assign(static_cast<size_t>(grid.w) * grid.h, 0.0f);
    const float range = *hi > *lo ? *hi - *lo : 1.0f;
    for (int k = 0; k < shown; ++k)
      for (int y = 0; y < nh; ++y)
        for (int x = 0; x < nw; ++x)
          grid.data[static_cast<size_t>((k / cols) * (nh + 1) + y) * grid.w + (k % cols) * (nw + 1) + x] =
              (data[k * plane + static_cast<size_t>(y) * nw + x] - *lo) / range;
    const dae::Node& n = arch.nodes[node];
    char name[160];
    std::snprintf(name, sizeof name, "%02d-%s.png", node + 1, n.name.c_str());
    check(dae::image::save_png((std::filesystem::path(dir) / name).string(), grid));
    const std::string op = std::string(dae::op_name(n.op)) + (n.act != dae::Act::None ? std::string("+") + dae::act_name(n.act) : "");
    std::printf("%2d %-10s %-20s %3d x %4d x %4d  values %9.4f .. %9.4f  -> %s%s\n", node + 1, n.name.c_str(),
                op.c_str(), c, nh, nw, *lo, *hi, name,
                node == code ? "  (the code: the narrowest layer)" : shown < c ? "  (first 64 channels)" : "");
  };
  check(model.forward(in, options));
}

int main(int argc, char** argv) {
  CLI::App app{"Denoise grayscale or color images with a denoising-autoencoder model file."};
  app.footer(R"(Color:
  A color image stays color and a grayscale image stays grayscale, whatever the model:
  - color image, 3-channel model (photo): denoised in RGB;
  - color image, 1-channel model (unet32, ...): each of R, G and B is denoised separately;
  - grayscale image, 3-channel model: gray plus zero-sum synthetic color noise of its estimated level (so the
    model sees the per-channel noise it learned), and the mean of the output's R, G, B written as gray.
  The tool prints which of these it did. --noise adds independent noise to every channel of the image as read.
  --reference is converted to the input's channel count; PSNR is over all values, SSIM the mean over channels.

Examples:
  dae-denoise photo.jpg -o clean.png                 # a color photo as it came: photo-camera.safetensors by default
  dae-denoise scan.png -o clean.png                  # a gray photo: photo-gray-camera.safetensors by default
  dae-denoise clean.png -o out.png --noise gaussian --sigma 0.2 --seed 1 --noisy-out noisy.png --reference clean.png
  dae-denoise --raw-in x.f32 --shape 1,1,64,64 --raw-out y.f32 --model web/models/conv.safetensors
  dae-denoise eval --model web/models/unet32.safetensors --noise gaussian --sigma 0.3 --limit 2000)");
  app.require_subcommand(0, 1);
  std::string model_path, input, output, noisy_out, reference, raw_in, raw_out, shape;
  NoiseOptions noise;
  app.add_option("input", input, "Image to denoise (PNG, JPEG, BMP, TGA, GIF; alpha is ignored)");
  app.add_option("-o,--output", output, "PNG to write the denoised image to (gray or RGB, as the input)");
  app.add_option("--model", model_path,
                 "Model file (.safetensors written by the trainer); default for a photo as it is (or with --noise "
                 "camera[-jpeg]): web/models/photo-camera.safetensors for color, photo-gray-camera.safetensors for "
                 "gray ones larger than 28x28; with other --noise: photo.safetensors and photo-gray.safetensors; "
                 "each missing one falls back to the next (photo-gray-camera, photo-gray, photo); "
                 "web/models/unet32.safetensors otherwise");
  app.add_option("--noise", noise.kind,
                 "Add noise before denoising: gaussian, salt-pepper, speckle, poisson, camera or camera-jpeg");
  app.add_option("--sigma", noise.amount,
                 "Noise amount (σ; probability for salt-pepper; for the camera kinds the sensor's noise, 0.05 about "
                 "ISO 10000)")
      ->capture_default_str();
  app.add_option("--jpeg-quality", noise.jpeg_quality, "camera-jpeg: JPEG quality 1..100")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--seed", noise.seed, "Noise seed")->capture_default_str();
  app.add_option("--noisy-out", noisy_out, "Also write the noisy input as PNG");
  std::string layers_dir;
  app.add_option("--dump-layers", layers_dir,
                 "Also write every layer's output for the noisy input (its central 256x256 when larger) as grid PNGs "
                 "into this folder, one per node, and list them");
  app.add_option("--reference", reference, "Clean image: print PSNR and SSIM of the input and the output against it");
  app.add_option("--raw-in", raw_in,
                 "Raw float32 NCHW input instead of an image (needs --shape; C must be the model's)");
  app.add_option("--shape", shape, "N,C,H,W of --raw-in");
  app.add_option("--raw-out", raw_out, "Write the output as raw float32 NCHW");
  dae::ChannelOptions run;
  app.add_option("--threads", run.run.threads, "Threads for the engine (same result for every count)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  const auto add_ensemble = [&](CLI::App* to) {
    to->add_option("--ensemble", run.run.ensemble,
                   "Average the model over 1, 2, 4 or 8 mirrors and turns of the image (that many times slower)")
        ->capture_default_str()
        ->check(CLI::IsMember({1, 2, 4, 8}));
  };
  add_ensemble(&app);
  int tile = 512;
  app.add_option("--tile", tile,
                 "Denoise an image in tiles of this side (same result as a whole-image run, memory bounded by the "
                 "tile; 0: the whole image at once)")
      ->capture_default_str()
      ->check(CLI::Range(0, dae::kMaxImageSide));
  app.add_option("--gray-draws", run.gray_draws,
                 "A gray image through a color model: average this many runs with different synthetic color noise")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));

  CLI::App* eval = app.add_subcommand("eval", "Score the model on the Fashion-MNIST test set (PSNR, SSIM, images/s)");
  std::string images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  int limit = 0, batch = 64;
  NoiseOptions eval_noise{"gaussian", 0.3f, 1};
  eval->add_option("--model", model_path, "Model file (default web/models/unet32.safetensors)");
  eval->add_option("--images", images, "IDX image file (.gz or plain)")->capture_default_str();
  eval->add_option("--limit", limit, "Use only the first N images (0: all)");
  eval->add_option("--batch", batch, "Images per forward pass")->capture_default_str()->check(CLI::Range(1, 4096));
  eval->add_option("--noise", eval_noise.kind, "Noise kind")->capture_default_str();
  eval->add_option("--sigma", eval_noise.amount, "Noise amount")->capture_default_str();
  eval->add_option("--seed", eval_noise.seed, "Noise seed")->capture_default_str();
  eval->add_option("--threads", run.run.threads, "Threads for the engine")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  add_ensemble(eval);
  CLI11_PARSE(app, argc, argv);

  // The image comes first so that, without --model, a photo (color or gray, larger than a Fashion-MNIST image) gets
  // a photo model and anything else (Fashion-MNIST-sized images, raw tensors, eval) the grayscale default.
  dae::image::Image picture;
  if (!eval->parsed() && raw_in.empty() && !input.empty()) picture = check(dae::image::load(input));
  if (model_path.empty()) {
    // A photo as it came (no --noise) carries a camera's noise, and so does one given camera noise.
    const bool camera = noise.kind.empty() || noise.kind.rfind("camera", 0) == 0;
    const std::string name = picture.data.empty()
                                 ? dae::kDefaultArch
                                 : dae::arch_for_image(picture.w, picture.h, picture.channels, camera);
    model_path = "web/models/" + name + ".safetensors";
    // A models folder without the camera models: the photo models; without the gray photo model: the color one,
    // which takes gray photos too (dae::model_input).
    const auto missing = [&] { return !std::filesystem::exists(model_path); };
    if (name == dae::kPhotoCameraArch && missing()) model_path = std::string("web/models/") + dae::kPhotoArch + ".safetensors";
    if (name == dae::kPhotoGrayCameraArch && missing())
      model_path = std::string("web/models/") + dae::kPhotoGrayArch + ".safetensors";
    if ((name == dae::kPhotoGrayArch || name == dae::kPhotoGrayCameraArch) && missing())
      model_path = std::string("web/models/") + dae::kPhotoArch + ".safetensors";
  }
  const dae::Model model = check(dae::Model::from_file(model_path));
  if (eval->parsed()) {
    run_eval(model, images, limit, batch, eval_noise, run);
    return 0;
  }

  Tensor x;
  if (!raw_in.empty()) {
    if (shape.empty()) fail("--raw-in needs --shape N,C,H,W");
    const std::vector<int> d = parse_shape(shape);
    x = check(dae::cli::read_raw(raw_in, d[0], d[1], d[2], d[3]));
    // Raw tensors are taken as they are: no channel conversion.
    if (x.c != model.arch().channels)
      fail("the model takes " + std::to_string(model.arch().channels) + " channel(s), --raw-in has " +
           std::to_string(x.c));
  } else {
    if (input.empty()) fail("give an input image (or --raw-in); see --help");
    x = dae::image::to_tensor(picture);
    picture = {};  // one float copy of a large photo at a time
    print_channel_plan(model, x.c);
  }
  apply_noise(x, noise);
  if (!noisy_out.empty()) save_png(noisy_out, Tensor(x), "--noisy-out");
  if (!layers_dir.empty()) {
    if (x.n != 1) fail("--dump-layers takes one image");
    dump_layers(model, x, run.run, layers_dir);
  }
  const auto t0 = std::chrono::steady_clock::now();
  Tensor y = x.n == 1 && tile > 0 ? denoise_image_tiled(model, x, run, tile) : denoise_images(model, x, run);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("denoised %dx%dx%dx%d (%s) with %s in %.1f ms (%d thread(s)%s)\n", x.n, x.c, x.h, x.w,
              channels_name(x.c), model.arch().name.c_str(), ms, run.run.threads,
              run.run.ensemble > 1 ? (", ensemble of " + std::to_string(run.run.ensemble)).c_str() : "");
  if (!reference.empty()) {
    dae::image::Image ref = check(dae::image::load(reference));
    if (ref.channels != x.c && (x.c == 1 || x.c == 3)) {
      std::printf("--reference is %s, converted to %s like the input\n", channels_name(ref.channels),
                  channels_name(x.c));
      ref = dae::image::to_channels(ref, x.c);
    }
    const Tensor clean = dae::image::to_tensor(ref);
    if (!clean.same_shape(x))
      fail("--reference is " + std::to_string(clean.w) + "x" + std::to_string(clean.h) + "x" + std::to_string(clean.c) +
           ", the input " + std::to_string(x.w) + "x" + std::to_string(x.h) + "x" + std::to_string(x.c) +
           " (width x height x channels)");
    print_scores("input", x, clean);
    print_scores("denoised", y, clean);
  }
  x = Tensor();  // the input is no longer needed: its memory goes before the output is encoded
  if (!raw_out.empty()) check(dae::cli::write_raw(raw_out, y));
  if (!output.empty()) save_png(output, std::move(y), "-o");
  if (output.empty() && raw_out.empty()) std::printf("(no -o or --raw-out given: nothing written)\n");
  return 0;
}
