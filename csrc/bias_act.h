// Argument checking and memory-layout analysis of bias_act, shared by the CPU and CUDA kernels.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <optional>
#include <string>

#include "activations.h"
#include "common.h"

namespace spokenstyle {

// A dense view of the problem: memory is [outer][channels][inner] along the bias dim, which
// holds for every non-overlapping dense layout (contiguous, channels_last, permuted).
struct BiasActProblem {
  at::Tensor x;                  // x itself when dense, else a dense copy (layout suggested by x)
  std::optional<at::Tensor> b;   // contiguous bias of x.size(dim) elements
  Act act;
  int64_t dim;
  int64_t channels;
  int64_t inner;  // elements sharing one bias value, consecutive in memory
};

inline BiasActProblem make_bias_act_problem(const char* op, const at::Tensor& x,
                                            const std::optional<at::Tensor>& b, int64_t dim,
                                            const std::string& act, std::optional<double> clamp) {
  TORCH_CHECK(x.is_floating_point(), op, ": x must be a floating-point tensor, got ", x.scalar_type());
  TORCH_CHECK(x.dim() >= 1 || !b.has_value(), op, ": x is a scalar, so there is no dim for the bias b");
  BiasActProblem p;
  TORCH_CHECK(parse_act(act, &p.act), op, ": unknown act '", act,
              "'; expected one of linear, relu, lrelu, tanh, sigmoid, elu, selu, softplus, swish");
  if (clamp.has_value()) {
    TORCH_CHECK(*clamp >= 0, op, ": clamp must be >= 0 (or None for no clamp), got ", *clamp);
  }
  const int64_t ndim = x.dim();
  int64_t d = dim;
  if (ndim > 0) {
    TORCH_CHECK(dim >= -ndim && dim < ndim, op, ": dim=", dim, " is out of range for x with ",
                ndim, " dimensions (expected -", ndim, " <= dim < ", ndim, ")");
    d = dim < 0 ? dim + ndim : dim;
  }
  p.dim = d;
  p.x = x.is_non_overlapping_and_dense() ? x : x.contiguous(x.suggest_memory_format());
  p.channels = 1;
  p.inner = p.x.numel();
  if (b.has_value()) {
    const at::Tensor& bb = *b;
    TORCH_CHECK(bb.dim() == 1, op, ": b must be 1-D, got shape ", bb.sizes());
    TORCH_CHECK(bb.numel() == x.size(d), op, ": b has ", bb.numel(), " elements but x.shape[",
                d, "] is ", x.size(d), "; they must match");
    check_same_device_dtype(op, "b", bb, "x", x);
    p.b = bb.contiguous();
    if (x.size(d) > 1) {
      p.channels = x.size(d);
      p.inner = p.x.stride(d);
    }
  }
  return p;
}

inline void check_backward_args(const char* op, const at::Tensor& grad, const at::Tensor& x, int64_t order) {
  TORCH_CHECK(order == 1 || order == 2, op, ": order must be 1 or 2, got ", order);
  check_same_shape(op, "grad", grad, "x", x);
}

}  // namespace spokenstyle
