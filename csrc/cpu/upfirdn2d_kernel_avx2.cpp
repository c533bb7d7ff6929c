// upfirdn2d inner loops compiled for AVX2 + FMA (chosen at run time by use_avx2_kernels()).
#include "cpu/isa_avx2.h"
#if SPOKENSTYLE_HAVE_AVX2
#define SPOKENSTYLE_KERNEL_NAMESPACE cpu_avx2
#include "cpu/upfirdn2d_kernel.h"
#else
#include "cpu/upfirdn2d_kernel.h"
namespace spokenstyle::cpu_avx2 {
void upfirdn2d_plane(const FirPlaneTask& t, const void* x, void* y, void* scratch) {
  cpu_default::upfirdn2d_plane(t, x, y, scratch);
}
}  // namespace spokenstyle::cpu_avx2
#endif
