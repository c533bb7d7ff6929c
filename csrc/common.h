// What every operator's CPU and CUDA registration shares, written once: the device and dtype
// checks of the kernels, the argument checks that compare two tensors, the layout helper that
// lets a kernel walk two tensors with one index, the accumulation dtypes, and the launch
// constants (usable from host code and, under nvcc, from device code).
//
// Error messages start with the operator's name and name the argument, so a call through
// torch.ops.spokenstyle (no Python wrapper) still says what to fix.
#pragma once

#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <limits>

namespace spokenstyle {

// ---- launch constants ------------------------------------------------------------------------
constexpr int kThreads = 256;              // threads per CUDA block, every kernel
constexpr int64_t kCpuGrain = 1 << 15;     // elements per at::parallel_for task, at least

// ---- accumulation --------------------------------------------------------------------------
// Kernels compute in acc_type<T>: float for float16/bfloat16/float32, double for double.
template <typename T>
using acc_type = at::opmath_type<T>;

inline at::ScalarType acc_dtype(at::ScalarType t) { return t == at::kDouble ? at::kDouble : at::kFloat; }

// Whether a kernel over t needs 64-bit element indices (with headroom for index arithmetic).
inline bool needs_int64(const at::Tensor& t) { return t.numel() > std::numeric_limits<int32_t>::max() / 2; }

// ---- device and dtype of a kernel ----------------------------------------------------------
// The CPU kernels compute float32 and float64; the Python wrappers run float16/bfloat16 in float32.
inline void check_cpu(const char* op, const at::Tensor& x) {
  TORCH_CHECK(x.device().is_cpu(), op, ": expected CPU tensors for this kernel, got ", x.device());
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble, op,
              ": the CPU kernel supports float32 and float64, got ", x.scalar_type(),
              " (the spokenstyle.ops wrappers compute float16/bfloat16 in float32)");
}

inline void check_cuda(const char* op, const at::Tensor& x) {
  TORCH_CHECK(x.is_cuda(), op, ": expected CUDA tensors for this kernel, got ", x.device());
}

// ---- two tensors that must agree ---------------------------------------------------------------
inline void check_same_device_dtype(const char* op, const char* name, const at::Tensor& t, const char* other,
                                    const at::Tensor& o) {
  TORCH_CHECK(t.device() == o.device(), op, ": ", name, " is on ", t.device(), " but ", other, " is on ",
              o.device(), "; move them to the same device");
  TORCH_CHECK(t.scalar_type() == o.scalar_type(), op, ": ", name, " has dtype ", t.scalar_type(), " but ",
              other, " has ", o.scalar_type(), "; they must match");
}

inline void check_same_shape(const char* op, const char* name, const at::Tensor& t, const char* other,
                             const at::Tensor& o) {
  TORCH_CHECK(t.sizes() == o.sizes(), op, ": ", name, " has shape ", t.sizes(), " but ", other, " has ",
              o.sizes());
  check_same_device_dtype(op, name, t, other, o);
}

// ---- layout --------------------------------------------------------------------------------
// t (e.g. an incoming gradient, possibly expanded or permuted) laid out exactly like the dense
// tensor `dense`, so a kernel walks both with the same offsets. No copy when they already match.
inline at::Tensor like_layout(const at::Tensor& t, const at::Tensor& dense) {
  if (t.strides() == dense.strides()) return t;
  return at::empty_like(dense).copy_(t);
}

}  // namespace spokenstyle
