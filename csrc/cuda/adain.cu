// CUDA kernels of calc_mean_std and adain, forward and backward: a split-plane Welford pass for
// the statistics, a split-plane two-sum pass for the backward, and one affine pass; the per-plane
// coefficients in between are N*C-sized ATen ops. float16/bfloat16 are read and written in
// their dtype and computed in float32; float64 in float64.
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/zeros_like.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/library.h>

#include <tuple>

#include "cuda/plane_kernels.cuh"
#include "instance_stats.h"
#include "planes.h"

namespace spokenstyle {
namespace {

struct Stats {
  at::Tensor mean, m2;  // (N, C), accumulation dtype
};

// Per-plane mean and sum of squared deviations of p.x.
Stats plane_stats(const Planes& p) {
  const int64_t P = p.planes();
  const cuda::Split sp = cuda::choose_split(P, p.S);
  const auto opts = p.x.options().dtype(acc_dtype(p.x.scalar_type()));
  at::Tensor pn = at::empty({P, sp.splits}, opts), pm = at::empty({P, sp.splits}, opts),
             pm2 = at::empty({P, sp.splits}, opts);
  const bool i64 = needs_int64(p.x);
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, p.x.scalar_type(), "spokenstyle_welford", [&] {
    using acc_t = acc_type<scalar_t>;
    const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
    if (i64) {
      cuda::welford_partials_kernel<scalar_t, acc_t, int64_t><<<P * sp.splits, kThreads, 0, stream>>>(
          xb, p.S, p.C, p.channels_last, sp.splits, sp.chunk, pn.mutable_data_ptr<acc_t>(),
          pm.mutable_data_ptr<acc_t>(), pm2.mutable_data_ptr<acc_t>());
    } else {
      cuda::welford_partials_kernel<scalar_t, acc_t, int32_t><<<P * sp.splits, kThreads, 0, stream>>>(
          xb, static_cast<int32_t>(p.S), static_cast<int32_t>(p.C), p.channels_last,
          static_cast<int32_t>(sp.splits), static_cast<int32_t>(sp.chunk), pn.mutable_data_ptr<acc_t>(),
          pm.mutable_data_ptr<acc_t>(), pm2.mutable_data_ptr<acc_t>());
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  // Chan et al. merge of the chunk partials, in a fixed order.
  const at::Tensor n = pn.sum(1, true);
  const at::Tensor mean = (pn * pm).sum(1, true) / n;
  const at::Tensor m2 = (pm2 + pn * (pm - mean).square()).sum(1);
  return {mean.view({p.N, p.C}), m2.view({p.N, p.C})};
}

// out = (x - m[q]) a[q] + b[q]  or  out = a[q] g + b[q] (x - m[q]) + c[q]  (m, a, b, c: (N, C)
// accumulation dtype, any of them broadcast views).
void plane_affine(const Planes& p, const at::Tensor* g, at::Tensor& out, const at::Tensor& m, const at::Tensor& a,
                  const at::Tensor& b, const at::Tensor* c) {
  const int64_t n = p.x.numel();
  const at::Tensor mc = m.contiguous(), ac = a.contiguous(), bc = b.contiguous();
  const at::Tensor cc = c ? c->contiguous() : at::Tensor();
  const bool i64 = needs_int64(p.x);
  auto stream = c10::cuda::getCurrentCUDAStream();
  const int64_t grid = cuda::grid_for(n);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, p.x.scalar_type(), "spokenstyle_plane_affine", [&] {
    using acc_t = acc_type<scalar_t>;
    const scalar_t* gb = g ? g->const_data_ptr<scalar_t>() : nullptr;
    const acc_t* cb = c ? cc.const_data_ptr<acc_t>() : nullptr;
    if (i64) {
      cuda::plane_affine_kernel<scalar_t, acc_t, int64_t><<<grid, kThreads, 0, stream>>>(
          gb, p.x.const_data_ptr<scalar_t>(), out.mutable_data_ptr<scalar_t>(), mc.const_data_ptr<acc_t>(),
          ac.const_data_ptr<acc_t>(), bc.const_data_ptr<acc_t>(), cb, n, p.S, p.C, p.channels_last);
    } else {
      cuda::plane_affine_kernel<scalar_t, acc_t, int32_t><<<grid, kThreads, 0, stream>>>(
          gb, p.x.const_data_ptr<scalar_t>(), out.mutable_data_ptr<scalar_t>(), mc.const_data_ptr<acc_t>(),
          ac.const_data_ptr<acc_t>(), bc.const_data_ptr<acc_t>(), cb, static_cast<int32_t>(n), static_cast<int32_t>(p.S),
          static_cast<int32_t>(p.C), p.channels_last);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
}

// A style statistic (batch 1 or N) as (N, C) in the accumulation dtype (broadcast view).
at::Tensor style_planes(const at::Tensor& s, const Planes& p, at::ScalarType acc) {
  return s.reshape({s.size(0), p.C}).to(acc).expand({p.N, p.C});
}

std::tuple<at::Tensor, at::Tensor> calc_mean_std_cuda(const at::Tensor& x, double eps, bool unbiased) {
  const char* op = "calc_mean_std";
  Planes p = make_planes(op, "x", x);
  check_cuda(op, x);
  TORCH_CHECK(eps >= 0, op, ": eps must be >= 0, got ", eps);
  const c10::cuda::CUDAGuard guard(x.device());
  const auto shape = stats_shape(x, p.N);
  if (p.planes() == 0) return {at::empty(shape, x.options()), at::empty(shape, x.options())};
  TORCH_CHECK(p.S > 0, op, ": x has empty planes (shape ", x.sizes(), "); statistics are undefined");
  const Stats st = plane_stats(p);
  const double denom = double(var_denominator(p.S, unbiased));
  at::Tensor mean = st.mean.to(x.scalar_type()).view(shape);
  at::Tensor stdv = (st.m2 / denom + eps).sqrt_().to(x.scalar_type()).view(shape);
  return {mean, stdv};
}

at::Tensor calc_mean_std_backward_cuda(const at::Tensor& grad_mean, const at::Tensor& grad_std, const at::Tensor& x,
                                       const at::Tensor& mean, const at::Tensor& stdv, bool unbiased) {
  const char* op = "calc_mean_std_backward";
  Planes p = make_planes(op, "x", x);
  check_cuda(op, x);
  const c10::cuda::CUDAGuard guard(x.device());
  const auto acc = acc_dtype(x.scalar_type());
  const at::Tensor gm = plane_values(op, "grad_mean", grad_mean, x).to(acc).view({p.N, p.C});
  const at::Tensor gs = plane_values(op, "grad_std", grad_std, x).to(acc).view({p.N, p.C});
  const at::Tensor mu = plane_values(op, "mean", mean, x).to(acc).view({p.N, p.C});
  const at::Tensor sd = plane_values(op, "std", stdv, x).to(acc).view({p.N, p.C});
  at::Tensor dx = at::empty_like(p.x);
  if (dx.numel() == 0) return dx;
  const double denom = double(var_denominator(p.S, unbiased));
  const at::Tensor a = gs / (sd * denom);
  const at::Tensor b = gm / double(p.S);
  plane_affine(p, nullptr, dx, mu, a, b, nullptr);
  return dx;
}

at::Tensor adain_cuda(const at::Tensor& content, const at::Tensor& style_mean, const at::Tensor& style_std,
                      double eps) {
  const char* op = "adain";
  Planes p = make_planes(op, "content", content);
  check_cuda(op, content);
  TORCH_CHECK(eps >= 0, op, ": eps must be >= 0, got ", eps);
  check_style_stat(op, "style_mean", style_mean, content);
  check_style_stat(op, "style_std", style_std, content);
  const c10::cuda::CUDAGuard guard(content.device());
  at::Tensor out = at::empty_like(p.x);
  if (out.numel() == 0) return out;
  const auto acc = acc_dtype(content.scalar_type());
  const Stats st = plane_stats(p);
  const double denom = double(var_denominator(p.S, true));
  const at::Tensor rstd = (st.m2 / denom + eps).rsqrt_();
  const at::Tensor a = style_planes(style_std, p, acc) * rstd;
  const at::Tensor b = style_planes(style_mean, p, acc);
  plane_affine(p, nullptr, out, st.mean, a, b, nullptr);
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> adain_backward_cuda(const at::Tensor& grad, const at::Tensor& content,
                                                                   const at::Tensor& style_mean,
                                                                   const at::Tensor& style_std, double eps) {
  const char* op = "adain_backward";
  Planes p = make_planes(op, "content", content);
  check_cuda(op, content);
  check_same_shape(op, "grad", grad, "content", content);
  const int64_t bm = check_style_stat(op, "style_mean", style_mean, content);
  const int64_t bs = check_style_stat(op, "style_std", style_std, content);
  const c10::cuda::CUDAGuard guard(content.device());
  const auto acc = acc_dtype(content.scalar_type());
  at::Tensor dx = at::empty_like(p.x);
  if (dx.numel() == 0) {
    return {dx, at::zeros_like(style_mean, at::MemoryFormat::Contiguous),
            at::zeros_like(style_std, at::MemoryFormat::Contiguous)};
  }
  const at::Tensor g = like_layout(grad, p.x);
  const Stats st = plane_stats(p);
  const double S = double(p.S), denom = double(var_denominator(p.S, true));
  const at::Tensor r = (st.m2 / denom + eps).rsqrt_();

  const int64_t P = p.planes();
  const cuda::Split sp = cuda::choose_split(P, p.S);
  const auto opts = p.x.options().dtype(acc);
  at::Tensor pg = at::empty({P, sp.splits}, opts), pgx = at::empty({P, sp.splits}, opts);
  const at::Tensor mean_c = st.mean.contiguous();
  const bool i64 = needs_int64(p.x);
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, p.x.scalar_type(), "spokenstyle_adain_dot2", [&] {
    using acc_t = acc_type<scalar_t>;
    if (i64) {
      cuda::dot2_partials_kernel<scalar_t, acc_t, int64_t><<<P * sp.splits, kThreads, 0, stream>>>(
          g.const_data_ptr<scalar_t>(), p.x.const_data_ptr<scalar_t>(), mean_c.const_data_ptr<acc_t>(), p.S, p.C,
          p.channels_last, sp.splits, sp.chunk, pg.mutable_data_ptr<acc_t>(), pgx.mutable_data_ptr<acc_t>());
    } else {
      cuda::dot2_partials_kernel<scalar_t, acc_t, int32_t><<<P * sp.splits, kThreads, 0, stream>>>(
          g.const_data_ptr<scalar_t>(), p.x.const_data_ptr<scalar_t>(), mean_c.const_data_ptr<acc_t>(),
          static_cast<int32_t>(p.S), static_cast<int32_t>(p.C), p.channels_last, static_cast<int32_t>(sp.splits),
          static_cast<int32_t>(sp.chunk), pg.mutable_data_ptr<acc_t>(), pgx.mutable_data_ptr<acc_t>());
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  const at::Tensor sg = pg.sum(1).view({p.N, p.C});
  const at::Tensor sgx = pgx.sum(1).view({p.N, p.C});
  const at::Tensor ss = style_planes(style_std, p, acc);
  const at::Tensor A = ss * r;
  const at::Tensor B = -A * r * r * sgx / denom;
  const at::Tensor c = -A * sg / S;
  plane_affine(p, &g, dx, st.mean, A, B, &c);
  const at::Tensor dstd = r * sgx;
  at::Tensor gmean = (bm == 1 ? sg.sum(0, true) : sg).to(content.scalar_type()).reshape(style_mean.sizes());
  at::Tensor gstd = (bs == 1 ? dstd.sum(0, true) : dstd).to(content.scalar_type()).reshape(style_std.sizes());
  return {dx, gmean.contiguous(), gstd.contiguous()};
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CUDA, m) {
  m.impl("calc_mean_std", &calc_mean_std_cuda);
  m.impl("calc_mean_std_backward", &calc_mean_std_backward_cuda);
  m.impl("adain", &adain_cuda);
  m.impl("adain_backward", &adain_backward_cuda);
}

}  // namespace spokenstyle
