// CPU driver of bias_act and bias_act_backward: checks, layout, and at::parallel_for over
// chunks of memory; the vectorised loops are in bias_act_kernel.h (baseline and AVX2 builds).
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <torch/library.h>

#include <algorithm>

#include "bias_act.h"
#include "cpu/bias_act_kernel.h"
#include "cpu/cpu_capability.h"

namespace spokenstyle {
namespace {

constexpr int64_t kGrain = kCpuGrain;

at::Tensor run(const char* op, int64_t order, const at::Tensor& x, const std::optional<at::Tensor>& b,
               int64_t dim, c10::string_view act, double alpha, double gain, std::optional<double> clamp,
               const at::Tensor* grad, double res_scale = 1.0) {
  BiasActProblem p = make_bias_act_problem(op, x, b, dim, std::string(act), clamp);
  check_cpu(op, x);
  at::Tensor g;
  if (grad != nullptr) g = like_layout(*grad, p.x);  // order 0: the residual
  at::Tensor out = at::empty_like(p.x);
  const int64_t numel = p.x.numel();
  if (numel == 0) return out;

  BiasActTask task{};
  task.x = p.x.const_data_ptr();
  task.b = p.b.has_value() ? p.b->const_data_ptr() : nullptr;
  task.grad = grad != nullptr ? g.const_data_ptr() : nullptr;
  task.out = out.mutable_data_ptr();
  task.act = static_cast<int64_t>(p.act);
  task.order = order;
  task.alpha = alpha;
  task.gain = gain;
  task.res_scale = res_scale;
  task.clamp = clamp.value_or(0.0);
  task.has_clamp = clamp.has_value();
  task.is_double = p.x.scalar_type() == at::kDouble;
  task.channels = p.channels;
  if (p.channels == 1) {          // no bias, or one value for all: a flat array
    task.row_len = numel;
    task.bias_per_row = true;
  } else if (p.inner == 1) {      // [outer][C], e.g. channels_last: bias vector along each row
    task.row_len = p.channels;
    task.bias_per_row = false;
  } else {                        // [outer][C][inner], e.g. NCHW: one bias value per row
    task.row_len = p.inner;
    task.bias_per_row = true;
  }
  const BiasActRowsFn fn = use_avx2_kernels() ? &cpu_avx2::bias_act_rows : &cpu_default::bias_act_rows;
  const int64_t rows = numel / task.row_len;
  if (task.row_len < kGrain) {
    at::parallel_for(0, rows, (kGrain + task.row_len - 1) / task.row_len, [&](int64_t r0, int64_t r1) {
      fn(task, r0, r1, 0, task.row_len);
    });
  } else {
    const int64_t per_row = (task.row_len + kGrain - 1) / kGrain;
    at::parallel_for(0, rows * per_row, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t r = t / per_row, c0 = (t % per_row) * kGrain;
        fn(task, r, r + 1, c0, std::min(c0 + kGrain, task.row_len));
      }
    });
  }
  return out;
}

at::Tensor bias_act_cpu(const at::Tensor& x, const std::optional<at::Tensor>& b, int64_t dim,
                        c10::string_view act, double alpha, double gain, std::optional<double> clamp) {
  return run("bias_act", 0, x, b, dim, act, alpha, gain, clamp, nullptr);
}

at::Tensor bias_act_backward_cpu(const at::Tensor& grad, const at::Tensor& x,
                                 const std::optional<at::Tensor>& b, int64_t dim, c10::string_view act,
                                 double alpha, double gain, std::optional<double> clamp, int64_t order) {
  check_backward_args("bias_act_backward", grad, x, order);
  return run("bias_act_backward", order, x, b, dim, act, alpha, gain, clamp, &grad);
}

at::Tensor bias_act_residual_cpu(const at::Tensor& x, const std::optional<at::Tensor>& b, const at::Tensor& residual,
                                 int64_t dim, c10::string_view act, double alpha, double gain,
                                 std::optional<double> clamp, double scale) {
  check_same_shape("bias_act_residual", "residual", residual, "x", x);
  return run("bias_act_residual", 0, x, b, dim, act, alpha, gain, clamp, &residual, scale);
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CPU, m) {
  m.impl("bias_act", &bias_act_cpu);
  m.impl("bias_act_residual", &bias_act_residual_cpu);
  m.impl("bias_act_backward", &bias_act_backward_cpu);
}

}  // namespace spokenstyle
