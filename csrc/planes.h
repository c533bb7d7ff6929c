// A batch of (N, C) feature planes, the shape instance statistics (calc_mean_std, adain) work
// on: argument checks and the two dense memory layouts the CPU and CUDA kernels walk.
//
//   plane-major  [N][C][S]  contiguous (N, C, H, W) or (N, C, L); one plane = S consecutive elements
//   channel-minor [N][S][C] channels_last (N, C, H, W); one plane = S elements C apart
//
// Any other layout (a strided view, a permutation) is copied to the layout torch suggests for it.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <vector>

#include "common.h"

namespace spokenstyle {

struct Planes {
  at::Tensor x;         // dense in one of the two layouts
  int64_t N, C, S;      // batch, channels, elements per plane
  bool channels_last;   // channel-minor layout
  int64_t planes() const { return N * C; }
};

inline void check_planes_input(const char* op, const char* name, const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 || x.dim() == 4, op, ": ", name,
              " must be 4-D (N, C, H, W) or 3-D (N, C, L), got shape ", x.sizes());
  TORCH_CHECK(x.is_floating_point(), op, ": ", name, " must be a floating-point tensor, got ",
              x.scalar_type());
}

inline Planes make_planes(const char* op, const char* name, const at::Tensor& x) {
  check_planes_input(op, name, x);
  Planes p;
  p.N = x.size(0);
  p.C = x.size(1);
  p.S = 1;
  for (int64_t d = 2; d < x.dim(); ++d) p.S *= x.size(d);
  const bool cl = x.dim() == 4 && x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous();
  if (cl) {
    p.x = x;
    p.channels_last = true;
  } else if (x.is_contiguous()) {
    p.x = x;
    p.channels_last = false;
  } else {
    const auto fmt = x.suggest_memory_format();
    p.x = x.contiguous(fmt);
    p.channels_last = fmt == at::MemoryFormat::ChannelsLast;
  }
  return p;
}

// Shape of per-plane statistics of x: (N, C, 1, 1) for 4-D x, (N, C, 1) for 3-D x.
inline std::vector<int64_t> stats_shape(const at::Tensor& x, int64_t batch) {
  std::vector<int64_t> s(x.dim(), 1);
  s[0] = batch;
  s[1] = x.size(1);
  return s;
}

// A per-plane statistic of a style: shape (N, C, 1...) or (1, C, 1...) matching content's rank
// (a plain (N, C) or (1, C) is accepted too). Returns its batch (1 or N).
inline int64_t check_style_stat(const char* op, const char* name, const at::Tensor& s, const at::Tensor& content) {
  check_same_device_dtype(op, name, s, "content", content);
  bool ok = (s.dim() == content.dim() || s.dim() == 2) && s.dim() >= 2;
  if (ok) {
    for (int64_t d = 2; d < s.dim(); ++d) ok = ok && s.size(d) == 1;
    ok = ok && s.size(1) == content.size(1) && (s.size(0) == 1 || s.size(0) == content.size(0));
  }
  TORCH_CHECK(ok, op, ": ", name, " must hold one value per (batch, channel) plane of content, shape (",
              content.size(0), " or 1, ", content.size(1), ", 1, ...), got ", s.sizes(),
              " for content of shape ", content.sizes());
  return s.size(0);
}

}  // namespace spokenstyle
