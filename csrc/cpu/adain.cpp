// CPU kernels of calc_mean_std and adain, forward and backward. Each parallel task owns whole
// planes: it computes their statistics and, while the plane is still in cache, applies the
// per-plane affine map (adain: y = (x - mean) a + b; backward: dx = A g + B (x - mean) + c). The content
// statistics are recomputed in the backward rather than saved (two passes over a cached plane).
#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <torch/library.h>

#include <cmath>

#include "cpu/plane_kernels.h"
#include "instance_stats.h"
#include "planes.h"

namespace spokenstyle {
namespace {

using cpu::kChannelBlock;
using cpu::PlaneView;

std::tuple<at::Tensor, at::Tensor> calc_mean_std_cpu(const at::Tensor& x, double eps, bool unbiased) {
  const char* op = "calc_mean_std";
  Planes p = make_planes(op, "x", x);
  check_cpu(op, x);
  TORCH_CHECK(eps >= 0, op, ": eps must be >= 0, got ", eps);
  at::Tensor mean = at::empty(stats_shape(x, p.N), x.options());
  at::Tensor stdv = at::empty(stats_shape(x, p.N), x.options());
  if (p.planes() == 0) return {mean, stdv};
  TORCH_CHECK(p.S > 0, op, ": x has empty planes (shape ", x.sizes(), "); statistics are undefined");
  const double denom = double(var_denominator(p.S, unbiased));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_calc_mean_std_cpu", [&] {
    const PlaneView v{p.S, p.C, p.channels_last};
    const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
    scalar_t* mb = mean.mutable_data_ptr<scalar_t>();
    scalar_t* sb = stdv.mutable_data_ptr<scalar_t>();
    cpu::for_each_plane_group(p.N, p.C, p.S, p.channels_last, [&](int64_t n, int64_t c0, int64_t cb) {
      double m[kChannelBlock], m2[kChannelBlock];
      cpu::group_stats(v, xb + v.offset(n, c0), cb, m, m2);
      for (int64_t k = 0; k < cb; ++k) {
        mb[n * p.C + c0 + k] = static_cast<scalar_t>(m[k]);
        sb[n * p.C + c0 + k] = static_cast<scalar_t>(std::sqrt(m2[k] / denom + eps));
      }
    });
  });
  return {mean, stdv};
}

// dx = grad_mean / S + grad_std * (x - mean) / (std * denom): one affine pass per plane.
at::Tensor calc_mean_std_backward_cpu(const at::Tensor& grad_mean, const at::Tensor& grad_std, const at::Tensor& x,
                                      const at::Tensor& mean, const at::Tensor& stdv, bool unbiased) {
  const char* op = "calc_mean_std_backward";
  Planes p = make_planes(op, "x", x);
  check_cpu(op, x);
  const at::Tensor gm = plane_values(op, "grad_mean", grad_mean, x);
  const at::Tensor gs = plane_values(op, "grad_std", grad_std, x);
  const at::Tensor mu = plane_values(op, "mean", mean, x);
  const at::Tensor sd = plane_values(op, "std", stdv, x);
  at::Tensor dx = at::empty_like(p.x);
  if (dx.numel() == 0) return dx;
  const double S = double(p.S), denom = double(var_denominator(p.S, unbiased));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_calc_mean_std_backward_cpu", [&] {
    const PlaneView v{p.S, p.C, p.channels_last};
    const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
    const scalar_t *gmb = gm.const_data_ptr<scalar_t>(), *gsb = gs.const_data_ptr<scalar_t>();
    const scalar_t *mub = mu.const_data_ptr<scalar_t>(), *sdb = sd.const_data_ptr<scalar_t>();
    scalar_t* db = dx.mutable_data_ptr<scalar_t>();
    cpu::for_each_plane_group(p.N, p.C, p.S, p.channels_last, [&](int64_t n, int64_t c0, int64_t cb) {
      scalar_t a[kChannelBlock], b[kChannelBlock];
      for (int64_t k = 0; k < cb; ++k) {
        const int64_t q = n * p.C + c0 + k;
        a[k] = static_cast<scalar_t>(double(gsb[q]) / (double(sdb[q]) * denom));
        b[k] = static_cast<scalar_t>(double(gmb[q]) / S);
      }
      const int64_t off = v.offset(n, c0);
      cpu::group_affine(v, xb + off, db + off, cb, mub + n * p.C + c0, a, b);
    });
  });
  return dx;
}

// out = (content - mean_c) / std_c * style_std + style_mean, std_c = sqrt(unbiased var + eps).
at::Tensor adain_cpu(const at::Tensor& content, const at::Tensor& style_mean, const at::Tensor& style_std,
                     double eps) {
  const char* op = "adain";
  Planes p = make_planes(op, "content", content);
  check_cpu(op, content);
  TORCH_CHECK(eps >= 0, op, ": eps must be >= 0, got ", eps);
  const int64_t bm = check_style_stat(op, "style_mean", style_mean, content);
  const int64_t bs = check_style_stat(op, "style_std", style_std, content);
  const at::Tensor sm = style_mean.contiguous(), ss = style_std.contiguous();
  at::Tensor out = at::empty_like(p.x);
  if (out.numel() == 0) return out;
  const double denom = double(var_denominator(p.S, true));
  AT_DISPATCH_FLOATING_TYPES(content.scalar_type(), "spokenstyle_adain_cpu", [&] {
    const PlaneView v{p.S, p.C, p.channels_last};
    const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
    const scalar_t *smb = sm.const_data_ptr<scalar_t>(), *ssb = ss.const_data_ptr<scalar_t>();
    scalar_t* yb = out.mutable_data_ptr<scalar_t>();
    cpu::for_each_plane_group(p.N, p.C, p.S, p.channels_last, [&](int64_t n, int64_t c0, int64_t cb) {
      double m[kChannelBlock], m2[kChannelBlock];
      scalar_t mt[kChannelBlock], a[kChannelBlock], b[kChannelBlock];
      const int64_t off = v.offset(n, c0);
      cpu::group_stats(v, xb + off, cb, m, m2);
      for (int64_t k = 0; k < cb; ++k) {
        const int64_t c = c0 + k;
        const double rstd = 1.0 / std::sqrt(m2[k] / denom + eps);
        const double ak = double(ssb[bs == 1 ? c : n * p.C + c]) * rstd;
        // Centre on the mean rounded to scalar_t; fold the rounding into the shift.
        mt[k] = static_cast<scalar_t>(m[k]);
        a[k] = static_cast<scalar_t>(ak);
        b[k] = static_cast<scalar_t>(double(smb[bm == 1 ? c : n * p.C + c]) + ak * (double(mt[k]) - m[k]));
      }
      cpu::group_affine(v, xb + off, yb + off, cb, mt, a, b);
    });
  });
  return out;
}

// With r = 1/std_c, xh = (x - mean_c) r, d = denominator of the variance, per plane:
//   d style_mean = sum(g), d style_std = sum(g xh),
//   d content = style_std r (g - sum(g)/S - xh sum(g xh)/d)
// (summed over the batch for a style statistic of batch 1).
std::tuple<at::Tensor, at::Tensor, at::Tensor> adain_backward_cpu(const at::Tensor& grad, const at::Tensor& content,
                                                                  const at::Tensor& style_mean,
                                                                  const at::Tensor& style_std, double eps) {
  const char* op = "adain_backward";
  Planes p = make_planes(op, "content", content);
  check_cpu(op, content);
  check_same_shape(op, "grad", grad, "content", content);
  const int64_t bm = check_style_stat(op, "style_mean", style_mean, content);
  const int64_t bs = check_style_stat(op, "style_std", style_std, content);
  const at::Tensor ss = style_std.contiguous();
  const at::Tensor g = like_layout(grad, p.x);
  at::Tensor dx = at::empty_like(p.x);
  at::Tensor dmean = at::empty({p.N, p.C}, content.options().dtype(at::kDouble));
  at::Tensor dstd = at::empty({p.N, p.C}, content.options().dtype(at::kDouble));
  if (dx.numel() > 0) {
    const double S = double(p.S), denom = double(var_denominator(p.S, true));
    AT_DISPATCH_FLOATING_TYPES(content.scalar_type(), "spokenstyle_adain_backward_cpu", [&] {
      const PlaneView v{p.S, p.C, p.channels_last};
      const scalar_t* xb = p.x.const_data_ptr<scalar_t>();
      const scalar_t* gb = g.const_data_ptr<scalar_t>();
      const scalar_t* ssb = ss.const_data_ptr<scalar_t>();
      scalar_t* db = dx.mutable_data_ptr<scalar_t>();
      double* dmb = dmean.mutable_data_ptr<double>();
      double* dsb = dstd.mutable_data_ptr<double>();
      cpu::for_each_plane_group(p.N, p.C, p.S, p.channels_last, [&](int64_t n, int64_t c0, int64_t cb) {
        double m[kChannelBlock], m2[kChannelBlock], sg[kChannelBlock], sgx[kChannelBlock];
        scalar_t mt[kChannelBlock], A[kChannelBlock], B[kChannelBlock], c[kChannelBlock];
        const int64_t off = v.offset(n, c0);
        cpu::group_stats(v, xb + off, cb, m, m2);
        cpu::group_dot2(v, gb + off, xb + off, cb, m, sg, sgx);
        for (int64_t k = 0; k < cb; ++k) {
          const int64_t q = n * p.C + c0 + k;
          const double r = 1.0 / std::sqrt(m2[k] / denom + eps);
          const double s = double(ssb[bs == 1 ? c0 + k : q]);
          const double Ak = s * r, Bk = -s * r * r * r * sgx[k] / denom;
          mt[k] = static_cast<scalar_t>(m[k]);
          A[k] = static_cast<scalar_t>(Ak);
          B[k] = static_cast<scalar_t>(Bk);
          c[k] = static_cast<scalar_t>(-Ak * sg[k] / S + Bk * (double(mt[k]) - m[k]));
          dmb[q] = sg[k];
          dsb[q] = r * sgx[k];
        }
        cpu::group_affine2(v, gb + off, xb + off, db + off, cb, mt, A, B, c);
      });
    });
  } else {
    dmean.zero_();
    dstd.zero_();
  }
  at::Tensor gmean = (bm == 1 ? dmean.sum(0, true) : dmean).to(content.scalar_type()).view(style_mean.sizes());
  at::Tensor gstd = (bs == 1 ? dstd.sum(0, true) : dstd).to(content.scalar_type()).view(style_std.sizes());
  return {dx, gmean, gstd};
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CPU, m) {
  m.impl("calc_mean_std", &calc_mean_std_cpu);
  m.impl("calc_mean_std_backward", &calc_mean_std_backward_cpu);
  m.impl("adain", &adain_cpu);
  m.impl("adain_backward", &adain_backward_cpu);
}

}  // namespace spokenstyle
