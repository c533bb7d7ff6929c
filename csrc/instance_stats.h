// Per-plane statistics conventions shared by calc_mean_std and adain (CPU and CUDA):
// the variance denominator and the per-plane statistics argument of the backward operators.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/macros/Macros.h>
#include <c10/util/Exception.h>

#include "common.h"
#include "planes.h"

namespace spokenstyle {

// Denominator of the variance of a plane of m elements. An unbiased variance of a single element
// is undefined; spokenstyle defines it as 0 (the sum of squared deviations of one element is 0,
// divided by 1), so std = sqrt(eps) and no NaN appears, forward or backward.
C10_HOST_DEVICE inline int64_t var_denominator(int64_t m, bool unbiased) {
  const int64_t d = unbiased ? m - 1 : m;
  return d < 1 ? 1 : d;
}

// A tensor of per-plane statistics of x (shape (N, C, 1...) ) as N*C contiguous values.
inline at::Tensor plane_values(const char* op, const char* name, const at::Tensor& t, const at::Tensor& x) {
  check_same_device_dtype(op, name, t, "x", x);
  TORCH_CHECK(t.numel() == x.size(0) * x.size(1) && t.dim() >= 2 && t.size(0) == x.size(0) &&
                  t.size(1) == x.size(1),
              op, ": ", name, " must have one value per (N, C) plane of x, shape (", x.size(0), ", ",
              x.size(1), ", 1...), got ", t.sizes());
  return t.contiguous();
}

}  // namespace spokenstyle
