// The inner loops of upfirdn2d on raw pointers, one (n, c) plane at a time; compiled once per
// CPU capability (upfirdn2d_kernel_default.cpp, upfirdn2d_kernel_avx2.cpp). The driver in
// upfirdn2d.cpp splits the planes with at::parallel_for.
//
// Per plane: every input row is zero-inserted and padded along x once, into a scratch buffer
// split into down_x phases (phase p holds u[.][m * down_x + p]), so each tap reads a
// contiguous run for a whole row of outputs; the output row is then a sum of vector FMAs over
// the taps that land on real (not inserted-zero, not padding) input rows. Accumulation is in
// the element type (float32 for float32).
#pragma once

#include <cstdint>

namespace spokenstyle {

struct FirPlaneTask {
  const void* f;  // (fh, fw), flipped: the kernels correlate
  int64_t H, W, fh, fw, OH, OW;
  int64_t upx, upy, downx, downy, px0, py0;
  int64_t phase_len;  // elements of one phase of one scratch row
  bool is_double;
};

// Scratch elements one plane needs (H rows of down_x phases).
inline int64_t fir_scratch_elems(const FirPlaneTask& t) { return t.H * t.downx * t.phase_len; }

using FirPlaneFn = void (*)(const FirPlaneTask&, const void* x, void* y, void* scratch);

namespace cpu_default {
void upfirdn2d_plane(const FirPlaneTask&, const void* x, void* y, void* scratch);
}
namespace cpu_avx2 {
void upfirdn2d_plane(const FirPlaneTask&, const void* x, void* y, void* scratch);
}

}  // namespace spokenstyle

#ifdef SPOKENSTYLE_KERNEL_NAMESPACE
// ---- the implementation, compiled in each capability TU ------------------------------------
#include <ATen/cpu/vec/vec.h>

#include <cstring>
#include <vector>

namespace spokenstyle {
namespace SPOKENSTYLE_KERNEL_NAMESPACE {
namespace {

template <typename T>
using Vec = at::vec::Vectorized<T>;

template <typename T>
void plane_impl(const FirPlaneTask& t, const T* x, T* y, T* scratch) {
  const T* f = static_cast<const T*>(t.f);
  const int64_t L = t.phase_len, D = t.downx, row = D * L;
  // Scratch row sy = input row sy, zero-inserted and padded along x, split into phases.
  std::memset(scratch, 0, sizeof(T) * t.H * row);
  for (int64_t sy = 0; sy < t.H; ++sy) {
    T* r = scratch + sy * row;
    const T* xr = x + sy * t.W;
    for (int64_t sx = 0; sx < t.W; ++sx) {
      const int64_t j = sx * t.upx + t.px0;  // position in the padded, zero-inserted row
      if (j < 0) continue;
      const int64_t m = j / D;
      if (m >= L) break;
      r[(j % D) * L + m] = xr[sx];
    }
  }
  constexpr int64_t W = Vec<T>::size();
  std::vector<int64_t> taps(2 * t.fh);
  int64_t* taps_ky = taps.data();
  int64_t* taps_sy = taps.data() + t.fh;
  for (int64_t oy = 0; oy < t.OH; ++oy) {
    T* yr = y + oy * t.OW;
    // The taps of this output row that fall on a real input row.
    int64_t nt = 0;
    for (int64_t ky = 0; ky < t.fh; ++ky) {
      const int64_t s = oy * t.downy + ky - t.py0;
      if (s < 0 || s % t.upy != 0 || s / t.upy >= t.H) continue;
      taps_ky[nt] = ky;
      taps_sy[nt] = s / t.upy;
      ++nt;
    }
    int64_t ox = 0;
    for (; ox + W <= t.OW; ox += W) {
      Vec<T> acc(T(0));
      for (int64_t k = 0; k < nt; ++k) {
        const T* fr = f + taps_ky[k] * t.fw;
        const T* r = scratch + taps_sy[k] * row;
        for (int64_t kx = 0; kx < t.fw; ++kx) {
          acc = at::vec::fmadd(Vec<T>(fr[kx]), Vec<T>::loadu(r + (kx % D) * L + kx / D + ox), acc);
        }
      }
      acc.store(yr + ox);
    }
    if (ox < t.OW) {
      const int64_t n = t.OW - ox;
      Vec<T> acc(T(0));
      for (int64_t k = 0; k < nt; ++k) {
        const T* fr = f + taps_ky[k] * t.fw;
        const T* r = scratch + taps_sy[k] * row;
        for (int64_t kx = 0; kx < t.fw; ++kx) {
          acc = at::vec::fmadd(Vec<T>(fr[kx]), Vec<T>::loadu(r + (kx % D) * L + kx / D + ox, n), acc);
        }
      }
      acc.store(yr + ox, n);
    }
  }
}

}  // namespace

void upfirdn2d_plane(const FirPlaneTask& t, const void* x, void* y, void* scratch) {
  if (t.is_double) {
    plane_impl<double>(t, static_cast<const double*>(x), static_cast<double*>(y), static_cast<double*>(scratch));
  } else {
    plane_impl<float>(t, static_cast<const float*>(x), static_cast<float*>(y), static_cast<float*>(scratch));
  }
}

}  // namespace SPOKENSTYLE_KERNEL_NAMESPACE
}  // namespace spokenstyle
#endif  // SPOKENSTYLE_KERNEL_NAMESPACE
