// The engine's one SIMD vocabulary: a float vector type and the few operations the kernels use,
// mapped to WebAssembly SIMD128, AVX-512, AVX2+FMA, SSE2 or plain scalar code at compile time.
//
// Kernels written with it have a full-vector loop over `kWidth` floats and a scalar leftovers loop.
// Only engine sources include this header (it depends on the target flags of the file including it).
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif (defined(__AVX512F__) || defined(__AVX2__)) && defined(__FMA__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dae::simd {

// Each branch lives in its own inline namespace: the kernels are compiled for more than one instruction set
// into one program (AVX2 and AVX-512, chosen at run time), and their definitions must not be merged.
#if defined(__wasm_simd128__)
inline namespace wasm128 {

inline constexpr int kWidth = 4;
inline constexpr const char* kName = "wasm-simd128";
using Vec = v128_t;
inline Vec zero() {
  return wasm_f32x4_splat(0.0f);
}
inline Vec set1(float x) {
  return wasm_f32x4_splat(x);
}
inline Vec load(const float* p) {
  return wasm_v128_load(p);
}
inline void store(float* p, Vec v) {
  wasm_v128_store(p, v);
}
inline Vec add(Vec a, Vec b) {
  return wasm_f32x4_add(a, b);
}
inline Vec sub(Vec a, Vec b) {
  return wasm_f32x4_sub(a, b);
}
inline Vec mul(Vec a, Vec b) {
  return wasm_f32x4_mul(a, b);
}
// No fused multiply-add in baseline SIMD128 (relaxed SIMD is not usable with this toolchain).
inline Vec fmadd(Vec a, Vec b, Vec c) {
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
}
// pmax is `a < b ? b : a`, one x86 instruction, unlike the NaN-propagating f32x4.max.
inline Vec max(Vec a, Vec b) {
  return wasm_f32x4_pmax(a, b);
}
// [max(lo0, lo1), max(lo2, lo3), max(hi0, hi1), max(hi2, hi3)]: neighbouring pairs of lo:hi.
inline Vec pairwise_max(Vec lo, Vec hi) {
  return max(wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6), wasm_i32x4_shuffle(lo, hi, 1, 3, 5, 7));
}
// Stores a0 b0 a1 b1 … (2 · kWidth floats): two vectors of results for neighbouring pixels.
inline void store_interleaved(float* p, Vec a, Vec b) {
  wasm_v128_store(p, wasm_i32x4_shuffle(a, b, 0, 4, 1, 5));
  wasm_v128_store(p + 4, wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
}
// The inverse: lo:hi = x0 x1 x2 … (2 · kWidth floats) -> even = x0 x2 …, odd = x1 x3 ….
inline void deinterleave(Vec lo, Vec hi, Vec& even, Vec& odd) {
  even = wasm_i32x4_shuffle(lo, hi, 0, 2, 4, 6);
  odd = wasm_i32x4_shuffle(lo, hi, 1, 3, 5, 7);
}

}  // namespace wasm128
#elif defined(__AVX512F__) && defined(__FMA__)
inline namespace avx512 {

inline constexpr int kWidth = 16;
inline constexpr const char* kName = "avx512-fma";
using Vec = __m512;
inline Vec zero() {
  return _mm512_setzero_ps();
}
inline Vec set1(float x) {
  return _mm512_set1_ps(x);
}
inline Vec load(const float* p) {
  return _mm512_loadu_ps(p);
}
inline void store(float* p, Vec v) {
  _mm512_storeu_ps(p, v);
}
inline Vec add(Vec a, Vec b) {
  return _mm512_add_ps(a, b);
}
inline Vec sub(Vec a, Vec b) {
  return _mm512_sub_ps(a, b);
}
inline Vec mul(Vec a, Vec b) {
  return _mm512_mul_ps(a, b);
}
inline Vec fmadd(Vec a, Vec b, Vec c) {
  return _mm512_fmadd_ps(a, b, c);
}
// The masked form: GCC 12 warns about the unmasked one's undefined pass-through operand.
inline Vec max(Vec a, Vec b) {
  return _mm512_maskz_max_ps(0xffff, a, b);
}
// Two-source permutes pick any lanes of lo:hi (indices 16..31 are hi's).
inline void deinterleave(Vec lo, Vec hi, Vec& even, Vec& odd) {
  even = _mm512_permutex2var_ps(lo, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), hi);
  odd = _mm512_permutex2var_ps(lo, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), hi);
}
inline Vec pairwise_max(Vec lo, Vec hi) {
  Vec even, odd;
  deinterleave(lo, hi, even, odd);
  return max(even, odd);
}
inline void store_interleaved(float* p, Vec a, Vec b) {
  _mm512_storeu_ps(p, _mm512_permutex2var_ps(
                          a, _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), b));
  _mm512_storeu_ps(p + 16, _mm512_permutex2var_ps(
                               a, _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), b));
}

}  // namespace avx512
#elif defined(__AVX2__) && defined(__FMA__)
inline namespace avx2 {

inline constexpr int kWidth = 8;
inline constexpr const char* kName = "avx2-fma";
using Vec = __m256;
inline Vec zero() {
  return _mm256_setzero_ps();
}
inline Vec set1(float x) {
  return _mm256_set1_ps(x);
}
inline Vec load(const float* p) {
  return _mm256_loadu_ps(p);
}
inline void store(float* p, Vec v) {
  _mm256_storeu_ps(p, v);
}
inline Vec add(Vec a, Vec b) {
  return _mm256_add_ps(a, b);
}
inline Vec sub(Vec a, Vec b) {
  return _mm256_sub_ps(a, b);
}
inline Vec mul(Vec a, Vec b) {
  return _mm256_mul_ps(a, b);
}
inline Vec fmadd(Vec a, Vec b, Vec c) {
  return _mm256_fmadd_ps(a, b, c);
}
inline Vec max(Vec a, Vec b) {
  return _mm256_max_ps(a, b);
}
inline Vec pairwise_max(Vec lo, Vec hi) {
  // Within each 128-bit lane: evens and odds of lo and hi; the max is then in 64-bit chunk order
  // lo01 lo23 | hi01 hi23 | lo45 lo67 | hi45 hi67, which one cross-lane permute puts right.
  const Vec even = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  const Vec odd = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
  const __m256d m = _mm256_castps_pd(_mm256_max_ps(even, odd));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(m, _MM_SHUFFLE(3, 1, 2, 0)));
}
inline void store_interleaved(float* p, Vec a, Vec b) {
  // unpack works within 128-bit lanes: lo = a0 b0 a1 b1 | a4 b4 a5 b5, hi = a2 b2 a3 b3 | a6 b6 a7 b7.
  const Vec lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
  _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}
inline void deinterleave(Vec lo, Vec hi, Vec& even, Vec& odd) {
  // As in pairwise_max: lane-wise shuffles, then one cross-lane permute into order.
  const __m256d e = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
  const __m256d o = _mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
  even = _mm256_castpd_ps(_mm256_permute4x64_pd(e, _MM_SHUFFLE(3, 1, 2, 0)));
  odd = _mm256_castpd_ps(_mm256_permute4x64_pd(o, _MM_SHUFFLE(3, 1, 2, 0)));
}

}  // namespace avx2
#elif defined(__SSE2__)
inline namespace sse2 {

inline constexpr int kWidth = 4;
inline constexpr const char* kName = "sse2";
using Vec = __m128;
inline Vec zero() {
  return _mm_setzero_ps();
}
inline Vec set1(float x) {
  return _mm_set1_ps(x);
}
inline Vec load(const float* p) {
  return _mm_loadu_ps(p);
}
inline void store(float* p, Vec v) {
  _mm_storeu_ps(p, v);
}
inline Vec add(Vec a, Vec b) {
  return _mm_add_ps(a, b);
}
inline Vec sub(Vec a, Vec b) {
  return _mm_sub_ps(a, b);
}
inline Vec mul(Vec a, Vec b) {
  return _mm_mul_ps(a, b);
}
inline Vec fmadd(Vec a, Vec b, Vec c) {
  return _mm_add_ps(_mm_mul_ps(a, b), c);
}
inline Vec max(Vec a, Vec b) {
  return _mm_max_ps(a, b);
}
inline Vec pairwise_max(Vec lo, Vec hi) {
  return _mm_max_ps(_mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)), _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
}
inline void store_interleaved(float* p, Vec a, Vec b) {
  _mm_storeu_ps(p, _mm_unpacklo_ps(a, b));
  _mm_storeu_ps(p + 4, _mm_unpackhi_ps(a, b));
}
inline void deinterleave(Vec lo, Vec hi, Vec& even, Vec& odd) {
  even = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  odd = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}

}  // namespace sse2
#else
inline namespace scalar {

inline constexpr int kWidth = 1;
inline constexpr const char* kName = "scalar";
using Vec = float;
inline Vec zero() {
  return 0.0f;
}
inline Vec set1(float x) {
  return x;
}
inline Vec load(const float* p) {
  return *p;
}
inline void store(float* p, Vec v) {
  *p = v;
}
inline Vec add(Vec a, Vec b) {
  return a + b;
}
inline Vec sub(Vec a, Vec b) {
  return a - b;
}
inline Vec mul(Vec a, Vec b) {
  return a * b;
}
inline Vec fmadd(Vec a, Vec b, Vec c) {
  return a * b + c;
}
inline Vec max(Vec a, Vec b) {
  return a < b ? b : a;
}
inline Vec pairwise_max(Vec lo, Vec hi) {
  return max(lo, hi);
}
inline void store_interleaved(float* p, Vec a, Vec b) {
  p[0] = a;
  p[1] = b;
}
inline void deinterleave(Vec lo, Vec hi, Vec& even, Vec& odd) {
  even = lo;
  odd = hi;
}

}  // namespace scalar
#endif

}  // namespace dae::simd
