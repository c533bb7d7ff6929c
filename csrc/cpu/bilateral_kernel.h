// The inner loop of the CPU bilateral filter on raw pointers, one output row at a time; compiled
// once per CPU capability (bilateral_kernel_default.cpp, bilateral_kernel_avx2.cpp; see
// cpu/cpu_capability.h). The driver in filters.cpp splits the rows with at::parallel_for.
//
// Per output row: each source row of the window (border replicated) is copied once into a
// scratch row padded by r on each side, so every offset (dy, dx) reads a contiguous run for the
// whole output row; the weights exp(spatial - |g(q) - g(p)|² / 2σr²) and the sums num, den are
// then vector operations over the row, the offsets added in the reference's order (dy, then dx).
#pragma once

#include <cstdint>

namespace spokenstyle {

struct BilateralRowTask {
  int64_t C, Cg, H, W, r;
  const void* spatial;  // (2r+1)² of -(dx² + dy²) / 2σs², in the element type
  double range;         // 2σr²
  bool is_double;
};

// Scratch elements one row needs (padded source rows, the centre guide row, the sums).
inline int64_t bilateral_scratch_elems(const BilateralRowTask& t) {
  const int64_t wv = (t.W + 15) / 16 * 16, p = wv + 2 * t.r;
  return (t.C + t.Cg) * p + t.Cg * wv + (t.C + 1) * wv;
}

using BilateralRowFn = void (*)(const BilateralRowTask&, const void* x, const void* g, void* out, int64_t y,
                                void* scratch);

namespace cpu_default {
void bilateral_row(const BilateralRowTask&, const void* x, const void* g, void* out, int64_t y, void* scratch);
}
namespace cpu_avx2 {
void bilateral_row(const BilateralRowTask&, const void* x, const void* g, void* out, int64_t y, void* scratch);
}

}  // namespace spokenstyle

#ifdef SPOKENSTYLE_KERNEL_NAMESPACE
// ---- the implementation, compiled in each capability TU ------------------------------------
#include <ATen/cpu/vec/vec.h>

namespace spokenstyle {
namespace SPOKENSTYLE_KERNEL_NAMESPACE {
namespace {

template <typename T>
void row_impl(const BilateralRowTask& t, const T* x, const T* g, T* out, int64_t y, T* scratch) {
  using V = at::vec::Vectorized<T>;
  constexpr int64_t L = V::size();
  const int64_t C = t.C, Cg = t.Cg, H = t.H, W = t.W, r = t.r, HW = H * W, side = 2 * r + 1;
  const int64_t wv = (W + 15) / 16 * 16, P = wv + 2 * r;  // 16: a multiple of every vector length
  const T* spatial = static_cast<const T*>(t.spatial);
  T* xpad = scratch;
  T* gpad = xpad + C * P;
  T* gcen = gpad + Cg * P;
  T* num = gcen + Cg * wv;
  T* den = num + C * wv;
  auto col = [W](int64_t i) { return i < 0 ? int64_t(0) : (i > W - 1 ? W - 1 : i); };
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t i = 0; i < wv; ++i) gcen[c * wv + i] = g[c * HW + y * W + col(i)];
  for (int64_t i = 0; i < (C + 1) * wv; ++i) num[i] = T(0);
  const V vrange(static_cast<T>(t.range));
  for (int64_t dy = -r; dy <= r; ++dy) {
    const int64_t sy = y + dy < 0 ? 0 : (y + dy > H - 1 ? H - 1 : y + dy);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < P; ++i) xpad[c * P + i] = x[c * HW + sy * W + col(i - r)];
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t i = 0; i < P; ++i) gpad[c * P + i] = g[c * HW + sy * W + col(i - r)];
    for (int64_t dx = -r; dx <= r; ++dx) {
      const V sp(spatial[(dy + r) * side + dx + r]);
      const int64_t off = r + dx;
      for (int64_t x0 = 0; x0 < wv; x0 += L) {
        V d2(T(0));
        for (int64_t c = 0; c < Cg; ++c) {
          const V d = V::loadu(gpad + c * P + off + x0) - V::loadu(gcen + c * wv + x0);
          d2 = d2 + d * d;
        }
        const V wt = (sp - d2 / vrange).exp();
        for (int64_t c = 0; c < C; ++c) {
          T* nc = num + c * wv + x0;
          (V::loadu(nc) + wt * V::loadu(xpad + c * P + off + x0)).store(nc);
        }
        (V::loadu(den + x0) + wt).store(den + x0);
      }
    }
  }
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < W; ++i) out[c * HW + y * W + i] = num[c * wv + i] / den[i];
}

}  // namespace

void bilateral_row(const BilateralRowTask& t, const void* x, const void* g, void* out, int64_t y, void* scratch) {
  if (t.is_double) {
    row_impl<double>(t, static_cast<const double*>(x), static_cast<const double*>(g), static_cast<double*>(out), y,
                     static_cast<double*>(scratch));
  } else {
    row_impl<float>(t, static_cast<const float*>(x), static_cast<const float*>(g), static_cast<float*>(out), y,
                    static_cast<float*>(scratch));
  }
}

}  // namespace SPOKENSTYLE_KERNEL_NAMESPACE
}  // namespace spokenstyle
#endif
