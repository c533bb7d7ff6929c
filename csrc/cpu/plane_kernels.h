// CPU building blocks of the per-plane operators (calc_mean_std, adain): reductions and affine
// passes over one plane (plane-major layout, SIMD loops in plane_simd.h) or over a block of up to
// kChannelBlock planes of one sample (channels_last layout, rows of consecutive channels).
//
// Reductions are cascaded: vector accumulators over blocks of kSumBlock elements, blocks summed
// in double, so float32 planes of millions of elements keep ~1e-7 relative accuracy.
// The parallel driver hands each task whole planes, so a plane read for its statistics is still
// in cache when the same task applies the affine map (one trip to memory per plane).
#pragma once

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>

#include "cpu/cpu_capability.h"
#include "cpu/plane_simd.h"
#include "planes.h"

namespace spokenstyle {
namespace cpu {

constexpr int64_t kChannelBlock = 64;    // channels per task in the channels_last layout
constexpr int64_t kGrainElems = kCpuGrain; // elements per parallel task, at least

// Where one group of planes (sample n, channels [c0, c0 + cb)) lives in memory.
struct PlaneView {
  int64_t S, C;
  bool cl;
  int64_t offset(int64_t n, int64_t c0) const { return cl ? n * S * C + c0 : (n * C + c0) * S; }
};

// fn(n, c0, cb) for every group of planes, in parallel. Plane-major: one plane per call.
template <typename Fn>
void for_each_plane_group(int64_t N, int64_t C, int64_t S, bool cl, const Fn& fn) {
  if (N * C == 0) return;
  if (!cl) {
    const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(S, 1));
    at::parallel_for(0, N * C, grain, [&](int64_t b, int64_t e) {
      for (int64_t q = b; q < e; ++q) fn(q / C, q % C, int64_t(1));
    });
  } else {
    const int64_t nb = (C + kChannelBlock - 1) / kChannelBlock;
    const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(S * std::min(C, kChannelBlock), 1));
    at::parallel_for(0, N * nb, grain, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t n = t / nb, c0 = (t % nb) * kChannelBlock;
        fn(n, c0, std::min(kChannelBlock, C - c0));
      }
    });
  }
}

// ---- plane-major (one contiguous plane of n elements), in cpu/plane_simd.h -----------------
// The loops of the running CPU's capability (baseline or AVX2; see cpu/cpu_capability.h).

template <typename T>
double pm_sum(const T* x, int64_t n) {
  return use_avx2_kernels() ? cpu_avx2::pm_sum(x, n) : cpu_default::pm_sum(x, n);
}
template <typename T>
double pm_sqdev(const T* x, int64_t n, T m) {
  return use_avx2_kernels() ? cpu_avx2::pm_sqdev(x, n, m) : cpu_default::pm_sqdev(x, n, m);
}
template <typename T>
void pm_dot2(const T* g, const T* x, int64_t n, T m, double* sg, double* sgx) {
  use_avx2_kernels() ? cpu_avx2::pm_dot2(g, x, n, m, sg, sgx) : cpu_default::pm_dot2(g, x, n, m, sg, sgx);
}
template <typename T>
void pm_affine(const T* x, T* y, int64_t n, T m, T a, T b) {
  use_avx2_kernels() ? cpu_avx2::pm_affine(x, y, n, m, a, b) : cpu_default::pm_affine(x, y, n, m, a, b);
}
template <typename T>
void pm_affine2(const T* g, const T* x, T* out, int64_t n, T m, T A, T B, T c) {
  use_avx2_kernels() ? cpu_avx2::pm_affine2(g, x, out, n, m, A, B, c)
                     : cpu_default::pm_affine2(g, x, out, n, m, A, B, c);
}

// ---- channels_last (S rows of C channels; this group is channels [c0, c0 + cb) ) ----------
// The pointers already point at channel c0 of row 0; rows are C elements apart.

template <typename T>
void cl_stats(const T* x, int64_t S, int64_t C, int64_t cb, double* mean, double* m2) {
  for (int64_t k = 0; k < cb; ++k) mean[k] = 0;
  for (int64_t s = 0; s < S; ++s) {
    const T* row = x + s * C;
    for (int64_t k = 0; k < cb; ++k) mean[k] += double(row[k]);
  }
  for (int64_t k = 0; k < cb; ++k) {
    mean[k] /= double(S);
    m2[k] = 0;
  }
  for (int64_t s = 0; s < S; ++s) {
    const T* row = x + s * C;
    for (int64_t k = 0; k < cb; ++k) {
      const double d = double(row[k]) - mean[k];
      m2[k] += d * d;
    }
  }
}

template <typename T>
void cl_dot2(const T* g, const T* x, int64_t S, int64_t C, int64_t cb, const double* mean, double* sg,
             double* sgx) {
  for (int64_t k = 0; k < cb; ++k) sg[k] = sgx[k] = 0;
  for (int64_t s = 0; s < S; ++s) {
    const T* gr = g + s * C;
    const T* xr = x + s * C;
    for (int64_t k = 0; k < cb; ++k) {
      sg[k] += double(gr[k]);
      sgx[k] += double(gr[k]) * (double(xr[k]) - mean[k]);
    }
  }
}

template <typename T>
void cl_affine(const T* x, T* y, int64_t S, int64_t C, int64_t cb, const T* m, const T* a, const T* b) {
  for (int64_t s = 0; s < S; ++s) {
    const T* xr = x + s * C;
    T* yr = y + s * C;
    for (int64_t k = 0; k < cb; ++k) yr[k] = (xr[k] - m[k]) * a[k] + b[k];
  }
}

template <typename T>
void cl_affine2(const T* g, const T* x, T* out, int64_t S, int64_t C, int64_t cb, const T* m, const T* A,
                const T* B, const T* c) {
  for (int64_t s = 0; s < S; ++s) {
    const T* gr = g + s * C;
    const T* xr = x + s * C;
    T* orow = out + s * C;
    for (int64_t k = 0; k < cb; ++k) orow[k] = A[k] * gr[k] + (B[k] * (xr[k] - m[k]) + c[k]);
  }
}

// ---- either layout -----------------------------------------------------------------------

// mean and sum of squared deviations of the cb planes starting at x.
template <typename T>
void group_stats(const PlaneView& v, const T* x, int64_t cb, double* mean, double* m2) {
  if (!v.cl) {
    mean[0] = pm_sum(x, v.S) / double(v.S);
    // Deviations from the mean rounded to T, corrected exactly for the rounding.
    const T mt = static_cast<T>(mean[0]);
    const double delta = mean[0] - double(mt);
    m2[0] = std::max(0.0, pm_sqdev(x, v.S, mt) - double(v.S) * delta * delta);
  } else {
    cl_stats(x, v.S, v.C, cb, mean, m2);
  }
}

template <typename T>
void group_dot2(const PlaneView& v, const T* g, const T* x, int64_t cb, const double* mean, double* sg,
                double* sgx) {
  if (!v.cl) {
    const T mt = static_cast<T>(mean[0]);
    pm_dot2(g, x, v.S, mt, sg, sgx);
    sgx[0] -= (mean[0] - double(mt)) * sg[0];  // sum(g (x - mean)) from sum(g (x - mt))
  } else {
    cl_dot2(g, x, v.S, v.C, cb, mean, sg, sgx);
  }
}

// y = (x - m) a + b per plane
template <typename T>
void group_affine(const PlaneView& v, const T* x, T* y, int64_t cb, const T* m, const T* a, const T* b) {
  if (!v.cl) {
    pm_affine(x, y, v.S, m[0], a[0], b[0]);
  } else {
    cl_affine(x, y, v.S, v.C, cb, m, a, b);
  }
}

// out = A g + B (x - m) + c per plane
template <typename T>
void group_affine2(const PlaneView& v, const T* g, const T* x, T* out, int64_t cb, const T* m, const T* A,
                   const T* B, const T* c) {
  if (!v.cl) {
    pm_affine2(g, x, out, v.S, m[0], A[0], B[0], c[0]);
  } else {
    cl_affine2(g, x, out, v.S, v.C, cb, m, A, B, c);
  }
}

}  // namespace cpu
}  // namespace spokenstyle
