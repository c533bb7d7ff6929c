// CUDA registrations of gram, gram_backward and style_loss. The GEMMs are ATen's (cuBLAS, on the
// current stream); the style loss around the forward GEMM is one fused kernel: residual =
// G - target in place (target broadcast over the batch) and per-block partial sums of its
// squares in float32 (float64 for float64), added in a fixed order.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "cuda/launch.cuh"
#include "gram.h"

namespace spokenstyle {
namespace {


using cuda::sm_count;

template <typename scalar_t, typename acc_t>
__global__ void __launch_bounds__(kThreads)
residual_kernel(scalar_t* __restrict__ r, const scalar_t* __restrict__ t, int64_t total, int64_t cc, bool bcast,
                acc_t* __restrict__ partial) {
  acc_t acc = 0;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const acc_t d = static_cast<acc_t>(r[i]) - static_cast<acc_t>(t[bcast ? i % cc : i]);
    r[i] = static_cast<scalar_t>(d);
    acc += d * d;
  }
  acc = cuda::block_sum<kThreads>(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

at::Tensor gram_cuda(const at::Tensor& x, bool normalize) {
  check_cuda("gram", x);
  const c10::cuda::CUDAGuard guard(x.device());
  return gram_forward(make_gram_problem("gram", x, normalize));
}

at::Tensor gram_backward_cuda(const at::Tensor& grad, const at::Tensor& x, bool normalize) {
  check_cuda("gram_backward", x);
  const c10::cuda::CUDAGuard guard(x.device());
  return gram_backward_impl("gram_backward", grad, x, normalize);
}

std::tuple<at::Tensor, at::Tensor> style_loss_cuda(const at::Tensor& x, const at::Tensor& target_gram, bool normalize) {
  const char* op = "style_loss";
  check_cuda(op, x);
  const c10::cuda::CUDAGuard guard(x.device());
  GramProblem g = make_gram_problem(op, x, normalize);
  check_gram_like(op, "target_gram", target_gram, g, true);
  at::Tensor R = gram_forward(g);
  const at::Tensor T = target_gram.contiguous();
  const int64_t total = R.numel(), cc = g.p.C * g.p.C;
  if (total == 0) return {at::full({}, std::numeric_limits<double>::quiet_NaN(), x.options()), R};
  const int64_t blocks = cuda::grid_for(total, 8);
  at::Tensor partial = at::empty({blocks}, x.options().dtype(acc_dtype(x.scalar_type())));
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "spokenstyle_style_loss_cuda", [&] {
    using acc_t = acc_type<scalar_t>;
    residual_kernel<scalar_t, acc_t><<<blocks, kThreads, 0, stream>>>(
        R.mutable_data_ptr<scalar_t>(), T.const_data_ptr<scalar_t>(), total, cc, T.size(0) == 1 && g.p.N != 1,
        partial.mutable_data_ptr<acc_t>());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  at::Tensor loss = (partial.sum() / double(total)).to(x.scalar_type());
  return {loss, R};
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CUDA, m) {
  m.impl("gram", &gram_cuda);
  m.impl("gram_backward", &gram_backward_cuda);
  m.impl("style_loss", &style_loss_cuda);
}

}  // namespace spokenstyle
