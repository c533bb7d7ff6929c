// bias_act inner loops compiled for AVX2 + FMA (chosen at run time by use_avx2_kernels()).
#include "cpu/isa_avx2.h"
#if SPOKENSTYLE_HAVE_AVX2
#define SPOKENSTYLE_KERNEL_NAMESPACE cpu_avx2
#include "cpu/bias_act_kernel.h"
#else
#include "cpu/bias_act_kernel.h"
namespace spokenstyle::cpu_avx2 {
void bias_act_rows(const BiasActTask& t, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  cpu_default::bias_act_rows(t, r0, r1, c0, c1);
}
}  // namespace spokenstyle::cpu_avx2
#endif
