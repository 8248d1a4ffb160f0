// Training on a folder of ordinary images: a split by file, random patches with flips and 90° rotations, and
// fixed validation patches, all drawn from seeded generators so a resumed run sees the same batches.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dae/noise.h"
#include "image.h"

namespace dae::trainer {

// The default budget of decoded image bytes one training process may hold, in MiB (--images-max-mb).
inline constexpr int64_t kDefaultImagesMaxMb = 4096;

struct ImageFolderOptions {
  std::string dir;
  int channels = 3;  // images are converted to this many channels (1 = luma, 3 = RGB)
  int min_side = 2;  // images with a side shorter than this are skipped (the patch size when training)
  // Every image is held decoded as floats (4 bytes per channel and pixel) for the whole run, in every process: more
  // than this many bytes in all is refused (--images-max-mb).
  uint64_t max_bytes = uint64_t(kDefaultImagesMaxMb) << 20;
};

struct ImageFile {
  std::string path;  // relative to the folder
  std::string split;  // "train", "val" or "test"
  image::Image image;
};

struct ImageFolder {
  std::string dir;
  std::vector<ImageFile> files;       // every usable image, sorted by path within each split
  std::vector<std::string> skipped;   // "<path>: <reason>" for each file that could not be used
  std::string split_rule;             // how the split was made, for the file list and the model's metadata

  std::vector<const ImageFile*> split(const std::string& name) const;
};

// Reads every image under `dir` (PNG, JPEG, BMP, TGA, GIF; recursively). If `dir` has `train/`, `val/` and
// `test/` subfolders they are the split; otherwise each file goes to test, val or train by a hash of its
// relative path (about 10% / 10% / 80%; at least one file each from three files on), so adding files moves
// few others. Unreadable, empty, tiny and oversized files are skipped with a message each. Throws when the
// folder does not exist, leaves no training or validation image, or decodes to more than `max_bytes` (checked
// image by image, so at most one image beyond the budget is ever decoded).
ImageFolder load_image_folder(const ImageFolderOptions& options);

// Writes "split<TAB>path<TAB>width<TAB>height" lines (and the skipped files as comments) to `path`; tabs, line
// breaks and backslashes in paths are escaped (\t, \n, \r, \\), so every file is one row of four fields.
void write_file_list(const std::string& path, const ImageFolder& folder);

// The next image's noise amount, uniform in [lo, hi]; with lo == hi nothing is drawn from `rng`.
inline float pick_amount(float lo, float hi, Rng& rng) {
  return lo == hi ? lo : lo + (hi - lo) * rng.uniform();
}

// One of `kinds` for the next image, uniformly; with one kind nothing is drawn from `rng`.
inline NoiseKind pick_noise(const std::vector<NoiseKind>& kinds, Rng& rng) {
  return kinds.size() == 1 ? kinds[0] : kinds[rng.next() % kinds.size()];
}

// What each training image's or patch's noise is drawn from: the one owner of that draw for Fashion-MNIST batches,
// photo patches and validation sets.
struct NoiseDraw {
  std::vector<NoiseKind> kinds = {NoiseKind::Gaussian};  // one per image, uniformly (pick_noise)
  float lo = 0.3f, hi = 0.3f;                            // σ (or p) of the value-by-value kinds
  float camera_lo = 0.0f, camera_hi = 0.06f;             // the camera kinds' amount
  int jpeg_lo = 60, jpeg_hi = 95;                        // camera-jpeg's quality
};

// The next image's noise: an amount from [lo, hi] (pick_amount), then a kind (pick_noise); a camera kind then draws
// its own amount, its place on the sensor's mosaic and the JPEG grid (a patch is a crop of a photo) and its JPEG
// quality. Lists without camera kinds draw exactly what they drew before camera noise existed.
inline NoiseParams draw_noise(const NoiseDraw& d, Rng& rng) {
  NoiseParams p;
  p.amount = pick_amount(d.lo, d.hi, rng);
  p.kind = pick_noise(d.kinds, rng);
  if (is_camera(p.kind)) {
    p.amount = pick_amount(d.camera_lo, d.camera_hi, rng);
    p.origin_x = static_cast<int>(rng.next() % 16);
    p.origin_y = static_cast<int>(rng.next() % 16);
    p.jpeg_quality = d.jpeg_lo + static_cast<int>(rng.next() % uint64_t(d.jpeg_hi - d.jpeg_lo + 1));
  }
  return p;
}

// Fills `clean` [count, C, P, P] with random patches of the training images (an image is picked with
// probability proportional to its area, then a position, a flip and a 90° rotation) and `noisy` with noise of
// noise drawn per patch by draw_noise. With C = 3, a
// `gray_fraction` of the patches are gray photos as dae::model_input gives them to a color model: luma in every channel
// as the target, and as the input the luma with its own noise plus the engine's synthetic color noise. Patch i depends
// only on (seed, i): the work is split over LibTorch's threads and the result is the same for any thread count.
void sample_patches(const std::vector<const ImageFile*>& images, int patch, uint64_t seed,
                    const NoiseDraw& noise, float gray_fraction, torch::Tensor& clean, torch::Tensor& noisy);

}  // namespace dae::trainer
