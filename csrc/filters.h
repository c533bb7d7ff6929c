// The structure-preserving filters (anisotropic_kuwahara, bilateral, flow_dog), shared by their CPU (and any
// future CUDA) registrations: argument checks and the per-pixel orientation read from a
// structure tensor, written exactly as spokenstyle/ops/_filters.py's orientation computes it.
// The Python wrappers check the arguments' ranges with the messages users see; these checks
// guard direct calls through torch.ops.spokenstyle.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <cmath>

#include "common.h"

namespace spokenstyle {

constexpr int64_t kKuwaharaMaxChannels = 4;
constexpr int64_t kKuwaharaMaxSectors = 16;

inline void check_image4(const char* op, const char* name, const at::Tensor& t) {
  TORCH_CHECK(t.dim() == 4, op, ": ", name, " must be 4-D (N, C, H, W), got shape ", t.sizes());
}

// A per-pixel companion (structure tensor, guide) of x: same N, H, W, device and dtype.
inline void check_companion(const char* op, const char* name, const at::Tensor& t, const at::Tensor& x,
                            int64_t channels) {
  check_image4(op, name, t);
  TORCH_CHECK(t.size(0) == x.size(0) && t.size(2) == x.size(2) && t.size(3) == x.size(3) &&
                  (channels < 0 || t.size(1) == channels),
              op, ": ", name, " must have the N, H, W of x ", x.sizes(),
              channels < 0 ? "" : " and 3 channels", ", got ", t.sizes());
  check_same_device_dtype(op, name, t, "x", x);
}

// Gradient direction (nx, ny) and anisotropy A of a structure tensor (e, f, g) = (Exx, Exy, Eyy).
template <typename T>
inline void orientation(T e, T f, T g, T& nx, T& ny, T& aniso) {
  const T theta = T(0.5) * std::atan2(T(2) * f, e - g);
  const T root = std::sqrt((e - g) * (e - g) + T(4) * (f * f));
  const T tr = e + g;
  T a = tr > T(0) ? root / tr : T(0);
  aniso = a < T(0) ? T(0) : (a > T(1) ? T(1) : a);
  nx = std::cos(theta);
  ny = std::sin(theta);
}

}  // namespace spokenstyle
