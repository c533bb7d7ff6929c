// bilateral's inner loop compiled for AVX2 + FMA (chosen at run time by use_avx2_kernels()).
#include "cpu/isa_avx2.h"
#if SPOKENSTYLE_HAVE_AVX2
#define SPOKENSTYLE_KERNEL_NAMESPACE cpu_avx2
#include "cpu/bilateral_kernel.h"
#else
#include "cpu/bilateral_kernel.h"
namespace spokenstyle::cpu_avx2 {
void bilateral_row(const BilateralRowTask& t, const void* x, const void* g, void* out, int64_t y, void* scratch) {
  cpu_default::bilateral_row(t, x, g, out, y, scratch);
}
}  // namespace spokenstyle::cpu_avx2
#endif
