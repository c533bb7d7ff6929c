// CPU kernels of bias_act and bias_act_backward: one pass over memory, parallel over chunks with
// at::parallel_for, vectorised with at::vec (partial loads/stores handle the tails).
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <torch/library.h>

#include <algorithm>

#include "activations.h"
#include "bias_act.h"

namespace spokenstyle {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per parallel task

// out[i] = gain * f^(Order)(x[i] + bias) * clamp_mask, times grad[i] for the derivatives.
template <typename T, typename A, int Order>
struct Pointwise {
  T alpha, gain, clamp;
  bool has_clamp;

  inline Vec<T> apply(Vec<T> z, const T* grad, int64_t n) const {
    const Vec<T> va(alpha), vg(gain);
    Vec<T> out = act_eval<A, Order>(z, va) * vg;
    if (has_clamp) {
      const Vec<T> vc(clamp);
      if constexpr (Order == 0) {
        out = at::vec::clamp(out, -vc, vc);
      } else {
        out = out * in_range(act_eval<A, 0>(z, va) * vg, vc);
      }
    }
    if constexpr (Order > 0) out = out * Vec<T>::loadu(grad, n);
    return out;
  }

  // One contiguous run of n elements sharing the scalar bias `bias`.
  inline void run(const T* x, T bias, const T* grad, T* out, int64_t n) const {
    const Vec<T> vb(bias);
    constexpr int64_t W = Vec<T>::size();
    int64_t i = 0;
    for (; i + W <= n; i += W) {
      apply(Vec<T>::loadu(x + i) + vb, grad ? grad + i : nullptr, W).store(out + i);
    }
    if (i < n) {
      const int64_t r = n - i;
      apply(Vec<T>::loadu(x + i, r) + vb, grad ? grad + i : nullptr, r).store(out + i, r);
    }
  }

  // One contiguous run of n elements with a bias vector b[0..n) (bias dim innermost).
  inline void run_vec_bias(const T* x, const T* b, const T* grad, T* out, int64_t n) const {
    constexpr int64_t W = Vec<T>::size();
    int64_t i = 0;
    for (; i + W <= n; i += W) {
      apply(Vec<T>::loadu(x + i) + Vec<T>::loadu(b + i), grad ? grad + i : nullptr, W).store(out + i);
    }
    if (i < n) {
      const int64_t r = n - i;
      apply(Vec<T>::loadu(x + i, r) + Vec<T>::loadu(b + i, r), grad ? grad + i : nullptr, r)
          .store(out + i, r);
    }
  }
};

template <typename T, typename A, int Order>
void launch(const BiasActProblem& p, const at::Tensor& grad, at::Tensor& out, double alpha,
            double gain, std::optional<double> clamp) {
  const Pointwise<T, A, Order> pw{T(alpha), T(gain), T(clamp.value_or(0.0)), clamp.has_value()};
  const T* x = p.x.const_data_ptr<T>();
  const T* g = Order > 0 ? grad.const_data_ptr<T>() : nullptr;
  T* y = out.mutable_data_ptr<T>();
  const int64_t numel = p.x.numel();
  if (!p.b.has_value() || p.channels == 1) {
    const T bias = p.b.has_value() ? p.b->const_data_ptr<T>()[0] : T(0);
    at::parallel_for(0, numel, kGrain, [&](int64_t begin, int64_t end) {
      pw.run(x + begin, bias, g ? g + begin : nullptr, y + begin, end - begin);
    });
    return;
  }
  const T* b = p.b->const_data_ptr<T>();
  const int64_t C = p.channels, inner = p.inner;
  if (inner == 1) {
    // [outer][C]: e.g. channels_last with the bias on channels.
    const int64_t rows = numel / C;
    at::parallel_for(0, rows, std::max<int64_t>(1, kGrain / C), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t o = r * C;
        pw.run_vec_bias(x + o, b, g ? g + o : nullptr, y + o, C);
      }
    });
  } else {
    // [outer][C][inner]: e.g. NCHW with the bias on channels; split rows into chunks.
    const int64_t rows = numel / inner;
    const int64_t chunk = std::min<int64_t>(inner, kGrain);
    const int64_t chunks_per_row = (inner + chunk - 1) / chunk;
    at::parallel_for(0, rows * chunks_per_row, std::max<int64_t>(1, kGrain / chunk), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t r = t / chunks_per_row;
        const int64_t start = (t % chunks_per_row) * chunk;
        const int64_t n = std::min(chunk, inner - start);
        const int64_t o = r * inner + start;
        pw.run(x + o, b[r % C], g ? g + o : nullptr, y + o, n);
      }
    });
  }
}

template <int Order>
at::Tensor run(const char* op, const at::Tensor& x, const std::optional<at::Tensor>& b, int64_t dim,
               const std::string& act, double alpha, double gain, std::optional<double> clamp,
               const at::Tensor* grad) {
  BiasActProblem p = make_bias_act_problem(op, x, b, dim, act, clamp);
  TORCH_CHECK(x.device().is_cpu(), op, ": x must be on the CPU for this kernel");
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble, op,
              ": the CPU kernel supports float32 and float64, got ", x.scalar_type(),
              " (spokenstyle.ops.bias_act computes other dtypes in float32)");
  at::Tensor g;
  if (grad != nullptr) g = match_layout(*grad, p.x);
  at::Tensor out = at::empty_like(p.x);
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(p.x.scalar_type(), "spokenstyle_bias_act_cpu", [&] {
    dispatch_act(p.act, [&](auto a) {
      launch<scalar_t, decltype(a), Order>(p, g, out, alpha, gain, clamp);
    });
  });
  return out;
}

at::Tensor bias_act_cpu(const at::Tensor& x, const std::optional<at::Tensor>& b, int64_t dim,
                        c10::string_view act, double alpha, double gain, std::optional<double> clamp) {
  return run<0>("bias_act", x, b, dim, std::string(act), alpha, gain, clamp, nullptr);
}

at::Tensor bias_act_backward_cpu(const at::Tensor& grad, const at::Tensor& x,
                                 const std::optional<at::Tensor>& b, int64_t dim, c10::string_view act,
                                 double alpha, double gain, std::optional<double> clamp, int64_t order) {
  check_backward_args("bias_act_backward", grad, x, order);
  const std::string a(act);
  return order == 1 ? run<1>("bias_act_backward", x, b, dim, a, alpha, gain, clamp, &grad)
                    : run<2>("bias_act_backward", x, b, dim, a, alpha, gain, clamp, &grad);
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CPU, m) {
  m.impl("bias_act", &bias_act_cpu);
  m.impl("bias_act_backward", &bias_act_backward_cpu);
}

}  // namespace spokenstyle
