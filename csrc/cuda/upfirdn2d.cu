// CUDA kernel of upfirdn2d: one thread per output element (grid-stride), the filter taps that
// land on real input samples summed in acc_type (float32 for float16/bfloat16/float32).
// 64-bit indices when the input or the output has more than 2^30 elements.
#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "cuda/launch.cuh"
#include "upfirdn2d.h"

namespace spokenstyle {
namespace {

struct FirArgs {
  int64_t H, W, fh, fw, OH, OW, upx, upy, downx, downy, px0, py0;
};

// The first tap k >= 0 that lands on a real input sample: s0 + k a non-negative multiple of up,
// s0 the zero-inserted position of tap 0 (negative in the left padding). Taps then step by up.
template <typename index_t>
__device__ __forceinline__ index_t first_tap(index_t s0, index_t up) {
  return s0 >= 0 ? (up - s0 % up) % up : -s0;
}

template <typename scalar_t, typename index_t>
__global__ void __launch_bounds__(kThreads)
upfirdn2d_kernel(const scalar_t* __restrict__ x, const scalar_t* __restrict__ f, scalar_t* __restrict__ y,
                 index_t total, FirArgs a) {
  using acc_t = acc_type<scalar_t>;
  const index_t H = a.H, W = a.W, fh = a.fh, fw = a.fw, OH = a.OH, OW = a.OW;
  const index_t upx = a.upx, upy = a.upy, downx = a.downx, downy = a.downy, px0 = a.px0, py0 = a.py0;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<index_t>(gridDim.x) * blockDim.x) {
    const index_t ox = i % OW;
    const index_t oy = (i / OW) % OH;
    const index_t plane = i / (OW * OH);
    const scalar_t* xp = x + plane * H * W;
    // Tap ky reads zero-inserted row sy0 + ky; only multiples of upy are real rows (x alike).
    const index_t sy0 = oy * downy - py0, sx0 = ox * downx - px0;
    const index_t kx0 = first_tap(sx0, upx);
    index_t ky = first_tap(sy0, upy);
    acc_t acc = 0;
    for (; ky < fh; ky += upy) {
      const index_t sy = (sy0 + ky) / upy;
      if (sy >= H) break;
      const scalar_t* xr = xp + sy * W;
      const scalar_t* fr = f + ky * fw;
      for (index_t kx = kx0; kx < fw; kx += upx) {
        const index_t sx = (sx0 + kx) / upx;
        if (sx >= W) break;
        acc += static_cast<acc_t>(fr[kx]) * static_cast<acc_t>(xr[sx]);
      }
    }
    y[i] = static_cast<scalar_t>(acc);
  }
}

at::Tensor upfirdn2d_cuda(const at::Tensor& x, const at::Tensor& filter, int64_t upx, int64_t upy, int64_t downx,
                          int64_t downy, int64_t px0, int64_t px1, int64_t py0, int64_t py1) {
  const char* op = "upfirdn2d";
  check_cuda(op, x);
  const c10::cuda::CUDAGuard guard(x.device());
  FirProblem p = make_fir_problem(op, x, filter, upx, upy, downx, downy, px0, px1, py0, py1);
  at::Tensor y = at::empty({p.N, p.C, p.OH, p.OW}, x.options());
  const int64_t total = y.numel();
  if (total == 0) return y;
  const FirArgs a{p.H, p.W, p.fh, p.fw, p.OH, p.OW, upx, upy, downx, downy, px0, py0};
  const bool i64 = needs_int64(p.x) || needs_int64(y);
  const int64_t grid = cuda::grid_for(total);
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "spokenstyle_upfirdn2d_cuda", [&] {
    const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
    const scalar_t* fb = p.f.const_data_ptr<scalar_t>();
    scalar_t* yb = y.mutable_data_ptr<scalar_t>();
    if (i64) {
      upfirdn2d_kernel<scalar_t, int64_t><<<grid, kThreads, 0, stream>>>(xb, fb, yb, total, a);
    } else {
      upfirdn2d_kernel<scalar_t, int32_t><<<grid, kThreads, 0, stream>>>(xb, fb, yb, static_cast<int32_t>(total), a);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return y;
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CUDA, m) { m.impl("upfirdn2d", &upfirdn2d_cuda); }

}  // namespace spokenstyle
