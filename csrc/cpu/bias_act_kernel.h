// The vectorised inner loops of bias_act on raw pointers; compiled once per CPU capability
// (bias_act_kernel_default.cpp, bias_act_kernel_avx2.cpp). The Tensor-level driver in
// bias_act.cpp splits the work with at::parallel_for and calls into these.
#pragma once

#include <cstdint>

namespace spokenstyle {

// One parallel task's worth of bias_act work. Memory is [rows][row_len]; bias index of row r
// is r % channels when bias_per_row, else the bias vector runs along each row (channels_last).
struct BiasActTask {
  const void* x;
  const void* b;     // nullptr: no bias
  const void* grad;  // derivative orders: the incoming gradient; order 0: the residual (or nullptr)
  void* out;
  int64_t row_len;
  int64_t channels;
  bool bias_per_row;
  int64_t act;  // spokenstyle::Act
  int64_t order;  // 0 = forward, 1 = f', 2 = f''
  double alpha, gain, clamp;
  double res_scale;  // order 0 with a residual: out = (bias_act + residual) * res_scale
  bool has_clamp;
  bool is_double;
};

// Process rows [row_begin, row_end) (of row_len elements each) starting at element offset
// row_begin * row_len, and columns [col_begin, col_end) of each row.
using BiasActRowsFn = void (*)(const BiasActTask&, int64_t row_begin, int64_t row_end, int64_t col_begin,
                               int64_t col_end);

namespace cpu_default {
void bias_act_rows(const BiasActTask&, int64_t, int64_t, int64_t, int64_t);
}
namespace cpu_avx2 {
void bias_act_rows(const BiasActTask&, int64_t, int64_t, int64_t, int64_t);
}

}  // namespace spokenstyle

#ifdef SPOKENSTYLE_KERNEL_NAMESPACE
// ---- the implementation, compiled in each capability TU ------------------------------------
#include "activations.h"

namespace spokenstyle {
namespace SPOKENSTYLE_KERNEL_NAMESPACE {
namespace {

template <typename T, typename A, int Order>
struct Pointwise {
  Vec<T> alpha, gain, clamp, res_scale;
  bool has_clamp;

  inline Vec<T> apply(Vec<T> z, const T* grad, int64_t n) const {
    Vec<T> out = act_eval<A, Order>(z, alpha) * gain;
    if (has_clamp) {
      if constexpr (Order == 0) {
        out = at::vec::clamp(out, -clamp, clamp);
      } else {
        out = out * in_range(act_eval<A, 0>(z, alpha) * gain, clamp);
      }
    }
    if constexpr (Order > 0) {
      out = out * Vec<T>::loadu(grad, n);
    } else {
      if (grad != nullptr) out = (out + Vec<T>::loadu(grad, n)) * res_scale;  // the residual merge
    }
    return out;
  }
};

template <typename T, typename A, int Order>
void rows_impl(const BiasActTask& t, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const Pointwise<T, A, Order> pw{Vec<T>(T(t.alpha)), Vec<T>(T(t.gain)), Vec<T>(T(t.clamp)), Vec<T>(T(t.res_scale)),
                                  t.has_clamp};
  const T* x = static_cast<const T*>(t.x);
  const T* b = static_cast<const T*>(t.b);
  const T* g = static_cast<const T*>(t.grad);
  T* y = static_cast<T*>(t.out);
  constexpr int64_t W = Vec<T>::size();
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t o = r * t.row_len;
    const bool vec_bias = b != nullptr && !t.bias_per_row;
    const Vec<T> row_bias(b != nullptr && t.bias_per_row ? b[r % t.channels] : T(0));
    int64_t i = c0;
    for (; i + W <= c1; i += W) {
      Vec<T> z = Vec<T>::loadu(x + o + i) + (vec_bias ? Vec<T>::loadu(b + i) : row_bias);
      pw.apply(z, g ? g + o + i : nullptr, W).store(y + o + i);
    }
    if (i < c1) {
      const int64_t n = c1 - i;
      Vec<T> z = Vec<T>::loadu(x + o + i, n) + (vec_bias ? Vec<T>::loadu(b + i, n) : row_bias);
      pw.apply(z, g ? g + o + i : nullptr, n).store(y + o + i, n);
    }
  }
}

template <typename T, typename A>
BiasActRowsFn pick_order(int64_t order) {
  switch (order) {
    case 0: return &rows_impl<T, A, 0>;
    case 1: return &rows_impl<T, A, 1>;
    default: return &rows_impl<T, A, 2>;
  }
}

template <typename T>
BiasActRowsFn pick(int64_t act, int64_t order) {
  BiasActRowsFn fn = nullptr;
  dispatch_act(static_cast<Act>(act), [&](auto a) { fn = pick_order<T, decltype(a)>(order); });
  return fn;
}

}  // namespace

void bias_act_rows(const BiasActTask& t, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  const BiasActRowsFn fn = t.is_double ? pick<double>(t.act, t.order) : pick<float>(t.act, t.order);
  fn(t, r0, r1, c0, c1);
}

}  // namespace SPOKENSTYLE_KERNEL_NAMESPACE
}  // namespace spokenstyle
#endif  // SPOKENSTYLE_KERNEL_NAMESPACE
