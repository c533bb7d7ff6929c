// calc_mean_std / adain plane loops for the x86-64 baseline (and every other CPU).
#define CPU_CAPABILITY DEFAULT
#define SPOKENSTYLE_KERNEL_NAMESPACE cpu_default
#include "cpu/plane_simd.h"
