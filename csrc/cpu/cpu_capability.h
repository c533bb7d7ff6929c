// Runtime choice between kernels compiled for the x86-64 baseline and for AVX2+FMA.
//
// Four kernels have both builds: bias_act (cpu/bias_act_kernel.h), the calc_mean_std/adain
// plane loops (cpu/plane_simd.h), upfirdn2d (cpu/upfirdn2d_kernel.h) and bilateral's row loop
// (cpu/bilateral_kernel.h). Each is a header of
// raw-pointer loops (at::vec::Vectorized where it vectorises; no Tensor, no at::parallel_for),
// compiled twice: by its *_default.cpp into namespace cpu_default and by its *_avx2.cpp, which
// first includes "cpu/isa_avx2.h" so the same code is compiled with AVX2+FMA enabled, into
// namespace cpu_avx2 (spokenstyle::cpu_avx2 for bias_act, upfirdn2d and bilateral,
// spokenstyle::cpu::cpu_avx2 for the plane loops). On other CPUs the *_avx2.cpp entry points
// forward to the baseline ones. setup.py links the *_avx2.cpp files last, so inline helpers
// shared with baseline code resolve to their baseline copies. The driver (bias_act.cpp,
// upfirdn2d.cpp, plane_kernels.h, filters.cpp) picks a build with use_avx2_kernels() below.
// minibatch_stddev.cpp is not one of them: its at::vec loop is compiled once, for the baseline
// (nor are the scalar anisotropic_kuwahara and flow_dog loops of filters.cpp).
#pragma once

#include <ATen/Version.h>

#include <string>

namespace spokenstyle {

// True where ATen runs AVX2 or AVX512 (so AVX512 machines run the AVX2 builds); honours
// ATEN_CPU_CAPABILITY (e.g. =default), like ATen's own kernels. Read once, on the first call.
inline bool use_avx2_kernels() {
#if defined(__x86_64__) || defined(_M_X64)
  static const bool yes = [] {
    const std::string cap = at::get_cpu_capability();
    return cap == "AVX2" || cap == "AVX512";
  }();
  return yes;
#else
  return false;
#endif
}

}  // namespace spokenstyle
