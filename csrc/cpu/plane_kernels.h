// CPU building blocks of the per-plane operators (calc_mean_std, adain): reductions and affine
// passes over one plane (plane-major layout, vectorised with at::vec) or over a block of up to
// kChannelBlock planes of one sample (channels_last layout, rows of consecutive channels).
//
// Reductions are cascaded: Vectorized accumulators over blocks of kSumBlock elements, blocks summed
// in double, so float32 planes of millions of elements keep ~1e-7 relative accuracy.
// The parallel driver hands each task whole planes, so a plane read for its statistics is still
// in cache when the same task applies the affine map (one trip to memory per plane).
#pragma once

#include <ATen/Parallel.h>
#include <ATen/cpu/vec/functional.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cstdint>

#include "planes.h"

namespace spokenstyle {
namespace cpu {

template <typename T>
using Vec = at::vec::Vectorized<T>;

constexpr int64_t kSumBlock = 2048;      // elements per cascade block
constexpr int64_t kChannelBlock = 64;    // channels per task in the channels_last layout
constexpr int64_t kGrainElems = 1 << 15; // elements per parallel task, at least

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

template <typename T>
inline double hsum(const Vec<T>& v) {
  T buf[Vec<T>::size()];
  v.store(buf);
  double s = 0;
  for (int64_t k = 0; k < Vec<T>::size(); ++k) s += buf[k];
  return s;
}

// ---- plane-major (one contiguous plane of n elements) -------------------------------------

template <typename T>
double pm_sum(const T* x, int64_t n) {
  constexpr int64_t W = Vec<T>::size();
  double total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {
    const int64_t b1 = std::min(n, b0 + kSumBlock);
    Vec<T> a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    int64_t i = b0;
    for (; i + 4 * W <= b1; i += 4 * W) {
      a0 += Vec<T>::loadu(x + i);
      a1 += Vec<T>::loadu(x + i + W);
      a2 += Vec<T>::loadu(x + i + 2 * W);
      a3 += Vec<T>::loadu(x + i + 3 * W);
    }
    for (; i + W <= b1; i += W) a0 += Vec<T>::loadu(x + i);
    total += hsum<T>((a0 + a1) + (a2 + a3));
    for (; i < b1; ++i) total += x[i];
  }
  return total;
}

// sum((x - m)^2)
template <typename T>
double pm_sqdev(const T* x, int64_t n, T m) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> vm(m);
  double total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {
    const int64_t b1 = std::min(n, b0 + kSumBlock);
    Vec<T> a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    int64_t i = b0;
    for (; i + 4 * W <= b1; i += 4 * W) {
      const Vec<T> d0 = Vec<T>::loadu(x + i) - vm, d1 = Vec<T>::loadu(x + i + W) - vm;
      const Vec<T> d2 = Vec<T>::loadu(x + i + 2 * W) - vm, d3 = Vec<T>::loadu(x + i + 3 * W) - vm;
      a0 = at::vec::fmadd(d0, d0, a0);
      a1 = at::vec::fmadd(d1, d1, a1);
      a2 = at::vec::fmadd(d2, d2, a2);
      a3 = at::vec::fmadd(d3, d3, a3);
    }
    for (; i + W <= b1; i += W) {
      const Vec<T> d = Vec<T>::loadu(x + i) - vm;
      a0 = at::vec::fmadd(d, d, a0);
    }
    total += hsum<T>((a0 + a1) + (a2 + a3));
    for (; i < b1; ++i) {
      const double d = double(x[i]) - double(m);
      total += d * d;
    }
  }
  return total;
}

// sum(g) and sum(g * (x - m))
template <typename T>
void pm_dot2(const T* g, const T* x, int64_t n, T m, double* sg, double* sgx) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> vm(m);
  double tg = 0, tgx = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kSumBlock) {
    const int64_t b1 = std::min(n, b0 + kSumBlock);
    Vec<T> g0(T(0)), g1(T(0)), p0(T(0)), p1(T(0));
    int64_t i = b0;
    for (; i + 2 * W <= b1; i += 2 * W) {
      const Vec<T> ga = Vec<T>::loadu(g + i), gb = Vec<T>::loadu(g + i + W);
      g0 += ga;
      g1 += gb;
      p0 = at::vec::fmadd(ga, Vec<T>::loadu(x + i) - vm, p0);
      p1 = at::vec::fmadd(gb, Vec<T>::loadu(x + i + W) - vm, p1);
    }
    for (; i + W <= b1; i += W) {
      const Vec<T> ga = Vec<T>::loadu(g + i);
      g0 += ga;
      p0 = at::vec::fmadd(ga, Vec<T>::loadu(x + i) - vm, p0);
    }
    tg += hsum<T>(g0 + g1);
    tgx += hsum<T>(p0 + p1);
    for (; i < b1; ++i) {
      tg += g[i];
      tgx += double(g[i]) * (double(x[i]) - double(m));
    }
  }
  *sg = tg;
  *sgx = tgx;
}

// y = a * x + b
template <typename T>
void pm_affine(const T* x, T* y, int64_t n, T a, T b) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> va(a), vb(b);
  int64_t i = 0;
  for (; i + W <= n; i += W) at::vec::fmadd(Vec<T>::loadu(x + i), va, vb).store(y + i);
  if (i < n) at::vec::fmadd(Vec<T>::loadu(x + i, n - i), va, vb).store(y + i, n - i);
}

// out = A * g + B * x + c
template <typename T>
void pm_affine2(const T* g, const T* x, T* out, int64_t n, T A, T B, T c) {
  constexpr int64_t W = Vec<T>::size();
  const Vec<T> va(A), vb(B), vc(c);
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    at::vec::fmadd(Vec<T>::loadu(g + i), va, at::vec::fmadd(Vec<T>::loadu(x + i), vb, vc)).store(out + i);
  }
  if (i < n) {
    const int64_t r = n - i;
    at::vec::fmadd(Vec<T>::loadu(g + i, r), va, at::vec::fmadd(Vec<T>::loadu(x + i, r), vb, vc)).store(out + i, r);
  }
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
void cl_affine(const T* x, T* y, int64_t S, int64_t C, int64_t cb, const T* a, const T* b) {
  for (int64_t s = 0; s < S; ++s) {
    const T* xr = x + s * C;
    T* yr = y + s * C;
    for (int64_t k = 0; k < cb; ++k) yr[k] = a[k] * xr[k] + b[k];
  }
}

template <typename T>
void cl_affine2(const T* g, const T* x, T* out, int64_t S, int64_t C, int64_t cb, const T* A, const T* B,
                const T* c) {
  for (int64_t s = 0; s < S; ++s) {
    const T* gr = g + s * C;
    const T* xr = x + s * C;
    T* orow = out + s * C;
    for (int64_t k = 0; k < cb; ++k) orow[k] = A[k] * gr[k] + B[k] * xr[k] + c[k];
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

template <typename T>
void group_affine(const PlaneView& v, const T* x, T* y, int64_t cb, const T* a, const T* b) {
  if (!v.cl) {
    pm_affine(x, y, v.S, a[0], b[0]);
  } else {
    cl_affine(x, y, v.S, v.C, cb, a, b);
  }
}

template <typename T>
void group_affine2(const PlaneView& v, const T* g, const T* x, T* out, int64_t cb, const T* A, const T* B,
                   const T* c) {
  if (!v.cl) {
    pm_affine2(g, x, out, v.S, A[0], B[0], c[0]);
  } else {
    cl_affine2(g, x, out, v.S, v.C, cb, A, B, c);
  }
}

}  // namespace cpu
}  // namespace spokenstyle
