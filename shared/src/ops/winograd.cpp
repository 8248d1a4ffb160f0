// Winograd F(2×2, 3×3) convolution for 3×3, stride 1, pad 1 layers: 16 multiplies per 2×2 output tile
// and channel pair instead of 36. Transforms run SIMD across neighbouring tiles; the products are 16
// independent GEMMs (one per transform position) on the shared micro-kernel.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace dae::ops {
namespace detail {
namespace {

constexpr int kPos = 16;  // positions of a 4×4 transformed tile

// Floats the transformed inputs and products of one block of tiles may occupy (16 · (cin + cout) per
// tile): small enough that the GEMMs find their B rows and C rows in L2.
constexpr int kBlockFloats = 48 * 1024;

// The zero-bordered input plane is stored with its even padded columns first and its odd ones after
// (`half` of each per row), so the four columns of tile tx are E[tx], O[tx], E[tx+1], O[tx+1]: plain
// loads for consecutive tiles, no strided gathers.
struct SplitPlane {
  int th = 0, tw = 0, half = 0, row = 0;
  size_t size() const { return static_cast<size_t>(2 * th + 2) * row; }
};

void fill_split_plane(const float* src, int h, int w, const SplitPlane& s, float* plane) {
  using namespace simd;
  for (int y = 0; y < h; ++y) {
    const float* in = src + static_cast<size_t>(y) * w;
    float* even = plane + static_cast<size_t>(y + 1) * s.row;  // padded column 2k
    float* odd = even + s.half;                                // padded column 2k + 1
    // Input column x is padded column x + 1: input column 2k goes to odd[k], 2k + 1 to even[k + 1].
    int k = 0;
    for (; 2 * (k + kWidth) <= w; k += kWidth) {
      Vec in_even, in_odd;
      deinterleave(load(in + 2 * k), load(in + 2 * k + kWidth), in_even, in_odd);
      store(odd + k, in_even);
      store(even + 1 + k, in_odd);
    }
    for (int x = 2 * k; x < w; ++x) (x % 2 ? even[(x + 1) / 2] : odd[x / 2]) = in[x];
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

// Calls fn(ty, tx_begin, tx_end, offset) for the runs of tiles of [t0, t0 + count) within one tile row.
template <class Fn>
void for_each_tile_run(int t0, int count, int tw, Fn fn) {
  for (int t = t0; t < t0 + count;) {
    const int ty = t / tw, tx = t % tw, len = std::min(tw - tx, t0 + count - t);
    fn(ty, tx, tx + len, t - t0);
    t += len;
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

SplitPlane split_plane(int h, int w) {
  SplitPlane s;
  s.th = (h + 1) / 2;
  s.tw = (w + 1) / 2;
  s.half = s.tw + 1;
  s.row = 2 * s.half;
  return s;
}

// Copies one input plane into its split plane and zeroes the cells fill_split_plane does not write: the
// border and the odd-size overhang.
void fill_channel(const float* src, int h, int w, const SplitPlane& s, float* plane) {
  std::fill_n(plane, s.row, 0.0f);
  std::fill(plane + static_cast<size_t>(h + 1) * s.row, plane + s.size(), 0.0f);
  for (int y = 1; y <= h; ++y) {
    float* row = plane + static_cast<size_t>(y) * s.row;
    row[0] = 0.0f;
    for (int c = w + 1; c <= 2 * s.tw + 1; ++c) row[(c % 2) * s.half + c / 2] = 0.0f;
  }
  fill_split_plane(src, h, w, s, plane);
}

}  // namespace

std::vector<PackedA> prepare_winograd(const float* weight, const ConvParams& p) {
  return transform_weights(weight, p);
}

void setup_winograd(const ConvParams& p, ConvSetup& s) {
  const SplitPlane sp = split_plane(s.h, s.w);
  const int tiles = sp.th * sp.tw;
  const int block = kBlockFloats / (kPos * (p.cin + p.cout));
  s.block = std::min(tiles, std::max(kNR, block / kNR * kNR));
  // The transforms always handle kWidth tiles, running past the end of a tile row: the extra results
  // land in the next run's slots (rewritten when that run is done) or in kWidth slack columns, and the
  // output transform crops them. ld is the row stride of the transformed inputs and products.
  s.ld = s.block + simd::kWidth;
  s.koff.resize(p.cin);
  for (int ci = 0; ci < p.cin; ++ci) s.koff[ci] = ci * s.ld;
  // Slack: the overrunning loads of the last plane's last tile row.
  s.scratch.shared = p.cin * sp.size() + sp.row + 2 * simd::kWidth;
  s.scratch.worker = static_cast<size_t>(kPos) * (p.cin + p.cout) * s.ld + kNR;
}

void run_winograd(const ConvWeights& c, const ConvSetup& s, const View& in, const View& out, const Exec& ex) {
  const int cin = c.p.cin, cout = c.p.cout;
  const SplitPlane sp = split_plane(s.h, s.w);
  const int tiles = sp.th * sp.tw;
  // More threads want more, smaller blocks; the block size never changes a result.
  const int parts = split_count(tiles / kNR, ex.threads);
  const int block = std::min(s.block, std::max(kNR, (tiles + parts - 1) / parts / kNR * kNR));
  const int blocks = (tiles + block - 1) / block;
  const size_t pplane = sp.size(), v_pos = static_cast<size_t>(cin) * s.ld, m_pos = static_cast<size_t>(cout) * s.ld;
  float* padded = ex.shared;
  std::fill(padded + cin * pplane, padded + s.scratch.shared, 0.0f);
  const bool relu = c.p.act == Act::Relu;
  for (int n = 0; n < in.n; ++n) {
    ex.parallel(cin, 1, [&](int begin, int end, int) {
      for (int ci = begin; ci < end; ++ci) fill_channel(in.at(n, ci), s.h, s.w, sp, padded + ci * pplane);
    });
    ex.parallel(blocks, 1, [&](int begin, int end, int worker) {
      float* v = ex.worker(worker);
      float* m = v + kPos * v_pos + kNR;
      for (int b = begin; b < end; ++b) {
        const int t0 = b * block, count = std::min(block, tiles - t0);
        for (int ci = 0; ci < cin; ++ci) {
          const float* plane = padded + ci * pplane;
          float* dst = v + static_cast<size_t>(ci) * s.ld;
          for_each_tile_run(t0, count, sp.tw, [&](int ty, int tx, int tx_end, int offset) {
            for (; tx < tx_end; tx += simd::kWidth, offset += simd::kWidth)
              input_tiles(plane, sp, ty, tx, dst + offset, v_pos);
          });
        }
        for (int pos = 0; pos < kPos; ++pos)
          gemm(c.winograd[pos], v + pos * v_pos, s.koff.data(), count, m + pos * m_pos, s.ld, false);
        for (int co = 0; co < cout; ++co) {
          const float* src = m + static_cast<size_t>(co) * s.ld;
          float* plane = out.at(n, co);
          for_each_tile_run(t0, count, sp.tw, [&](int ty, int tx, int tx_end, int offset) {
            for (int t = tx; t < tx_end; t += simd::kWidth, offset += simd::kWidth)
              output_tiles(src + offset, m_pos, c.bias[co], relu, plane, s.oh, s.ow, ty, t, tx_end);
          });
        }
      }
    });
  }
}

}  // namespace detail

bool winograd_applies(const ConvParams& p) {
  return p.kernel == 3 && p.stride == 1 && p.pad == 1 && p.cin > 0 && p.cout > 0;
}

}  // namespace dae::ops
