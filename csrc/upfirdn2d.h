// upfirdn2d (StyleGAN2's FIR resampling), shared by the CPU and CUDA kernels: argument checks
// and the sizes of the problem.
//
// Per (n, c) plane, along each axis: insert up-1 zeros after every sample, pad by (p0, p1)
// (negative crops), convolve (true convolution: the filter flipped) with the filter, keep
// every down-th sample. Output size (H * up + p0 + p1 - fh) / down + 1 (floor).
//
// Output element (oy, ox) = sum over taps (ky, kx) of f[fh-1-ky][fw-1-kx] * u[oy*down_y + ky][ox*down_x + kx],
// u the zero-inserted, padded input: u[i][j] = x[(i - py0) / up_y][(j - px0) / up_x] where
// both divisions are exact and in range, else 0.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/ops/flip.h>
#include <c10/util/Exception.h>

#include "common.h"

namespace spokenstyle {

struct FirProblem {
  at::Tensor x;  // contiguous (N, C, H, W)
  at::Tensor f;  // contiguous (fh, fw), flipped (so the kernels correlate), dtype of x
  int64_t N, C, H, W, fh, fw, OH, OW;
  int64_t upx, upy, downx, downy, px0, px1, py0, py1;
};

inline int64_t fir_out_size(int64_t in, int64_t up, int64_t p0, int64_t p1, int64_t taps, int64_t down) {
  const int64_t span = in * up + p0 + p1 - taps;
  return span < 0 ? 0 : span / down + 1;
}

inline FirProblem make_fir_problem(const char* op, const at::Tensor& x, const at::Tensor& f, int64_t upx,
                                   int64_t upy, int64_t downx, int64_t downy, int64_t px0, int64_t px1,
                                   int64_t py0, int64_t py1) {
  TORCH_CHECK(x.dim() == 4, op, ": x must be 4-D (N, C, H, W), got shape ", x.sizes());
  TORCH_CHECK(x.is_floating_point(), op, ": x must be a floating-point tensor, got ", x.scalar_type());
  TORCH_CHECK(f.dim() == 2 && f.size(0) >= 1 && f.size(1) >= 1, op,
              ": filter must be a non-empty 2-D (fh, fw) tensor, got shape ", f.sizes());
  check_same_device_dtype(op, "filter", f, "x", x);
  TORCH_CHECK(upx >= 1 && upy >= 1, op, ": up must be >= 1, got (", upx, ", ", upy, ")");
  TORCH_CHECK(downx >= 1 && downy >= 1, op, ": down must be >= 1, got (", downx, ", ", downy, ")");
  FirProblem p;
  p.N = x.size(0);
  p.C = x.size(1);
  p.H = x.size(2);
  p.W = x.size(3);
  p.fh = f.size(0);
  p.fw = f.size(1);
  p.upx = upx, p.upy = upy, p.downx = downx, p.downy = downy;
  p.px0 = px0, p.px1 = px1, p.py0 = py0, p.py1 = py1;
  p.OH = fir_out_size(p.H, upy, py0, py1, p.fh, downy);
  p.OW = fir_out_size(p.W, upx, px0, px1, p.fw, downx);
  TORCH_CHECK(p.OH >= 1 && p.OW >= 1, op, ": the output of x of shape ", x.sizes(), " with up=(", upx, ", ", upy,
              "), padding=(", px0, ", ", px1, ", ", py0, ", ", py1, ") and a ", p.fh, "x", p.fw,
              " filter would be empty; pad more (or crop less), or use a smaller filter");
  p.x = x.contiguous();
  p.f = f.flip({0, 1}).contiguous();
  return p;
}

}  // namespace spokenstyle
