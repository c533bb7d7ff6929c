// The plane-major inner loops of calc_mean_std and adain (declared in cpu/plane_kernels.h),
// written against at::vec::Vectorized and compiled once per CPU capability, like bias_act's:
// plane_simd_default.cpp (x86-64 baseline, every other CPU) and plane_simd_avx2.cpp (AVX2 +
// FMA), chosen at run time by use_avx2_kernels(), which honours ATEN_CPU_CAPABILITY.
//
// Sums are cascaded: four vector accumulators over blocks of kSumBlock elements, each block's
// total added in double, so float32 planes of millions of elements keep ~1e-7 relative accuracy.
#pragma once

#include <cstdint>

namespace spokenstyle {
namespace cpu {

constexpr int64_t kSumBlock = 2048;  // elements per cascade block

// The loops of one capability: sum(x); sum((x - m)^2); sum(g) and sum(g (x - m));
// y = (x - m) a + b; out = A g + B (x - m) + c. (Centred affine maps: a constant plane gives
// exactly b, with no cancellation of a*mean.)
#define SPOKENSTYLE_DECLARE_PLANE_LOOPS(T)                                                        \
  double pm_sum(const T* x, int64_t n);                                                           \
  double pm_sqdev(const T* x, int64_t n, T m);                                                    \
  void pm_dot2(const T* g, const T* x, int64_t n, T m, double* sg, double* sgx);                  \
  void pm_affine(const T* x, T* y, int64_t n, T m, T a, T b);                                     \
  void pm_affine2(const T* g, const T* x, T* out, int64_t n, T m, T A, T B, T c);

namespace cpu_default {
SPOKENSTYLE_DECLARE_PLANE_LOOPS(float)
SPOKENSTYLE_DECLARE_PLANE_LOOPS(double)
}  // namespace cpu_default
namespace cpu_avx2 {
SPOKENSTYLE_DECLARE_PLANE_LOOPS(float)
SPOKENSTYLE_DECLARE_PLANE_LOOPS(double)
}  // namespace cpu_avx2

}  // namespace cpu
}  // namespace spokenstyle

#ifdef SPOKENSTYLE_KERNEL_NAMESPACE
// ---- the implementation, compiled in each capability TU ------------------------------------
#include <ATen/cpu/vec/vec.h>

namespace spokenstyle {
namespace cpu {
namespace SPOKENSTYLE_KERNEL_NAMESPACE {
namespace {

template <typename T>
using Vec = at::vec::Vectorized<T>;

template <typename T>
inline double hsum(const Vec<T>& v) {
  T buf[Vec<T>::size()];
  v.store(buf);
  double s = 0;
  for (int64_t k = 0; k < Vec<T>::size(); ++k) s += buf[k];
  return s;
}

template <typename T>
double sum_impl(const T* x, int64_t n) {
  constexpr int64_t W = Vec<T>::size();
  double total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {
    const int64_t b1 = n < b0 + kSumBlock ? n : b0 + kSumBlock;
    Vec<T> a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    int64_t i = b0;
    for (; i + 4 * W <= b1; i += 4 * W) {
      a0 += Vec<T>::loadu(x + i);
      a1 += Vec<T>::loadu(x + i + W);
      a2 += Vec<T>::loadu(x + i + 2 * W);
      a3 += Vec<T>::loadu(x + i + 3 * W);
    }
    total += hsum<T>((a0 + a1) + (a2 + a3));
    for (; i < b1; ++i) total += x[i];
  }
  return total;
}

template <typename T>
double sqdev_impl(const T* x, int64_t n, T m) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> vm(m);
  double total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {
    const int64_t b1 = n < b0 + kSumBlock ? n : b0 + kSumBlock;
    Vec<T> a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    int64_t i = b0;
    for (; i + 4 * W <= b1; i += 4 * W) {
      const Vec<T> d0 = Vec<T>::loadu(x + i) - vm, d1 = Vec<T>::loadu(x + i + W) - vm;
      const Vec<T> d2 = Vec<T>::loadu(x + i + 2 * W) - vm, d3 = Vec<T>::loadu(x + i + 3 * W) - vm;
      a0 = at::vec::fmadd(d0, d0, a0);
      a1 = at::vec::fmadd(d1, d1, a1);
      a2 = at::vec::fmadd(d2, d2, a2);
      a3 = at::vec::fmadd(d3, d3, a3);
    }
    total += hsum<T>((a0 + a1) + (a2 + a3));
    for (; i < b1; ++i) {
      const double d = double(x[i]) - double(m);
      total += d * d;
    }
  }
  return total;
}

template <typename T>
void dot2_impl(const T* g, const T* x, int64_t n, T m, double* sg, double* sgx) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> vm(m);
  double tg = 0, tgx = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {
    const int64_t b1 = n < b0 + kSumBlock ? n : b0 + kSumBlock;
    Vec<T> g0(T(0)), g1(T(0)), p0(T(0)), p1(T(0));
    int64_t i = b0;
    for (; i + 2 * W <= b1; i += 2 * W) {
      const Vec<T> ga = Vec<T>::loadu(g + i), gb = Vec<T>::loadu(g + i + W);
      g0 += ga;
      g1 += gb;
      p0 = at::vec::fmadd(ga, Vec<T>::loadu(x + i) - vm, p0);
      p1 = at::vec::fmadd(gb, Vec<T>::loadu(x + i + W) - vm, p1);
    }
    tg += hsum<T>(g0 + g1);
    tgx += hsum<T>(p0 + p1);
    for (; i < b1; ++i) {
      tg += g[i];
      tgx += double(g[i]) * (double(x[i]) - double(m));
    }
  }
  *sg = tg;
  *sgx = tgx;
}

template <typename T>
void affine_impl(const T* x, T* y, int64_t n, T m, T a, T b) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> vm(m), va(a), vb(b);
  int64_t i = 0;
  for (; i + W <= n; i += W) at::vec::fmadd(Vec<T>::loadu(x + i) - vm, va, vb).store(y + i);
  if (i < n) at::vec::fmadd(Vec<T>::loadu(x + i, n - i) - vm, va, vb).store(y + i, n - i);
}

template <typename T>
void affine2_impl(const T* g, const T* x, T* out, int64_t n, T m, T A, T B, T c) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> vm(m), vA(A), vB(B), vc(c);
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    at::vec::fmadd(Vec<T>::loadu(g + i), vA, at::vec::fmadd(Vec<T>::loadu(x + i) - vm, vB, vc)).store(out + i);
  }
  if (i < n) {
    const int64_t r = n - i;
    at::vec::fmadd(Vec<T>::loadu(g + i, r), vA, at::vec::fmadd(Vec<T>::loadu(x + i, r) - vm, vB, vc))
        .store(out + i, r);
  }
}

}  // namespace

#define SPOKENSTYLE_DEFINE_PLANE_LOOPS(T)                                                                     \
  double pm_sum(const T* x, int64_t n) { return sum_impl<T>(x, n); }                                          \
  double pm_sqdev(const T* x, int64_t n, T m) { return sqdev_impl<T>(x, n, m); }                              \
  void pm_dot2(const T* g, const T* x, int64_t n, T m, double* sg, double* sgx) {                            \
    dot2_impl<T>(g, x, n, m, sg, sgx);                                                                        \
  }                                                                                                           \
  void pm_affine(const T* x, T* y, int64_t n, T m, T a, T b) { affine_impl<T>(x, y, n, m, a, b); }            \
  void pm_affine2(const T* g, const T* x, T* out, int64_t n, T m, T A, T B, T c) {                            \
    affine2_impl<T>(g, x, out, n, m, A, B, c);                                                                \
  }

SPOKENSTYLE_DEFINE_PLANE_LOOPS(float)
SPOKENSTYLE_DEFINE_PLANE_LOOPS(double)
#undef SPOKENSTYLE_DEFINE_PLANE_LOOPS

}  // namespace SPOKENSTYLE_KERNEL_NAMESPACE
}  // namespace cpu
}  // namespace spokenstyle
#endif  // SPOKENSTYLE_KERNEL_NAMESPACE
