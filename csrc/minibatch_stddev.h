// Argument checks and problem sizes of minibatch_stddev (StyleGAN2), shared by CPU and CUDA.
//
// x (N, C, H, W) is split into n = N / G groups, G = min(group_size, N); sample i belongs to
// group i % n (StyleGAN2's reshape(G, -1, ...)). Channels split into F = num_channels slices of
// c = C / F. For each group and slice: s = mean over (c, H, W) of sqrt(var over the group + eps)
// (biased variance); out = cat([x, s broadcast over the group members and H, W], dim=1).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <algorithm>

#include "common.h"

namespace spokenstyle {

struct MbstdProblem {
  at::Tensor x;            // contiguous (N, C, H, W)
  int64_t N, C, HW;
  int64_t G, n, F, c, K;   // group size, groups, slices, channels per slice, K = c * HW
};

inline MbstdProblem make_mbstd_problem(const char* op, const at::Tensor& x, int64_t group_size, int64_t num_channels) {
  TORCH_CHECK(x.dim() == 4, op, ": x must be 4-D (N, C, H, W), got shape ", x.sizes());
  TORCH_CHECK(x.is_floating_point(), op, ": x must be a floating-point tensor, got ", x.scalar_type());
  TORCH_CHECK(group_size >= 1, op, ": group_size must be >= 1, got ", group_size);
  TORCH_CHECK(num_channels >= 1, op, ": num_channels must be >= 1, got ", num_channels);
  MbstdProblem p;
  p.N = x.size(0);
  p.C = x.size(1);
  p.HW = x.size(2) * x.size(3);
  TORCH_CHECK(p.N >= 1, op, ": x must hold at least one sample, got shape ", x.sizes());
  p.G = std::min(group_size, p.N);
  TORCH_CHECK(p.N % p.G == 0, op, ": the batch size ", p.N, " of x is not divisible by the group size ", p.G,
              " (group_size=", group_size, "); use a batch that is a multiple of it or a group_size that divides it");
  TORCH_CHECK(p.C % num_channels == 0, op, ": x has ", p.C, " channels, not divisible by num_channels=",
              num_channels);
  p.n = p.N / p.G;
  p.F = num_channels;
  p.c = p.C / p.F;
  p.K = p.c * p.HW;
  p.x = x.contiguous();
  return p;
}

}  // namespace spokenstyle
