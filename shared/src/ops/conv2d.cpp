// 2-D convolution: the scalar reference, the implicit-im2col GEMM path and the choice of algorithm.
#include <algorithm>
#include <cstring>

#include "conv_fast.h"
#include "dae/ops.h"
#include "gemm.h"

namespace dae::ops {

int conv_out_size(int in, const ConvParams& p) {
  return (in + 2 * p.pad - p.kernel) / p.stride + 1;
}

void conv2d_reference(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out) {
  const int oh = conv_out_size(in.h, p), ow = conv_out_size(in.w, p), k = p.kernel;
  out = Tensor(in.n, p.cout, oh, ow);
  for (int n = 0; n < in.n; ++n)
    for (int co = 0; co < p.cout; ++co) {
      float* dst = out.at(n, co);
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
          float acc = bias ? bias[co] : 0.0f;
          for (int ci = 0; ci < p.cin; ++ci) {
            const float* src = in.at(n, ci);
            const float* wk = weight + (static_cast<size_t>(co) * p.cin + ci) * k * k;
            for (int ky = 0; ky < k; ++ky) {
              const int iy = y * p.stride - p.pad + ky;
              if (iy < 0 || iy >= in.h) continue;
              for (int kx = 0; kx < k; ++kx) {
                const int ix = x * p.stride - p.pad + kx;
                if (ix < 0 || ix >= in.w) continue;
                acc += src[static_cast<size_t>(iy) * in.w + ix] * wk[ky * k + kx];
              }
            }
          }
          dst[static_cast<size_t>(y) * ow + x] = acc;
        }
    }
  activate_reference(out.data.data(), out.size(), p.act);
}

namespace {

using detail::gemm;
using detail::kNR;
using detail::PackedA;
using detail::scratch;

// Stride 1: copy each image once into a zero-bordered buffer. Then output pixel (y, x) computed at
// flat position y·PW + x needs input row k at a fixed offset koff[k] for every pixel, so the GEMM
// reads B straight from the buffer; the k−1 columns per row that fall in the border are computed
// and dropped when the result is cropped into `out`.
void conv2d_stride1(const Tensor& in, const PackedA& a, const ConvParams& p, Tensor& out) {
  const int k = p.kernel, ph = in.h + 2 * p.pad, pw = in.w + 2 * p.pad;
  const size_t pplane = static_cast<size_t>(ph) * pw;
  const int flat = out.h * pw;
  // Slack past the last plane: reads run up to round_up(flat, kNR) + koff of the last row.
  const size_t padded_size = p.cin * pplane + kNR + k;
  std::vector<float>& padded = scratch(0, padded_size);
  std::vector<float>& result = scratch(1, static_cast<size_t>(p.cout) * flat);
  std::vector<int> koff(static_cast<size_t>(p.cin) * k * k);
  for (int ci = 0; ci < p.cin; ++ci)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) koff[(ci * k + ky) * k + kx] = static_cast<int>(ci * pplane) + ky * pw + kx;
  std::fill_n(padded.begin(), padded_size, 0.0f);
  for (int n = 0; n < in.n; ++n) {
    for (int ci = 0; ci < p.cin; ++ci)
      for (int y = 0; y < in.h; ++y)
        std::memcpy(padded.data() + ci * pplane + static_cast<size_t>(y + p.pad) * pw + p.pad,
                    in.at(n, ci) + static_cast<size_t>(y) * in.w, sizeof(float) * in.w);
    gemm(a, padded.data(), koff.data(), flat, result.data(), flat, p.act == Act::Relu);
    for (int co = 0; co < p.cout; ++co)
      for (int y = 0; y < out.h; ++y)
        std::memcpy(out.at(n, co) + static_cast<size_t>(y) * out.w,
                    result.data() + static_cast<size_t>(co) * flat + y * pw, sizeof(float) * out.w);
  }
}

// Any stride: im2col of a band of whole output rows into a K × band buffer, then the same GEMM. Each
// (channel, tap) row of the buffer is a strided copy of input rows with the padding's columns
// worked out once per tap, so the copy loop itself has no bounds checks.
void conv2d_im2col(const Tensor& in, const PackedA& a, const ConvParams& p, Tensor& out) {
  const int k = p.kernel, kk = k * k, kdim = p.cin * kk, s = p.stride;
  const int band_rows = std::clamp(65536 / kdim / out.w, 1, out.h);
  const int band = band_rows * out.w;
  std::vector<float>& col = scratch(0, static_cast<size_t>(kdim) * band + kNR);
  std::vector<int> koff(kdim);
  for (int r = 0; r < kdim; ++r) koff[r] = r * band;
  // Output columns [x_lo[kx], x_hi[kx]) read inside the input row for tap column kx.
  std::vector<int> x_lo(k), x_hi(k);
  for (int kx = 0; kx < k; ++kx) {
    x_lo[kx] = std::min(out.w, std::max(0, (p.pad - kx + s - 1) / s));
    const int last = in.w - 1 + p.pad - kx;  // largest ox·s with ix < in.w
    x_hi[kx] = std::max(x_lo[kx], last < 0 ? 0 : std::min(out.w, last / s + 1));
  }
  for (int n = 0; n < in.n; ++n)
    for (int y0 = 0; y0 < out.h; y0 += band_rows) {
      const int rows = std::min(band_rows, out.h - y0);
      for (int ci = 0; ci < p.cin; ++ci) {
        const float* src = in.at(n, ci);
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            float* dst = col.data() + static_cast<size_t>(ci * kk + ky * k + kx) * band;
            for (int r = 0; r < rows; ++r, dst += out.w) {
              const int iy = (y0 + r) * s - p.pad + ky;
              if (iy < 0 || iy >= in.h) {
                std::fill_n(dst, out.w, 0.0f);
                continue;
              }
              const float* srow = src + static_cast<size_t>(iy) * in.w - p.pad + kx;
              std::fill_n(dst, x_lo[kx], 0.0f);
              for (int x = x_lo[kx]; x < x_hi[kx]; ++x) dst[x] = srow[x * s];
              std::fill(dst + x_hi[kx], dst + out.w, 0.0f);
            }
          }
      }
      gemm(a, col.data(), koff.data(), rows * out.w, out.at(n, 0) + static_cast<size_t>(y0) * out.w, out.plane(),
           p.act == Act::Relu);
    }
}

}  // namespace

// Crossovers measured with dae_bench_kernels (native) and the same layer table under node (WebAssembly).
bool detail::winograd_suits(const ConvParams& p, int h, int w) {
  if (!winograd_applies(p)) return false;
#if defined(__wasm_simd128__)
  // SIMD128 has no fused multiply-add, so each saved multiply saves two instructions: Winograd wins
  // from 8 input channels at every size (1.2-2.2x), and only loses on the single-channel input layer.
  (void)h, (void)w;
  return p.cin >= 8;
#else
  // With FMA the GEMM runs close to peak and the transforms cost relatively more: only wide layers on
  // images big enough to fill the tile blocks gain.
  const int pairs = p.cin * p.cout, pixels = h * w;
  return (pairs >= 512 && pixels >= 400) || (pairs >= 256 && pixels >= 16384);
#endif
}

void conv2d_gemm(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out) {
  const int oh = conv_out_size(in.h, p), ow = conv_out_size(in.w, p);
  if (oh < 1 || ow < 1 || in.n < 1) return conv2d_reference(in, weight, bias, p, out);
  out = Tensor(in.n, p.cout, oh, ow);
  const int kdim = p.cin * p.kernel * p.kernel;
  PackedA a;
  detail::pack_a(weight, p.cout, kdim, kdim, 1, bias, a);
  if (p.stride == 1)
    conv2d_stride1(in, a, p, out);
  else
    conv2d_im2col(in, a, p, out);
  if (p.act == Act::Sigmoid) activate(out.data.data(), out.size(), p.act);
}

void conv2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out) {
  if (detail::winograd_suits(p, in.h, in.w))
    conv2d_winograd(in, weight, bias, p, out);
  else
    conv2d_gemm(in, weight, bias, p, out);
}

}  // namespace dae::ops
