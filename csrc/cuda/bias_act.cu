// CUDA kernels of bias_act and bias_act_backward: one coalesced pass, several elements in flight
// per thread, 32-bit indexing when the tensor allows it and 64-bit otherwise; float16 and
// bfloat16 are computed in float32.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <algorithm>
#include <limits>

#include "activations.h"
#include "bias_act.h"
#include "cuda/launch.cuh"

namespace spokenstyle {
namespace {

constexpr int kUnroll = 4;


// The activation is a run-time switch (uniform across the grid, so it costs no divergence) rather
// than a template parameter: 9x fewer kernels keeps the fat binary and the compile small.
template <int Order, typename V>
__device__ __forceinline__ V eval_act(Act act, V z, V alpha) {
  switch (act) {
    case Act::Linear: return act_eval<LinearAct, Order>(z, alpha);
    case Act::Relu: return act_eval<ReluAct, Order>(z, alpha);
    case Act::Lrelu: return act_eval<LreluAct, Order>(z, alpha);
    case Act::Tanh: return act_eval<TanhAct, Order>(z, alpha);
    case Act::Sigmoid: return act_eval<SigmoidAct, Order>(z, alpha);
    case Act::Elu: return act_eval<EluAct, Order>(z, alpha);
    case Act::Selu: return act_eval<SeluAct, Order>(z, alpha);
    case Act::Softplus: return act_eval<SoftplusAct, Order>(z, alpha);
    default: return act_eval<SwishAct, Order>(z, alpha);
  }
}

template <typename scalar_t, typename index_t, int Order>
__global__ void __launch_bounds__(kThreads)
bias_act_kernel(const scalar_t* __restrict__ x, const scalar_t* __restrict__ b,
                const scalar_t* __restrict__ grad, scalar_t* __restrict__ out, index_t n, Act act,
                index_t channels, index_t inner, acc_type<scalar_t> va, acc_type<scalar_t> vg,
                acc_type<scalar_t> vc, bool has_clamp, acc_type<scalar_t> res_scale) {
  using opmath_t = acc_type<scalar_t>;
  const index_t step = static_cast<index_t>(blockDim.x) * kUnroll;
  for (index_t base = static_cast<index_t>(blockIdx.x) * step + threadIdx.x; base < n;
       base += static_cast<index_t>(gridDim.x) * step) {
    opmath_t z[kUnroll];
    opmath_t g[kUnroll];
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) {
      const index_t i = base + k * blockDim.x;
      if (i < n) {
        z[k] = static_cast<opmath_t>(x[i]);
        if (b != nullptr) z[k] += static_cast<opmath_t>(b[(i / inner) % channels]);
        if (grad != nullptr) g[k] = static_cast<opmath_t>(grad[i]);  // order 0: the residual
      }
    }
#pragma unroll
    for (int k = 0; k < kUnroll; ++k) {
      const index_t i = base + k * blockDim.x;
      if (i < n) {
        opmath_t v = eval_act<Order>(act, z[k], va) * vg;
        if (has_clamp) {
          if constexpr (Order == 0) {
            v = v_min(v_max(v, -vc), vc);
          } else {
            v *= in_range(eval_act<0>(act, z[k], va) * vg, vc);
          }
        }
        if constexpr (Order > 0) {
          v *= g[k];
        } else {
          if (grad != nullptr) v = (v + g[k]) * res_scale;  // the residual merge
        }
        out[i] = static_cast<scalar_t>(v);
      }
    }
  }
}

template <int Order>
at::Tensor run(const char* op, const at::Tensor& x, const std::optional<at::Tensor>& b, int64_t dim,
               const std::string& act, double alpha, double gain, std::optional<double> clamp,
               const at::Tensor* grad, double res_scale = 1.0) {
  BiasActProblem p = make_bias_act_problem(op, x, b, dim, act, clamp);
  check_cuda(op, x);
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor g;
  if (grad != nullptr) g = like_layout(*grad, p.x);
  at::Tensor out = at::empty_like(p.x);
  const int64_t n = p.x.numel();
  if (n == 0) return out;
  const int64_t per_block = static_cast<int64_t>(kThreads) * kUnroll;
  const int sms = cuda::sm_count();
  const int64_t blocks = std::min<int64_t>((n + per_block - 1) / per_block, static_cast<int64_t>(sms) * 32);
  const bool use32 = n <= std::numeric_limits<int32_t>::max() - per_block * blocks;
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, p.x.scalar_type(), "spokenstyle_bias_act_cuda", [&] {
    const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
    const scalar_t* bb = p.b.has_value() ? p.b->const_data_ptr<scalar_t>() : nullptr;
    const scalar_t* gb = grad != nullptr ? g.const_data_ptr<scalar_t>() : nullptr;
    scalar_t* ob = out.mutable_data_ptr<scalar_t>();
    using opmath_t = acc_type<scalar_t>;
    const opmath_t va = alpha, vg = gain, vc = clamp.value_or(0.0);
    if (use32) {
      bias_act_kernel<scalar_t, int32_t, Order><<<blocks, kThreads, 0, stream>>>(
          xb, bb, gb, ob, static_cast<int32_t>(n), p.act, static_cast<int32_t>(p.channels),
          static_cast<int32_t>(p.inner), va, vg, vc, clamp.has_value(), static_cast<opmath_t>(res_scale));
    } else {
      bias_act_kernel<scalar_t, int64_t, Order><<<blocks, kThreads, 0, stream>>>(
          xb, bb, gb, ob, n, p.act, p.channels, p.inner, va, vg, vc, clamp.has_value(), static_cast<opmath_t>(res_scale));
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

at::Tensor bias_act_cuda(const at::Tensor& x, const std::optional<at::Tensor>& b, int64_t dim,
                         c10::string_view act, double alpha, double gain, std::optional<double> clamp) {
  return run<0>("bias_act", x, b, dim, std::string(act), alpha, gain, clamp, nullptr);
}

at::Tensor bias_act_backward_cuda(const at::Tensor& grad, const at::Tensor& x,
                                  const std::optional<at::Tensor>& b, int64_t dim, c10::string_view act,
                                  double alpha, double gain, std::optional<double> clamp, int64_t order) {
  check_backward_args("bias_act_backward", grad, x, order);
  const std::string a(act);
  return order == 1 ? run<1>("bias_act_backward", x, b, dim, a, alpha, gain, clamp, &grad)
                    : run<2>("bias_act_backward", x, b, dim, a, alpha, gain, clamp, &grad);
}

at::Tensor bias_act_residual_cuda(const at::Tensor& x, const std::optional<at::Tensor>& b, const at::Tensor& residual,
                                  int64_t dim, c10::string_view act, double alpha, double gain,
                                  std::optional<double> clamp, double scale) {
  check_same_shape("bias_act_residual", "residual", residual, "x", x);
  return run<0>("bias_act_residual", x, b, dim, std::string(act), alpha, gain, clamp, &residual, scale);
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CUDA, m) {
  m.impl("bias_act", &bias_act_cuda);
  m.impl("bias_act_residual", &bias_act_residual_cuda);
  m.impl("bias_act_backward", &bias_act_backward_cuda);
}

}  // namespace spokenstyle
