// Activation functions of bias_act and their first and second derivatives, written once for
// both the CPU kernels (V = at::vec::Vectorized<float|double>) and the CUDA kernels (V = float or
// double, in registers). Each activation is a struct with f / d1 / d2; the primitives below
// are overloaded for scalars and, outside nvcc, for Vectorized.
#pragma once

#include <c10/macros/Macros.h>

#include <cmath>
#include <cstdint>
#include <string>

#ifndef __CUDACC__
#include <ATen/cpu/vec/vec.h>
#endif

namespace spokenstyle {

// Numbering shared by the C++ and Python sides (see spokenstyle/ops/bias_act.py).
enum class Act : int64_t {
  Linear = 0,
  Relu,
  Lrelu,
  Tanh,
  Sigmoid,
  Elu,
  Selu,
  Softplus,
  Swish,
};

// Parses an activation name; returns false for an unknown one.
inline bool parse_act(const std::string& name, Act* out) {
  static const char* names[] = {"linear", "relu", "lrelu", "tanh", "sigmoid",
                                "elu", "selu", "softplus", "swish"};
  for (int64_t i = 0; i < 9; ++i) {
    if (name == names[i]) {
      *out = static_cast<Act>(i);
      return true;
    }
  }
  return false;
}

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSoftplusThreshold = 20.0;

// ---- scalar primitives (host and device) -------------------------------------------------
C10_HOST_DEVICE inline float sel_pos(float z, float a, float b) { return z > 0.f ? a : b; }
C10_HOST_DEVICE inline double sel_pos(double z, double a, double b) { return z > 0.0 ? a : b; }
C10_HOST_DEVICE inline float v_exp(float z) { return ::expf(z); }
C10_HOST_DEVICE inline double v_exp(double z) { return ::exp(z); }
C10_HOST_DEVICE inline float v_tanh(float z) { return ::tanhf(z); }
C10_HOST_DEVICE inline double v_tanh(double z) { return ::tanh(z); }
C10_HOST_DEVICE inline float v_log1p(float z) { return ::log1pf(z); }
C10_HOST_DEVICE inline double v_log1p(double z) { return ::log1p(z); }
C10_HOST_DEVICE inline float v_min(float a, float b) { return a < b ? a : b; }
C10_HOST_DEVICE inline double v_min(double a, double b) { return a < b ? a : b; }
C10_HOST_DEVICE inline float v_max(float a, float b) { return a > b ? a : b; }
C10_HOST_DEVICE inline double v_max(double a, double b) { return a > b ? a : b; }
// Gradient mask of clamp(y, -c, c): 1 where -c <= y <= c (inclusive, as torch.clamp), else 0.
C10_HOST_DEVICE inline float in_range(float y, float c) { return (y >= -c && y <= c) ? 1.f : 0.f; }
C10_HOST_DEVICE inline double in_range(double y, double c) { return (y >= -c && y <= c) ? 1.0 : 0.0; }


// ---- Vectorized primitives (CPU kernels) ------------------------------------------------
// Declared before the activation templates so two-phase lookup finds them.
#ifndef __CUDACC__
template <typename T>
using Vec = at::vec::Vectorized<T>;

template <typename T>
inline Vec<T> sel_pos(Vec<T> z, Vec<T> a, Vec<T> b) {
  return Vec<T>::blendv(b, a, z > Vec<T>(T(0)));
}
template <typename T> inline Vec<T> v_exp(Vec<T> z) { return z.exp(); }
template <typename T> inline Vec<T> v_tanh(Vec<T> z) { return z.tanh(); }
template <typename T> inline Vec<T> v_log1p(Vec<T> z) { return z.log1p(); }
template <typename T> inline Vec<T> v_min(Vec<T> a, Vec<T> b) { return at::vec::minimum(a, b); }
template <typename T> inline Vec<T> v_max(Vec<T> a, Vec<T> b) { return at::vec::maximum(a, b); }
template <typename T>
inline Vec<T> in_range(Vec<T> y, Vec<T> c) {
  // Comparison results are all-ones bit masks; AND with 1.0 turns them into 1.0 / 0.0.
  return ((y >= -c) & (y <= c)) & Vec<T>(T(1));
}
#endif  // __CUDACC__

template <typename V>
C10_HOST_DEVICE inline V v_sigmoid(V z) {
  return V(1) / (V(1) + v_exp(-z));
}

// ---- activations --------------------------------------------------------------------------
// Each: f(z), d1 = f'(z), d2 = f''(z); alpha is the activation's parameter (unused by most).
struct LinearAct {
  template <typename V> C10_HOST_DEVICE static V f(V z, V) { return z; }
  template <typename V> C10_HOST_DEVICE static V d1(V, V) { return V(1); }
  template <typename V> C10_HOST_DEVICE static V d2(V, V) { return V(0); }
};
struct ReluAct {
  template <typename V> C10_HOST_DEVICE static V f(V z, V) { return sel_pos(z, z, V(0)); }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V) { return sel_pos(z, V(1), V(0)); }
  template <typename V> C10_HOST_DEVICE static V d2(V, V) { return V(0); }
};
struct LreluAct {
  template <typename V> C10_HOST_DEVICE static V f(V z, V a) { return sel_pos(z, z, z * a); }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V a) { return sel_pos(z, V(1), a); }
  template <typename V> C10_HOST_DEVICE static V d2(V, V) { return V(0); }
};
struct TanhAct {
  template <typename V> C10_HOST_DEVICE static V f(V z, V) { return v_tanh(z); }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V) {
    V t = v_tanh(z);
    return V(1) - t * t;
  }
  template <typename V> C10_HOST_DEVICE static V d2(V z, V) {
    V t = v_tanh(z);
    return V(-2) * t * (V(1) - t * t);
  }
};
struct SigmoidAct {
  template <typename V> C10_HOST_DEVICE static V f(V z, V) { return v_sigmoid(z); }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V) {
    V s = v_sigmoid(z);
    return s * (V(1) - s);
  }
  template <typename V> C10_HOST_DEVICE static V d2(V z, V) {
    V s = v_sigmoid(z);
    return s * (V(1) - s) * (V(1) - V(2) * s);
  }
};
struct EluAct {
  // exp is evaluated on min(z, 0) so the unused branch never overflows.
  template <typename V> C10_HOST_DEVICE static V f(V z, V a) {
    return sel_pos(z, z, a * (v_exp(v_min(z, V(0))) - V(1)));
  }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V a) {
    return sel_pos(z, V(1), a * v_exp(v_min(z, V(0))));
  }
  template <typename V> C10_HOST_DEVICE static V d2(V z, V a) {
    return sel_pos(z, V(0), a * v_exp(v_min(z, V(0))));
  }
};
struct SeluAct {
  template <typename V> C10_HOST_DEVICE static V f(V z, V a) { return V(kSeluScale) * EluAct::f(z, a); }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V a) { return V(kSeluScale) * EluAct::d1(z, a); }
  template <typename V> C10_HOST_DEVICE static V d2(V z, V a) { return V(kSeluScale) * EluAct::d2(z, a); }
};
struct SoftplusAct {
  // log(1 + e^z), linear above the threshold like torch.nn.functional.softplus.
  template <typename V> C10_HOST_DEVICE static V f(V z, V) {
    V zc = v_min(z, V(kSoftplusThreshold));
    return sel_pos(z - V(kSoftplusThreshold), z, v_log1p(v_exp(zc)));
  }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V a) { return SigmoidAct::f(z, a); }
  template <typename V> C10_HOST_DEVICE static V d2(V z, V a) { return SigmoidAct::d1(z, a); }
};
struct SwishAct {
  template <typename V> C10_HOST_DEVICE static V f(V z, V) { return z * v_sigmoid(z); }
  template <typename V> C10_HOST_DEVICE static V d1(V z, V) {
    V s = v_sigmoid(z);
    return s + z * s * (V(1) - s);
  }
  template <typename V> C10_HOST_DEVICE static V d2(V z, V) {
    V s = v_sigmoid(z);
    return s * (V(1) - s) * (V(2) + z * (V(1) - V(2) * s));
  }
};

// Evaluates f (Order 0), f' (Order 1) or f'' (Order 2) of activation A.
template <typename A, int Order, typename V>
C10_HOST_DEVICE inline V act_eval(V z, V alpha) {
  if constexpr (Order == 0) {
    return A::f(z, alpha);
  } else if constexpr (Order == 1) {
    return A::d1(z, alpha);
  } else {
    return A::d2(z, alpha);
  }
}

// Calls fn(A{}) with the activation struct for `act` (compile-time dispatch).
template <typename Fn>
inline void dispatch_act(Act act, Fn&& fn) {
  switch (act) {
    case Act::Linear: fn(LinearAct{}); break;
    case Act::Relu: fn(ReluAct{}); break;
    case Act::Lrelu: fn(LreluAct{}); break;
    case Act::Tanh: fn(TanhAct{}); break;
    case Act::Sigmoid: fn(SigmoidAct{}); break;
    case Act::Elu: fn(EluAct{}); break;
    case Act::Selu: fn(SeluAct{}); break;
    case Act::Softplus: fn(SoftplusAct{}); break;
    case Act::Swish: fn(SwishAct{}); break;
  }
}

}  // namespace spokenstyle
