// Winograd F(2×2, 3×3) convolution for 3×3, stride 1, pad 1 layers: 16 multiplies per 2×2 output tile
// and channel pair instead of 36. Transforms run SIMD across neighbouring tiles; the products are 16
// independent GEMMs (one per transform position) on the shared micro-kernel.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace dae::ops {
namespace DAE_KERNELS {
namespace {

constexpr int kPos = 16;  // positions of a 4×4 transformed tile

// Floats the transformed inputs and products of one block of tiles may occupy (16 · (cin + cout) per
// tile): small enough that the GEMMs find their B rows and C rows in L2.
constexpr int kBlockFloats = 48 * 1024;

// Channels ahead whose input rows are prefetched while a patch is filled.
constexpr int kAhead = 2;

// A patch of the zero-bordered input plane, stored with its even padded columns first and its odd ones after
// (`half` of each per row), so the four columns of tile tx are E[tx], O[tx], E[tx+1], O[tx+1]: plain loads
// for consecutive tiles, no strided gathers. A patch holds the 2·th + 2 rows and 2·tw + 2 columns that th × tw
// tiles read.
struct SplitPlane {
  int th = 0, tw = 0, half = 0, row = 0;
  size_t size() const { return static_cast<size_t>(2 * th + 2) * row; }
};

SplitPlane split_patch(int tile_rows, int tile_cols) {
  return {tile_rows, tile_cols, tile_cols + 1, 2 * (tile_cols + 1)};
}

// Fills the patch of the tiles starting at (ty0, tx0): patch row r and column c hold padded row 2·ty0 + r and
// column 2·tx0 + c, which is input row 2·ty0 + r − 1 and column 2·tx0 + c − 1, or zero outside the input.
void fill_patch(const float* src, int h, int w, int ty0, int tx0, const SplitPlane& s, float* patch,
                const float* ahead) {
  using namespace simd;
  const int x0 = 2 * tx0;
  for (int r = 0; r < 2 * s.th + 2; ++r) {
    float* even = patch + static_cast<size_t>(r) * s.row;  // patch column 2k: input column x0 + 2k − 1
    float* odd = even + s.half;                            // patch column 2k + 1: input column x0 + 2k
    const int y = 2 * ty0 + r - 1;
    if (y < 0 || y >= h) {
      std::fill_n(even, s.row, 0.0f);
      continue;
    }
    const float* in = src + static_cast<size_t>(y) * w;
    if (ahead) {
      // The same rows of a later channel: planes lie far apart, too many streams for the hardware prefetcher.
      const float* next = ahead + static_cast<size_t>(y) * w + std::max(x0 - 1, 0);
      const int len = std::min(2 * s.tw + 2, w - std::max(x0 - 1, 0));
      for (int i = 0; i < len; i += 16) __builtin_prefetch(next + i);
      __builtin_prefetch(next + len - 1);
    }
    even[0] = x0 > 0 ? in[x0 - 1] : 0.0f;
    int k = 0;
    for (; k + kWidth < s.half && x0 + 2 * (k + kWidth) <= w; k += kWidth) {
      Vec in_even, in_odd;
      deinterleave(load(in + x0 + 2 * k), load(in + x0 + 2 * k + kWidth), in_even, in_odd);
      store(odd + k, in_even);
      store(even + 1 + k, in_odd);
    }
    for (; k < s.half; ++k) {
      const int x = x0 + 2 * k;
      odd[k] = x < w ? in[x] : 0.0f;
      if (k + 1 < s.half) even[k + 1] = x + 1 < w ? in[x + 1] : 0.0f;
    }
  }
}

// V = Bᵀ d B for kWidth tiles starting at (ty, tx); position i goes to dst[i · pos_stride].
void input_tiles(const float* plane, const SplitPlane& s, int ty, int tx, float* dst, size_t pos_stride) {
  using namespace simd;
  Vec v[4][4];
  for (int c = 0; c < 4; ++c) {
    const float* col = plane + static_cast<size_t>(2 * ty) * s.row + tx + (c & 1) * s.half + (c >> 1);
    const Vec d0 = load(col), d1 = load(col + s.row), d2 = load(col + 2 * s.row), d3 = load(col + 3 * s.row);
    v[0][c] = simd::sub(d0, d2);
    v[1][c] = simd::add(d1, d2);
    v[2][c] = simd::sub(d2, d1);
    v[3][c] = simd::sub(d1, d3);
  }
  for (int r = 0; r < 4; ++r) {
    store(dst + (4 * r + 0) * pos_stride, simd::sub(v[r][0], v[r][2]));
    store(dst + (4 * r + 1) * pos_stride, simd::add(v[r][1], v[r][2]));
    store(dst + (4 * r + 2) * pos_stride, simd::sub(v[r][2], v[r][1]));
    store(dst + (4 * r + 3) * pos_stride, simd::sub(v[r][1], v[r][3]));
  }
}

// Y = Aᵀ M A + bias (then ReLU) for kWidth tiles starting at (ty, tx), cropped to the output plane and to the
// tiles before tx_end: the tiles after it belong to another work item, which may run at the same time.
void output_tiles(const float* src, size_t pos_stride, float bias, bool relu, float* plane, int oh, int ow, int ty,
                  int tx, int tx_end) {
  using namespace simd;
  Vec s[2][4];
  for (int c = 0; c < 4; ++c) {
    const Vec m0 = load(src + c * pos_stride), m1 = load(src + (4 + c) * pos_stride),
              m2 = load(src + (8 + c) * pos_stride), m3 = load(src + (12 + c) * pos_stride);
    s[0][c] = simd::add(simd::add(m0, m1), m2);
    s[1][c] = simd::sub(simd::sub(m1, m2), m3);
  }
  const Vec b = set1(bias);
  const int x0 = 2 * tx, cols = std::min({2 * kWidth, ow - x0, 2 * (tx_end - tx)});  // > 0: tx < tx_end <= tw
  for (int r = 0; r < 2 && 2 * ty + r < oh; ++r) {
    Vec left = simd::add(simd::add(simd::add(s[r][0], s[r][1]), s[r][2]), b);
    Vec right = simd::add(simd::sub(simd::sub(s[r][1], s[r][2]), s[r][3]), b);
    if (relu) left = max(left, zero()), right = max(right, zero());
    float* dst = plane + static_cast<size_t>(2 * ty + r) * ow + x0;
    if (cols == 2 * kWidth) {
      store_interleaved(dst, left, right);
    } else {
      float tmp[2 * kWidth];
      store_interleaved(tmp, left, right);
      std::copy_n(tmp, cols, dst);
    }
  }
}

// U = G g Gᵀ for every (co, ci), packed as 16 matrices [cout × cin]. The transform writes each pair's
// 16 values together and the packing then reads them with a stride of 16: writing the 16 matrices
// directly would scatter stores 4 KiB apart (cout · cin floats) into the same L1 sets.
std::vector<PackedA> transform_weights(const float* weight, const ConvParams& p) {
  const size_t pairs = static_cast<size_t>(p.cout) * p.cin;
  std::vector<float> all(pairs * kPos);
  for (size_t pair = 0; pair < pairs; ++pair) {
    const float* g = weight + pair * 9;
    float t[4][3];  // G g
    for (int j = 0; j < 3; ++j) {
      t[0][j] = g[j];
      t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
      t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
      t[3][j] = g[6 + j];
    }
    float* dst = all.data() + pair * kPos;
    for (int i = 0; i < 4; ++i) {
      dst[4 * i + 0] = t[i][0];
      dst[4 * i + 1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
      dst[4 * i + 2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
      dst[4 * i + 3] = t[i][2];
    }
  }
  std::vector<PackedA> u(kPos);
  for (int pos = 0; pos < kPos; ++pos)
    pack_a(all.data() + pos, p.cout, p.cin, static_cast<size_t>(p.cin) * kPos, kPos, nullptr, u[pos]);
  return u;
}

}  // namespace

std::vector<PackedA> prepare_winograd(const float* weight, const ConvParams& p) {
  return transform_weights(weight, p);
}

void setup_winograd(const ConvParams& p, ConvSetup& s) {
  const int th = (s.h + 1) / 2, tw = (s.w + 1) / 2;
  // A work item is a block of whole tile rows, or a segment of one tile row on wide images.
  const int most = std::max(kNR, kBlockFloats / (kPos * (p.cin + p.cout)) / kNR * kNR);
  if (tw <= most) {
    s.cols = tw;
    s.rows = std::clamp(most / tw, 1, th);
  } else {
    // Two tile rows per item: each input row is read by 1.5 items instead of 2.
    s.rows = std::min(2, th);
    const int segments = (tw * s.rows + most - 1) / most;
    s.cols = round_up((tw + segments - 1) / segments, simd::kWidth);
  }
  s.block = s.rows * s.cols;
  // The transforms always handle kWidth tiles, running past the end of a tile row: the extra results land
  // in the next row's slots (rewritten when that row is done) or in kWidth slack columns, and the output
  // transform crops them. ld is the row stride of the transformed inputs and products.
  s.ld = s.block + simd::kWidth;
  s.koff.resize(p.cin);
  for (int ci = 0; ci < p.cin; ++ci) s.koff[ci] = std::ptrdiff_t{ci} * s.ld;
  const SplitPlane patch = split_patch(s.rows, s.cols);
  // Slack after the patches: the overrunning loads of the last patch's last row.
  s.scratch.worker = p.cin * patch.size() + patch.row + 2 * simd::kWidth +
                     static_cast<size_t>(kPos) * p.cin * s.ld + kNR + static_cast<size_t>(kPos) * p.cout * s.ld;
}

void run_winograd(const ConvWeights& c, const ConvSetup& s, const View& in, const View& out, const Exec& ex) {
  const int cin = c.p.cin, cout = c.p.cout, th = (s.h + 1) / 2, tw = (s.w + 1) / 2;
  // More threads want more, smaller items; the item size never changes a result.
  int rows = s.rows, cols = s.cols;
  auto items = [&] { return in.n * ((th + rows - 1) / rows) * ((tw + cols - 1) / cols); };
  const int wanted = split_count(in.n * th * tw / kNR, ex.threads);
  while (items() < wanted && rows > 1) rows = (rows + 1) / 2;
  while (items() < wanted && cols > 2 * kNR) cols = round_up((cols + 1) / 2, simd::kWidth);
  const int row_items = (th + rows - 1) / rows, col_items = (tw + cols - 1) / cols;
  const SplitPlane geometry = split_patch(rows, cols);
  const size_t pplane = geometry.size(), v_pos = static_cast<size_t>(cin) * s.ld, m_pos = static_cast<size_t>(cout) * s.ld;
  const size_t patch_floats = cin * pplane + geometry.row + 2 * simd::kWidth;
  const bool relu = c.p.act == Act::Relu;
  ex.parallel(items(), 1, [&](int begin, int end, int worker) {
    float* patch = ex.worker(worker);
    float* v = patch + patch_floats;
    float* m = v + kPos * v_pos + kNR;
    std::fill(patch + cin * pplane, patch + patch_floats, 0.0f);
    for (int item = begin; item < end; ++item) {
      const int n = item / (row_items * col_items), ty0 = item / col_items % row_items * rows,
                tx0 = item % col_items * cols;
      const int nr = std::min(rows, th - ty0), nc = std::min(cols, tw - tx0);
      const SplitPlane g = split_patch(nr, nc);
      for (int ci = 0; ci < cin; ++ci) {
        float* plane = patch + ci * pplane;
        fill_patch(in.at(n, ci), s.h, s.w, ty0, tx0, g, plane, ci + kAhead < cin ? in.at(n, ci + kAhead) : nullptr);
        float* dst = v + static_cast<size_t>(ci) * s.ld;
        for (int r = 0; r < nr; ++r)
          for (int tx = 0; tx < nc; tx += simd::kWidth) input_tiles(plane, g, r, tx, dst + r * nc + tx, v_pos);
      }
      for (int pos = 0; pos < kPos; ++pos)
        gemm(c.winograd[pos], v + pos * v_pos, s.koff.data(), nr * nc, m + pos * m_pos, s.ld, false);
      for (int co = 0; co < cout; ++co) {
        const float* src = m + static_cast<size_t>(co) * s.ld;
        float* plane = out.at(n, co);
        for (int r = 0; r < nr; ++r)
          for (int tx = 0; tx < nc; tx += simd::kWidth)
            output_tiles(src + r * nc + tx, m_pos, c.bias[co], relu, plane, s.oh, s.ow, ty0 + r, tx0 + tx, tx0 + nc);
      }
    }
  });
}

}  // namespace DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)

bool winograd_applies(const ConvParams& p) {
  return p.kernel == 3 && p.stride == 1 && p.pad == 1 && p.cin > 0 && p.cout > 0;
}

#endif

}  // namespace dae::ops
