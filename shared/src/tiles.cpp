// Tiled denoising: tile geometry with the model's context, and the loop that runs and stitches the tiles.
#include "dae/tiles.h"

#include <algorithm>
#include <string>

namespace dae {

TileRect TileGrid::core(int i) const {
  const int tx = i % cols, ty = i / cols;
  TileRect r;
  r.x0 = tx * tile, r.y0 = ty * tile;
  r.x1 = std::min(width, r.x0 + tile), r.y1 = std::min(height, r.y0 + tile);
  return r;
}

TileRect TileGrid::region(int i) const {
  const TileRect c = core(i);
  return {std::max(0, c.x0 - halo), std::max(0, c.y0 - halo), std::min(width, c.x1 + halo),
          std::min(height, c.y1 + halo)};
}

TileGrid tile_grid(const Arch& arch, int height, int width, int tile) {
  TileGrid g;
  g.width = std::max(width, 0), g.height = std::max(height, 0);
  const int multiple = std::max(arch.size_multiple, 1);
  if (tile > 0) tile = (tile + multiple - 1) / multiple * multiple;
  if (tile <= 0 || (g.width <= tile && g.height <= tile)) {
    g.tile = std::max({g.width, g.height, 1});
    return g;
  }
  g.tile = tile;
  g.halo = context_radius(arch);
  g.cols = (g.width + tile - 1) / tile;
  g.rows = (g.height + tile - 1) / tile;
  return g;
}

ChannelOptions whole_image_options(int channels, const float* first_plane, int height, int width, int model_channels,
                                   ChannelOptions base) {
  if (channels == 1 && model_channels == 3 && base.gray_sigma < 0)
    base.gray_sigma = estimate_noise_sigma(first_plane, height, width);
  return base;
}

static Status check_tile(int n, int h, int w, const TileRect& region, const TileRect& core, const char* what) {
  if (n != 1 || h != region.h() || w != region.w() || core.x0 < region.x0 || core.y0 < region.y0 ||
      core.x1 > region.x1 || core.y1 > region.y1)
    return Status::Error(std::string(what) + ": the pixels are not the tile's region, or the core is not inside it");
  return Status::Ok();
}

static ChannelOptions at_region(ChannelOptions o, const TileRect& region) {
  o.origin_x += region.x0, o.origin_y += region.y0;
  return o;
}

// The core of a region's result.
static Tensor crop_core(const Tensor& out, const TileRect& region, const TileRect& core) {
  Tensor kept(1, out.c, core.h(), core.w());
  for (int k = 0; k < out.c; ++k)
    for (int y = 0; y < core.h(); ++y)
      std::copy_n(out.at(0, k) + size_t(core.y0 - region.y0 + y) * out.w + (core.x0 - region.x0), core.w(),
                  kept.at(0, k) + size_t(y) * core.w());
  return kept;
}

Result<Tensor> denoise_tile(const Model& model, const Tensor& pixels, const ChannelOptions& options,
                            const TileRect& region, const TileRect& core) {
  if (Status s = check_tile(pixels.n, pixels.h, pixels.w, region, core, "denoise_tile"); !s.ok()) return s;
  Result<Tensor> r = denoise_channels(model, pixels, at_region(options, region));
  if (!r.ok()) return r.status();
  return crop_core(*r, region, core);
}

Result<Tensor> tile_model_input(const Arch& arch, const Tensor& pixels, const ChannelOptions& options,
                                const TileRect& region) {
  if (Status s = check_tile(pixels.n, pixels.h, pixels.w, region, region, "tile_model_input"); !s.ok()) return s;
  Result<Tensor> in = model_input(pixels, arch.channels, at_region(options, region));
  if (!in.ok()) return in.status();
  return pad_for_model(arch, *in);
}

Result<Tensor> tile_from_output(Tensor out, int image_channels, const TileRect& region, const TileRect& core) {
  if (out.h < region.h() || out.w < region.w())
    return Status::Error("the model returned " + std::to_string(out.w) + "x" + std::to_string(out.h) + " for a " +
                         std::to_string(region.w()) + "x" + std::to_string(region.h()) + " tile");
  Result<Tensor> image = image_from_output(finish_output(std::move(out), region.h(), region.w()), image_channels);
  if (!image.ok()) return image.status();
  if (Status s = check_tile(image->n, image->h, image->w, region, core, "tile_from_output"); !s.ok()) return s;
  return crop_core(*image, region, core);
}

Status denoise_tiled(const Model& model, const Tensor& image, const ChannelOptions& options, const TileGrid& grid,
                     const std::function<void(const TileRect& core, const Tensor& out)>& deliver,
                     const std::function<bool(int done, int total)>& progress) {
  if (image.n != 1) return Status::Error("denoise_tiled takes one image, not " + std::to_string(image.n));
  if (grid.width != image.w || grid.height != image.h)
    return Status::Error("the tile grid is for " + std::to_string(grid.width) + "x" + std::to_string(grid.height) +
                         ", the image is " + std::to_string(image.w) + "x" + std::to_string(image.h));
  for (int i = 0; i < grid.count(); ++i) {
    const TileRect region = grid.region(i), core = grid.core(i);
    Tensor piece(1, image.c, region.h(), region.w());
    for (int k = 0; k < image.c; ++k)
      for (int y = 0; y < region.h(); ++y)
        std::copy_n(image.at(0, k) + size_t(region.y0 + y) * image.w + region.x0, region.w(),
                    piece.at(0, k) + size_t(y) * region.w());
    Result<Tensor> kept = denoise_tile(model, piece, options, region, core);
    if (!kept.ok()) return kept.status();
    deliver(core, *kept);
    if (progress && !progress(i + 1, grid.count()) && i + 1 < grid.count())
      return Status::Error("cancelled after " + std::to_string(i + 1) + " of " + std::to_string(grid.count()) +
                           " tiles");
  }
  return Status::Ok();
}

Result<Tensor> denoise_tiled(const Model& model, const Tensor& image, const ChannelOptions& options,
                             const TileGrid& grid, const std::function<bool(int done, int total)>& progress) {
  Tensor result(1, image.c, image.h, image.w);
  const Status s = denoise_tiled(
      model, image, options, grid,
      [&](const TileRect& core, const Tensor& out) {
        for (int k = 0; k < out.c; ++k)
          for (int y = 0; y < core.h(); ++y)
            std::copy_n(out.at(0, k) + size_t(y) * core.w(), core.w(),
                        result.at(0, k) + size_t(core.y0 + y) * result.w + core.x0);
      },
      progress);
  if (!s.ok()) return s;
  return result;
}

}  // namespace dae
