// 2-D convolution: the scalar reference, the implicit-im2col GEMM path and the choice of algorithm.
#include <algorithm>
#include <cstring>

#include "dae/ops.h"
#include "kernels.h"

namespace dae::ops {
#if !defined(DAE_KERNELS_ONLY)  // the tensor-level operators, compiled once

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

#endif

namespace DAE_KERNELS {

// Crossovers measured with dae_bench_kernels (native) and the same layer table under node (WebAssembly).
bool winograd_suits(const ConvParams& p, int h, int w) {
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

ConvAlgo choose_conv_algo(const ConvParams& p, int h, int w) {
  return winograd_suits(p, h, w) ? ConvAlgo::Winograd : ConvAlgo::Gemm;
}

ConvWeights prepare_conv(const float* weight, const float* bias, const ConvParams& p, bool winograd) {
  ConvWeights c;
  c.p = p;
  const int kdim = p.cin * p.kernel * p.kernel;
  pack_a(weight, p.cout, kdim, kdim, 1, bias, c.gemm);
  c.bias.assign(p.cout, 0.0f);
  if (bias) c.bias.assign(bias, bias + p.cout);
  if (winograd && winograd_applies(p)) c.winograd = prepare_winograd(weight, p);
  return c;
}

namespace {

// Floats of C one stride-1 GEMM work item writes: with its rows of B it stays in L2.
constexpr int kBandFloats = 32 * 1024;
// Floats of the im2col buffer of one work item.
constexpr int kColFloats = 64 * 1024;

// Stride 1: each work item copies the input rows its band of output rows reads into zero-bordered planes.
// Output pixel (y, x) computed at flat position y·PW + x then needs input row k at a fixed offset koff[k] for
// every pixel, so the GEMM reads B straight from the planes; the k−1 columns per row that fall in the border
// are computed and dropped when the result is cropped into `out`.
void run_stride1(const ConvWeights& c, const ConvSetup& s, const View& in, const View& out, const Exec& ex) {
  const ConvParams& p = c.p;
  const int k = p.kernel, pw = s.w + 2 * p.pad;
  const size_t pplane = static_cast<size_t>(s.rows + k - 1) * pw;
  const int parts = split_count(s.oh, ex.threads);
  const int rows = std::min(s.rows, (s.oh + parts - 1) / parts), bands = (s.oh + rows - 1) / rows;
  ex.parallel(in.n * bands, 1, [&](int begin, int end, int worker) {
    float* padded = ex.worker(worker);
    float* result = padded + p.cin * pplane + kNR + k;
    std::fill(padded + p.cin * pplane, result, 0.0f);  // slack the last tiles read
    for (int item = begin; item < end; ++item) {
      const int n = item / bands, y0 = item % bands * rows, count = std::min(rows, s.oh - y0), cols = count * pw;
      for (int ci = 0; ci < p.cin; ++ci) {
        const float* src = in.at(n, ci);
        for (int r = 0; r < count + k - 1; ++r) {
          float* row = padded + ci * pplane + static_cast<size_t>(r) * pw;
          const int y = y0 + r - p.pad;
          if (y < 0 || y >= s.h) {
            std::fill_n(row, pw, 0.0f);
            continue;
          }
          std::fill_n(row, p.pad, 0.0f);
          std::memcpy(row + p.pad, src + static_cast<size_t>(y) * s.w, sizeof(float) * s.w);
          std::fill(row + p.pad + s.w, row + pw, 0.0f);
        }
      }
      gemm(c.gemm, padded, s.koff.data(), cols, result, cols, p.act == Act::Relu);
      for (int co = 0; co < p.cout; ++co)
        for (int y = 0; y < count; ++y)
          std::memcpy(out.at(n, co) + static_cast<size_t>(y0 + y) * s.ow, result + static_cast<size_t>(co) * cols + y * pw,
                      sizeof(float) * s.ow);
    }
  });
}

// Any stride: im2col of a band of whole output rows into a K × band buffer, then the same GEMM. Each
// (channel, tap) row of the buffer is a strided copy of input rows with the padding's columns
// worked out once per tap, so the copy loop itself has no bounds checks.
void run_im2col(const ConvWeights& c, const ConvSetup& s, const View& in, const View& out, const Exec& ex) {
  const ConvParams& p = c.p;
  const int k = p.kernel, kk = k * k, st = p.stride, band = s.rows * s.ow;
  const int rows = std::min(s.rows, (s.oh + split_count(s.oh, ex.threads) - 1) / split_count(s.oh, ex.threads));
  const int items = (s.oh + rows - 1) / rows;
  ex.parallel(in.n * items, 1, [&](int begin, int end, int worker) {
    float* col = ex.worker(worker);
    for (int item = begin; item < end; ++item) {
      const int n = item / items, y0 = item % items * rows, count = std::min(rows, s.oh - y0);
      for (int ci = 0; ci < p.cin; ++ci) {
        const float* src = in.at(n, ci);
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            // Output columns [x_lo, x_hi) read inside the input row for tap column kx.
            const int x_lo = std::min(s.ow, std::max(0, (p.pad - kx + st - 1) / st));
            const int last = s.w - 1 + p.pad - kx;  // largest ox·s with ix < w
            const int x_hi = std::max(x_lo, last < 0 ? 0 : std::min(s.ow, last / st + 1));
            float* dst = col + static_cast<size_t>(ci * kk + ky * k + kx) * band;
            for (int r = 0; r < count; ++r, dst += s.ow) {
              const int iy = (y0 + r) * st - p.pad + ky;
              if (iy < 0 || iy >= s.h) {
                std::fill_n(dst, s.ow, 0.0f);
                continue;
              }
              const float* srow = src + static_cast<size_t>(iy) * s.w - p.pad + kx;
              std::fill_n(dst, x_lo, 0.0f);
              for (int x = x_lo; x < x_hi; ++x) dst[x] = srow[x * st];
              std::fill(dst + x_hi, dst + s.ow, 0.0f);
            }
          }
      }
      gemm(c.gemm, col, s.koff.data(), count * s.ow, out.at(n, 0) + static_cast<size_t>(y0) * s.ow, out.plane(),
           p.act == Act::Relu);
    }
  });
}

}  // namespace

ConvSetup setup_conv(const ConvParams& p, ConvAlgo algo, int h, int w) {
  ConvSetup s;
  s.algo = algo;
  s.h = h, s.w = w;
  s.oh = conv_out_size(h, p), s.ow = conv_out_size(w, p);
  if (algo == ConvAlgo::Winograd) {
    setup_winograd(p, s);
    return s;
  }
  const int k = p.kernel;
  if (p.stride == 1) {
    const int pw = w + 2 * p.pad;
    s.rows = std::clamp(kBandFloats / (p.cout * pw), 1, s.oh);
    const size_t pplane = static_cast<size_t>(s.rows + k - 1) * pw;
    s.koff.resize(static_cast<size_t>(p.cin) * k * k);
    for (int ci = 0; ci < p.cin; ++ci)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx)
          s.koff[(ci * k + ky) * k + kx] = static_cast<std::ptrdiff_t>(ci * pplane) + std::ptrdiff_t{ky} * pw + kx;
    // The band's planes, slack past the last one (reads run up to round_up(columns, kNR) + koff of the last
    // row) and the product before cropping.
    s.scratch.worker = static_cast<size_t>(p.cin) * pplane + kNR + k + static_cast<size_t>(p.cout) * s.rows * pw;
  } else {
    const int kdim = p.cin * k * k;
    s.rows = std::clamp(kColFloats / kdim / s.ow, 1, s.oh);
    const std::ptrdiff_t band = std::ptrdiff_t{s.rows} * s.ow;
    s.koff.resize(kdim);
    for (int r = 0; r < kdim; ++r) s.koff[r] = r * band;
    s.scratch.worker = static_cast<size_t>(kdim) * band + kNR;
  }
  return s;
}

void run_conv(const ConvWeights& c, const ConvSetup& s, const View& in, const View& out, const Exec& ex) {
  if (s.algo == ConvAlgo::Winograd)
    run_winograd(c, s, in, out, ex);
  else if (c.p.stride == 1)
    run_stride1(c, s, in, out, ex);
  else
    run_im2col(c, s, in, out, ex);
  if (c.p.act == Act::Sigmoid) run_activate(out, c.p.act, ex);
}

}  // namespace DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)

namespace {

// The tensor-level entry points: prepare, set up and run in one call.
void conv2d_with(detail::ConvAlgo algo, const Tensor& in, const float* weight, const float* bias, const ConvParams& p,
                 Tensor& out, int threads) {
  const int oh = conv_out_size(in.h, p), ow = conv_out_size(in.w, p);
  if (oh < 1 || ow < 1 || in.n < 1) return conv2d_reference(in, weight, bias, p, out);
  const detail::ConvWeights c = detail::prepare_conv(weight, bias, p, algo == detail::ConvAlgo::Winograd);
  const detail::ConvSetup s = detail::setup_conv(p, algo, in.h, in.w);
  out = Tensor(in.n, p.cout, oh, ow);
  detail::with_scratch(s.scratch, threads,
                       [&](const detail::Exec& ex) { detail::run_conv(c, s, detail::read_view(in), detail::view(out), ex); });
}

}  // namespace

void conv2d_gemm(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out,
                 int threads) {
  conv2d_with(detail::ConvAlgo::Gemm, in, weight, bias, p, out, threads);
}

void conv2d_winograd(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out,
                     int threads) {
  conv2d_with(winograd_applies(p) ? detail::ConvAlgo::Winograd : detail::ConvAlgo::Gemm, in, weight, bias, p, out,
              threads);
}

void conv2d(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out, int threads) {
  conv2d_with(detail::choose_conv_algo(p, in.h, in.w), in, weight, bias, p, out, threads);
}

#endif

}  // namespace dae::ops
