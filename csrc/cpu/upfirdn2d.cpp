// CPU driver of upfirdn2d: checks, sizes, and at::parallel_for over (n, c) planes; the
// vectorised loops are in upfirdn2d_kernel.h (baseline and AVX2 builds).
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "cpu/cpu_capability.h"
#include "cpu/upfirdn2d_kernel.h"
#include "upfirdn2d.h"

namespace spokenstyle {
namespace {

at::Tensor upfirdn2d_cpu(const at::Tensor& x, const at::Tensor& filter, int64_t upx, int64_t upy, int64_t downx,
                         int64_t downy, int64_t px0, int64_t px1, int64_t py0, int64_t py1) {
  const char* op = "upfirdn2d";
  FirProblem p = make_fir_problem(op, x, filter, upx, upy, downx, downy, px0, px1, py0, py1);
  check_cpu(op, x);
  at::Tensor y = at::empty({p.N, p.C, p.OH, p.OW}, x.options());
  const int64_t planes = p.N * p.C;
  if (planes == 0) return y;
  FirPlaneTask t{};
  t.f = p.f.const_data_ptr();
  t.H = p.H, t.W = p.W, t.fh = p.fh, t.fw = p.fw, t.OH = p.OH, t.OW = p.OW;
  t.upx = upx, t.upy = upy, t.downx = downx, t.downy = downy, t.px0 = px0, t.py0 = py0;
  const int64_t wu = std::max<int64_t>(p.W * upx + px0 + px1, 1);
  t.phase_len = (wu + downx - 1) / downx;
  t.is_double = x.scalar_type() == at::kDouble;
  const FirPlaneFn fn = use_avx2_kernels() ? &cpu_avx2::upfirdn2d_plane : &cpu_default::upfirdn2d_plane;
  const int64_t elem = x.element_size();
  const char* xb = static_cast<const char*>(p.x.const_data_ptr());
  char* yb = static_cast<char*>(y.mutable_data_ptr());
  const int64_t in_plane = p.H * p.W * elem, out_plane = p.OH * p.OW * elem;
  const int64_t work = p.OH * p.OW * p.fh * p.fw / std::max<int64_t>(upx * upy, 1);
  const int64_t grain = std::max<int64_t>(1, kCpuGrain / std::max<int64_t>(work, 1));
  at::parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
    std::vector<char> scratch(fir_scratch_elems(t) * elem);
    for (int64_t q = b; q < e; ++q) fn(t, xb + q * in_plane, yb + q * out_plane, scratch.data());
  });
  return y;
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CPU, m) { m.impl("upfirdn2d", &upfirdn2d_cpu); }

}  // namespace spokenstyle
