// bilateral's inner loop for the x86-64 baseline (and every other CPU).
#define CPU_CAPABILITY DEFAULT
#define SPOKENSTYLE_KERNEL_NAMESPACE cpu_default
#include "cpu/bilateral_kernel.h"
