// Runtime choice between kernels compiled for the x86-64 baseline and for AVX2+FMA.
//
// A kernel that wants wide vectors lives in a header written against at::vec::Vectorized and is
// compiled twice: by <name>_default.cpp and by <name>_avx2.cpp, which first includes
// "cpu/isa_avx2.h" so the same code is compiled with AVX2 enabled, in its own namespace. Those
// translation units hold only raw-pointer loops and the vec headers (no Tensor, no
// at::parallel_for), as ATen's own per-capability kernels do, and link after the baseline ones,
// so shared inline helpers resolve to their baseline copies.
#pragma once

#include <ATen/Version.h>

#include <string>

namespace spokenstyle {

// Honours ATEN_CPU_CAPABILITY (e.g. =default), like ATen's own kernels.
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
