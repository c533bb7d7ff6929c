// The plane-major inner loops of calc_mean_std and adain (see cpu/plane_kernels.h), written with
// GCC vector extensions and compiled several times with target_clones: the loader picks the
// AVX-512, AVX2 or baseline (SSE2) clone for the running CPU. Nothing outside these functions
// is compiled for a wider ISA, so the extension still runs on any x86-64 CPU. Elsewhere (other
// compilers, other architectures) the same code is compiled once for the baseline.
#include <cstdint>
#include <cstring>

#include "cpu/plane_kernels.h"

// The vector helpers below are internal and always inlined; their ABI never crosses a call.
#pragma GCC diagnostic ignored "-Wpsabi"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SPOKENSTYLE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SPOKENSTYLE_CLONES
#endif

namespace spokenstyle {
namespace cpu {
namespace {

constexpr int kBytes = 64;  // one AVX-512 register; two AVX2, four SSE registers

template <typename T>
struct V {
  typedef T type __attribute__((vector_size(kBytes)));
  static constexpr int64_t W = kBytes / sizeof(T);
};

template <typename VT, typename T>
inline VT load(const T* p) {
  VT v;
  std::memcpy(&v, p, sizeof(VT));
  return v;
}

template <typename VT, typename T>
inline void store(T* p, VT v) {
  std::memcpy(p, &v, sizeof(VT));
}

template <typename T, typename VT>
inline double hsum(VT v) {
  double s = 0;
  for (int64_t k = 0; k < V<T>::W; ++k) s += v[k];
  return s;
}

}  // namespace

#define SPOKENSTYLE_PLANE_LOOPS(T)                                                                      \
  SPOKENSTYLE_CLONES double pm_sum(const T* x, int64_t n) {                                             \
    using VT = V<T>::type;                                                                              \
    constexpr int64_t W = V<T>::W;                                                                      \
    double total = 0;                                                                                   \
    for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {                                                     \
      const int64_t b1 = n < b0 + kSumBlock ? n : b0 + kSumBlock;                                       \
      VT a0 = {}, a1 = {};                                                                              \
      int64_t i = b0;                                                                                   \
      for (; i + 2 * W <= b1; i += 2 * W) {                                                             \
        a0 += load<VT>(x + i);                                                                          \
        a1 += load<VT>(x + i + W);                                                                      \
      }                                                                                                 \
      total += hsum<T>(a0 + a1);                                                                        \
      for (; i < b1; ++i) total += x[i];                                                                \
    }                                                                                                   \
    return total;                                                                                       \
  }                                                                                                     \
  SPOKENSTYLE_CLONES double pm_sqdev(const T* x, int64_t n, T m) {                                      \
    using VT = V<T>::type;                                                                              \
    constexpr int64_t W = V<T>::W;                                                                      \
    double total = 0;                                                                                   \
    for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {                                                     \
      const int64_t b1 = n < b0 + kSumBlock ? n : b0 + kSumBlock;                                       \
      VT a0 = {}, a1 = {};                                                                              \
      int64_t i = b0;                                                                                   \
      for (; i + 2 * W <= b1; i += 2 * W) {                                                             \
        const VT d0 = load<VT>(x + i) - m, d1 = load<VT>(x + i + W) - m;                                \
        a0 += d0 * d0;                                                                                  \
        a1 += d1 * d1;                                                                                  \
      }                                                                                                 \
      total += hsum<T>(a0 + a1);                                                                        \
      for (; i < b1; ++i) {                                                                             \
        const double d = double(x[i]) - double(m);                                                      \
        total += d * d;                                                                                 \
      }                                                                                                 \
    }                                                                                                   \
    return total;                                                                                       \
  }                                                                                                     \
  SPOKENSTYLE_CLONES void pm_dot2(const T* g, const T* x, int64_t n, T m, double* sg, double* sgx) {    \
    using VT = V<T>::type;                                                                              \
    constexpr int64_t W = V<T>::W;                                                                      \
    double tg = 0, tgx = 0;                                                                             \
    for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {                                                     \
      const int64_t b1 = n < b0 + kSumBlock ? n : b0 + kSumBlock;                                       \
      VT g0 = {}, g1 = {}, p0 = {}, p1 = {};                                                            \
      int64_t i = b0;                                                                                   \
      for (; i + 2 * W <= b1; i += 2 * W) {                                                             \
        const VT ga = load<VT>(g + i), gb = load<VT>(g + i + W);                                        \
        g0 += ga;                                                                                       \
        g1 += gb;                                                                                       \
        p0 += ga * (load<VT>(x + i) - m);                                                               \
        p1 += gb * (load<VT>(x + i + W) - m);                                                           \
      }                                                                                                 \
      tg += hsum<T>(g0 + g1);                                                                           \
      tgx += hsum<T>(p0 + p1);                                                                          \
      for (; i < b1; ++i) {                                                                             \
        tg += g[i];                                                                                     \
        tgx += double(g[i]) * (double(x[i]) - double(m));                                               \
      }                                                                                                 \
    }                                                                                                   \
    *sg = tg;                                                                                           \
    *sgx = tgx;                                                                                         \
  }                                                                                                     \
  SPOKENSTYLE_CLONES void pm_affine(const T* x, T* y, int64_t n, T m, T a, T b) {                       \
    using VT = V<T>::type;                                                                              \
    constexpr int64_t W = V<T>::W;                                                                      \
    int64_t i = 0;                                                                                      \
    for (; i + W <= n; i += W) store(y + i, (load<VT>(x + i) - m) * a + b);                             \
    for (; i < n; ++i) y[i] = (x[i] - m) * a + b;                                                       \
  }                                                                                                     \
  SPOKENSTYLE_CLONES void pm_affine2(const T* g, const T* x, T* out, int64_t n, T m, T A, T B, T c) {   \
    using VT = V<T>::type;                                                                              \
    constexpr int64_t W = V<T>::W;                                                                      \
    int64_t i = 0;                                                                                      \
    for (; i + W <= n; i += W) store(out + i, load<VT>(g + i) * A + ((load<VT>(x + i) - m) * B + c));   \
    for (; i < n; ++i) out[i] = g[i] * A + ((x[i] - m) * B + c);                                        \
  }

SPOKENSTYLE_PLANE_LOOPS(float)
SPOKENSTYLE_PLANE_LOOPS(double)

}  // namespace cpu
}  // namespace spokenstyle
