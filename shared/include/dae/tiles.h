// Images larger than one pass should take, run tile by tile: the one place that decides where tiles lie and how
// much context each reads, so every tiled run (the app's jobs, the command-line denoiser) equals a whole-image run.
//
//   dae::TileGrid grid = dae::tile_grid(model.arch(), image.h, image.w, 256);
//   dae::Result<dae::Tensor> out = dae::denoise_tiled(model, image, dae::whole_image_options(image, channels), grid);
#pragma once

#include <functional>

#include "dae/channels.h"

namespace dae {

// A rectangle of pixels, [x0, x1) × [y0, y1).
struct TileRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int w() const { return x1 - x0; }
  int h() const { return y1 - y0; }
};

struct TileGrid {
  int width = 0, height = 0;
  int tile = 0;  // core side: a multiple of the model's size multiple
  int halo = 0;  // context read beyond each side of a core (dae::context_radius; 0 for a single tile)
  int cols = 1, rows = 1;

  int count() const { return cols * rows; }
  // The pixels tile i (row-major) delivers, and what it reads to deliver them exactly: its core and `halo` pixels
  // around it, within the image.
  TileRect core(int i) const;
  TileRect region(int i) const;
};

// Cores of side `tile` (rounded up to the architecture's size multiple) covering an h×w image. An image that fits
// one tile, or tile <= 0, is a single tile of the whole image without halo.
TileGrid tile_grid(const Arch& arch, int height, int width, int tile);

// How tiles of the one image `whole` [1, C, H, W] meet a model of `model_channels` so that they match a whole-image
// run: what must be measured on the whole image (a gray image's noise σ for a color model) is measured here, once.
// The image is given by its channel count, first plane and size (so a caller holding it in its own layout need not
// copy it), or as a tensor.
ChannelOptions whole_image_options(int channels, const float* first_plane, int height, int width, int model_channels,
                                   ChannelOptions base = {});
inline ChannelOptions whole_image_options(const Tensor& whole, int model_channels, ChannelOptions base = {}) {
  return whole_image_options(whole.c, whole.data.data(), whole.h, whole.w, model_channels, base);
}

// One tile: `pixels` is the image's `region` (with its halo) [1, C, region.h(), region.w()]; the result is
// dae::denoise_channels of it (options' origin moved to the region) cropped to `core` [1, C, core.h(), core.w()].
Result<Tensor> denoise_tile(const Model& model, const Tensor& pixels, const ChannelOptions& options,
                            const TileRect& region, const TileRect& core);

// The two halves of denoise_tile for a backend that runs the model itself (ONNX Runtime in the app), so both
// backends see the same tensors: the model's input for the tile (dae::model_input with the origin moved to the region,
// padded to the size multiple: dae::pad_for_model), and the tile's core from what the model returned for it.
Result<Tensor> tile_model_input(const Arch& arch, const Tensor& pixels, const ChannelOptions& options,
                                const TileRect& region);
Result<Tensor> tile_from_output(Tensor out, int image_channels, const TileRect& region, const TileRect& core);

// dae::denoise_channels of one image [1, C, H, W], tile by tile: `deliver(core, out)` gets each tile's core as
// [1, C, core.h(), core.w()] (the image's channel count), then `progress(done, total)` is called; returning false
// stops before the next tile with an error saying so. Memory beyond the image is about one tile's.
Status denoise_tiled(const Model& model, const Tensor& image, const ChannelOptions& options, const TileGrid& grid,
                     const std::function<void(const TileRect& core, const Tensor& out)>& deliver,
                     const std::function<bool(int done, int total)>& progress = {});
// The same, assembled into one [1, C, H, W] result.
Result<Tensor> denoise_tiled(const Model& model, const Tensor& image, const ChannelOptions& options,
                             const TileGrid& grid, const std::function<bool(int done, int total)>& progress = {});

}  // namespace dae
