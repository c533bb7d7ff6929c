// CUDA kernels of minibatch_stddev and its backward. Forward: each block takes a chunk of one
// (group, slice) column; each thread loads the G group members of a position (copying them into
// the output), computes mean and biased variance in registers and accumulates sqrt(var + eps);
// block partial sums are added in a fixed order by ATen, then one kernel writes the feature maps.
// Backward: one kernel, d x = grad + coef (x - mean) / sqrt(var + eps), coef from an N*HW-sized
// ATen reduction. float16/bfloat16 are computed in float32; indexing is 64-bit when needed.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <algorithm>
#include <limits>

#include "cuda/launch.cuh"
#include "minibatch_stddev.h"

namespace spokenstyle {
namespace {

constexpr int64_t kChunk = 8192;  // positions of a column per block

using cuda::sm_count;

template <typename scalar_t, typename acc_t, typename index_t>
__global__ void __launch_bounds__(kThreads)
mbstd_stats_kernel(const scalar_t* __restrict__ x, scalar_t* __restrict__ out, index_t G, index_t n, index_t F,
                   index_t C, index_t HW, index_t K, index_t chunks, acc_t eps, acc_t* __restrict__ partial) {
  const index_t b = static_cast<index_t>(blockIdx.x);
  const index_t col = b / chunks, ch = b % chunks;
  const index_t j = col / F, f = col % F;
  const index_t xs = n * C * HW, os = n * (C + F) * HW;
  const scalar_t* xc = x + j * C * HW + f * K;
  scalar_t* oc = out + j * (C + F) * HW + f * K;
  const index_t k1 = (ch + 1) * kChunk < K ? (ch + 1) * kChunk : K;
  const acc_t invG = acc_t(1) / static_cast<acc_t>(G);
  acc_t acc = 0;
  for (index_t k = ch * kChunk + threadIdx.x; k < k1; k += blockDim.x) {
    acc_t s = 0;
    for (index_t g = 0; g < G; ++g) {
      const scalar_t v = xc[g * xs + k];
      oc[g * os + k] = v;
      s += static_cast<acc_t>(v);
    }
    const acc_t mean = s * invG;
    acc_t q = 0;
    for (index_t g = 0; g < G; ++g) {
      const acc_t d = static_cast<acc_t>(xc[g * xs + k]) - mean;
      q += d * d;
    }
    acc += ::sqrt(q * invG + eps);
  }
  acc = cuda::block_sum<kThreads>(acc);
  if (threadIdx.x == 0) partial[b] = acc;
}

// out[i, C + f, :, :] = s[i % n, f]
template <typename scalar_t, typename acc_t, typename index_t>
__global__ void __launch_bounds__(kThreads)
mbstd_fill_kernel(scalar_t* __restrict__ out, const acc_t* __restrict__ s, index_t N, index_t n, index_t F, index_t C,
                  index_t HW) {
  const index_t total = N * F * HW;
  for (index_t t = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total;
       t += static_cast<index_t>(gridDim.x) * blockDim.x) {
    const index_t hw = t % HW, f = (t / HW) % F, i = t / (HW * F);
    out[(i * (C + F) + C + f) * HW + hw] = static_cast<scalar_t>(s[(i % n) * F + f]);
  }
}

template <typename scalar_t, typename acc_t, typename index_t>
__global__ void __launch_bounds__(kThreads)
mbstd_backward_kernel(const scalar_t* __restrict__ grad, const scalar_t* __restrict__ x, scalar_t* __restrict__ dx,
                      const acc_t* __restrict__ coef, index_t G, index_t n, index_t F, index_t C, index_t HW,
                      index_t K, acc_t eps) {
  const index_t total = n * F * K;  // positions (group, slice, k)
  const index_t xs = n * C * HW, gs = n * (C + F) * HW;
  const acc_t invG = acc_t(1) / static_cast<acc_t>(G);
  for (index_t t = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total;
       t += static_cast<index_t>(gridDim.x) * blockDim.x) {
    const index_t k = t % K, col = t / K;
    const index_t j = col / F, f = col % F;
    const index_t xo = j * C * HW + f * K + k, go = j * (C + F) * HW + f * K + k;
    acc_t s = 0;
    for (index_t g = 0; g < G; ++g) s += static_cast<acc_t>(x[g * xs + xo]);
    const acc_t mean = s * invG;
    acc_t q = 0;
    for (index_t g = 0; g < G; ++g) {
      const acc_t d = static_cast<acc_t>(x[g * xs + xo]) - mean;
      q += d * d;
    }
    const acc_t scale = coef[col] / ::sqrt(q * invG + eps);
    for (index_t g = 0; g < G; ++g) {
      const acc_t d = static_cast<acc_t>(x[g * xs + xo]) - mean;
      dx[g * xs + xo] = static_cast<scalar_t>(static_cast<acc_t>(grad[g * gs + go]) + scale * d);
    }
  }
}

using cuda::grid_for;

at::Tensor minibatch_stddev_cuda(const at::Tensor& x, int64_t group_size, int64_t num_channels, double eps) {
  const char* op = "minibatch_stddev";
  check_cuda(op, x);
  const c10::cuda::CUDAGuard guard(x.device());
  MbstdProblem p = make_mbstd_problem(op, x, group_size, num_channels);
  at::Tensor out = at::empty({p.N, p.C + p.F, x.size(2), x.size(3)}, x.options());
  if (out.numel() == 0) return out;
  const auto acc = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const bool i64 = out.numel() > std::numeric_limits<int32_t>::max() / 2;
  const int64_t chunks = std::max<int64_t>(1, (p.K + kChunk - 1) / kChunk);
  at::Tensor partial = at::zeros({p.n * p.F, chunks}, x.options().dtype(acc));
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "spokenstyle_mbstd_cuda", [&] {
    using acc_t = acc_type<scalar_t>;
    const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
    scalar_t* ob = out.mutable_data_ptr<scalar_t>();
    auto launch = [&](auto zero) {
      using index_t = decltype(zero);
      if (p.K > 0) {
        mbstd_stats_kernel<scalar_t, acc_t, index_t><<<p.n * p.F * chunks, kThreads, 0, stream>>>(
            xb, ob, index_t(p.G), index_t(p.n), index_t(p.F), index_t(p.C), index_t(p.HW), index_t(p.K),
            index_t(chunks), static_cast<acc_t>(eps), partial.mutable_data_ptr<acc_t>());
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      }
      const at::Tensor s = (partial.sum(1) / double(std::max<int64_t>(p.K, 1))).contiguous();
      mbstd_fill_kernel<scalar_t, acc_t, index_t><<<grid_for(p.N * p.F * p.HW), kThreads, 0, stream>>>(
          ob, s.const_data_ptr<acc_t>(), index_t(p.N), index_t(p.n), index_t(p.F), index_t(p.C), index_t(p.HW));
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    };
    if (i64) {
      launch(int64_t(0));
    } else {
      launch(int32_t(0));
    }
  });
  return out;
}

at::Tensor minibatch_stddev_backward_cuda(const at::Tensor& grad, const at::Tensor& x, int64_t group_size,
                                          int64_t num_channels, double eps) {
  const char* op = "minibatch_stddev_backward";
  check_cuda(op, x);
  const c10::cuda::CUDAGuard guard(x.device());
  MbstdProblem p = make_mbstd_problem(op, x, group_size, num_channels);
  TORCH_CHECK(grad.dim() == 4 && grad.size(0) == p.N && grad.size(1) == p.C + p.F && grad.size(2) == x.size(2) &&
                  grad.size(3) == x.size(3),
              op, ": grad must have shape (", p.N, ", ", p.C + p.F, ", ", x.size(2), ", ", x.size(3), "), got ",
              grad.sizes());
  TORCH_CHECK(grad.scalar_type() == x.scalar_type() && grad.device() == x.device(), op,
              ": grad must have the dtype and device of x");
  const at::Tensor gr = grad.contiguous();
  at::Tensor dx = at::empty({p.N, p.C, x.size(2), x.size(3)}, x.options());
  if (dx.numel() == 0) return dx;
  const auto acc = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  // coef[j, f] = sum over the group members and H x W of the feature map's gradient / (K G).
  const at::Tensor coef = (gr.narrow(1, p.C, p.F).to(acc).reshape({p.G, p.n, p.F, p.HW}).sum({0, 3}) /
                           (double(p.K) * double(p.G)))
                              .contiguous();
  const bool i64 = gr.numel() > std::numeric_limits<int32_t>::max() / 2;
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "spokenstyle_mbstd_backward_cuda", [&] {
    using acc_t = acc_type<scalar_t>;
    auto launch = [&](auto zero) {
      using index_t = decltype(zero);
      mbstd_backward_kernel<scalar_t, acc_t, index_t><<<grid_for(p.n * p.F * p.K), kThreads, 0, stream>>>(
          gr.const_data_ptr<scalar_t>(), p.x.const_data_ptr<scalar_t>(), dx.mutable_data_ptr<scalar_t>(),
          coef.const_data_ptr<acc_t>(), index_t(p.G), index_t(p.n), index_t(p.F), index_t(p.C), index_t(p.HW),
          index_t(p.K), static_cast<acc_t>(eps));
      C10_CUDA_KERNEL_LAUNCH_CHECK();
    };
    if (i64) {
      launch(int64_t(0));
    } else {
      launch(int32_t(0));
    }
  });
  return dx;
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CUDA, m) {
  m.impl("minibatch_stddev", &minibatch_stddev_cuda);
  m.impl("minibatch_stddev_backward", &minibatch_stddev_backward_cuda);
}

}  // namespace spokenstyle
