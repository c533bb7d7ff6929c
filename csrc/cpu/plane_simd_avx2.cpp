// calc_mean_std / adain plane loops compiled for AVX2 + FMA (chosen at run time by use_avx2_kernels()).
#include "cpu/isa_avx2.h"
#if SPOKENSTYLE_HAVE_AVX2
#define SPOKENSTYLE_KERNEL_NAMESPACE cpu_avx2
#include "cpu/plane_simd.h"
#else
// Not x86-64 (or not GCC/Clang): the AVX2 entry points forward to the baseline loops.
#include "cpu/plane_simd.h"
namespace spokenstyle::cpu::cpu_avx2 {
#define SPOKENSTYLE_FORWARD_PLANE_LOOPS(T)                                                                 \
  double pm_sum(const T* x, int64_t n) { return cpu_default::pm_sum(x, n); }                              \
  double pm_sqdev(const T* x, int64_t n, T m) { return cpu_default::pm_sqdev(x, n, m); }                  \
  void pm_dot2(const T* g, const T* x, int64_t n, T m, double* sg, double* sgx) {                        \
    cpu_default::pm_dot2(g, x, n, m, sg, sgx);                                                            \
  }                                                                                                       \
  void pm_affine(const T* x, T* y, int64_t n, T m, T a, T b) { cpu_default::pm_affine(x, y, n, m, a, b); } \
  void pm_affine2(const T* g, const T* x, T* out, int64_t n, T m, T A, T B, T c) {                        \
    cpu_default::pm_affine2(g, x, out, n, m, A, B, c);                                                    \
  }
SPOKENSTYLE_FORWARD_PLANE_LOOPS(float)
SPOKENSTYLE_FORWARD_PLANE_LOOPS(double)
}  // namespace spokenstyle::cpu::cpu_avx2
#endif
