// Gram matrices through the best GEMM ATen has (MKL / cuBLAS), shared by the CPU and CUDA
// registrations of gram, gram_backward and style_loss: argument checks, the (N, C, S) view of
// the features in either dense layout, and the one-GEMM forward and backward.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/ops/bmm.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include "common.h"
#include "planes.h"

namespace spokenstyle {

struct GramProblem {
  Planes p;
  at::Tensor F;   // (N, C, S)
  at::Tensor Ft;  // (N, S, C)
  double scale;   // 1 / (C S) when normalize, else 1
};

inline GramProblem make_gram_problem(const char* op, const at::Tensor& x, bool normalize) {
  GramProblem g;
  g.p = make_planes(op, "x", x);
  const Planes& p = g.p;
  if (p.channels_last) {
    g.Ft = p.x.permute({0, 2, 3, 1}).view({p.N, p.S, p.C});  // contiguous
    g.F = g.Ft.transpose(1, 2);
  } else {
    g.F = p.x.view({p.N, p.C, p.S});
    g.Ft = g.F.transpose(1, 2);
  }
  const double norm = double(p.C) * double(p.S);
  g.scale = (normalize && norm > 0) ? 1.0 / norm : 1.0;
  return g;
}

// G = scale * F F^T, one batched GEMM; the scale is applied to the accumulator (alpha), so
// float16 sums of many products do not overflow before normalisation.
inline at::Tensor gram_forward(const GramProblem& g) {
  at::Tensor G = at::zeros({g.p.N, g.p.C, g.p.C}, g.p.x.options());
  if (G.numel() == 0 || g.p.S == 0) return G;
  G.baddbmm_(g.F, g.Ft, /*beta=*/0, /*alpha=*/g.scale);
  return G;
}

inline void check_gram_like(const char* op, const char* name, const at::Tensor& t, const GramProblem& g,
                            bool allow_batch1) {
  const at::Tensor& x = g.p.x;
  check_same_device_dtype(op, name, t, "x", x);
  TORCH_CHECK(t.dim() == 3 && t.size(1) == g.p.C && t.size(2) == g.p.C &&
                  (t.size(0) == g.p.N || (allow_batch1 && t.size(0) == 1)),
              op, ": ", name, " must have shape (", g.p.N, allow_batch1 ? " or 1" : "", ", ", g.p.C, ", ", g.p.C,
              ") to match x of shape ", x.sizes(), ", got ", t.sizes());
}

// d x = scale (grad + grad^T) F, laid out like x (channels_last stays channels_last).
inline at::Tensor gram_backward_impl(const char* op, const at::Tensor& grad, const at::Tensor& x, bool normalize) {
  GramProblem g = make_gram_problem(op, x, normalize);
  check_gram_like(op, "grad", grad, g, false);
  const at::Tensor sym = grad.add(grad.transpose(1, 2)).mul_(g.scale);  // (N, C, C), symmetric
  const Planes& p = g.p;
  if (p.channels_last) {
    // (F^T sym) is d F^T, contiguous (N, S, C) = channels_last memory.
    return at::bmm(g.Ft, sym).view({p.N, x.size(2), x.size(3), p.C}).permute({0, 3, 1, 2});
  }
  return at::bmm(sym, g.F).view(x.sizes());
}

}  // namespace spokenstyle
