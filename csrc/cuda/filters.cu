// CUDA kernels of anisotropic_kuwahara, bilateral and flow_dog: one thread per output pixel,
// computing what csrc/cpu/filters.cpp computes (the same offsets, sectors and order of terms;
// see there), border replicated. float32 and float64 (the wrappers compute float16/bfloat16 in
// float32); the Kuwahara sums are double for either dtype, as on the CPU.
#include <ATen/Dispatch.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <cmath>
#include <limits>
#include <optional>

#include "cuda/launch.cuh"
#include "filters.h"

namespace spokenstyle {
namespace {

using cuda::grid_for;

__device__ __forceinline__ int64_t clampi_d(int64_t v, int64_t hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

template <typename T>
__device__ __forceinline__ void orientation_d(T e, T f, T g, T& nx, T& ny, T& aniso) {
  const T theta = T(0.5) * ::atan2(T(2) * f, e - g);
  const T root = ::sqrt((e - g) * (e - g) + T(4) * (f * f));
  const T tr = e + g;
  const T a = tr > T(0) ? root / tr : T(0);
  aniso = a < T(0) ? T(0) : (a > T(1) ? T(1) : a);
  nx = ::cos(theta);
  ny = ::sin(theta);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
kuwahara_kernel(const T* __restrict__ xb, const T* __restrict__ sb, T* __restrict__ ob, int64_t N, int64_t C,
                int64_t H, int64_t W, int64_t r, int64_t ns, T q, T alpha, int64_t big) {
  const int64_t HW = H * W, total = N * HW;
  const T rim = static_cast<T>(0.1353352832366127);  // exp(-2)
  const T to_sector = static_cast<T>(double(ns) / (2.0 * 3.14159265358979323846));
  const T half_pi = static_cast<T>(0.5 * 3.14159265358979323846);
  const T rr = static_cast<T>(r);
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = t / HW, p = t % HW, y = p / W, x = p % W;
    const T* img = xb + n * C * HW;
    const T* st = sb + n * 3 * HW;
    double sw[kKuwaharaMaxSectors], sx[kKuwaharaMaxSectors][kKuwaharaMaxChannels],
        sxx[kKuwaharaMaxSectors][kKuwaharaMaxChannels];
    for (int64_t i = 0; i < ns; ++i) {
      sw[i] = 0;
      for (int64_t c = 0; c < C; ++c) sx[i][c] = sxx[i][c] = 0;
    }
    T nx, ny, aniso;
    orientation_d<T>(st[p], st[HW + p], st[2 * HW + p], nx, ny, aniso);
    const T a = rr * (alpha + aniso) / alpha;
    const T bb = rr * alpha / (alpha + aniso);
    const T tx = -ny, ty = nx;
    const double ia = 1.0 / double(a), ib = 1.0 / double(bb);
    const double qa = double(tx) * double(tx) * ia * ia + double(nx) * double(nx) * ib * ib;
    const double qbk = double(tx) * double(ty) * ia * ia + double(nx) * double(ny) * ib * ib;
    const double qck = double(ty) * double(ty) * ia * ia + double(ny) * double(ny) * ib * ib;
    const double ey = ::sqrt(double(a) * double(a) * double(ty) * double(ty) +
                             double(bb) * double(bb) * double(ny) * double(ny));
    // A non-finite structure tensor (NaN, inf) visits nothing: the output is 0/0 = NaN, as the
    // reference's NaN weights give (and no index is made from a NaN).
    const int64_t ylim = isfinite(ey) && isfinite(qa) && isfinite(qbk) && isfinite(qck)
                                 ? min(big, static_cast<int64_t>(::floor(ey)) + 1)
                                 : -1;
    for (int64_t dy = -ylim; dy <= ylim; ++dy) {
      const double qb = qbk * double(dy), qc = qck * double(dy) * double(dy);
      const double disc = qb * qb - qa * (qc - 1.0);
      if (!(disc >= 0)) continue;
      const double root = ::sqrt(disc);
      const int64_t lo = max(-big, static_cast<int64_t>(::floor((-qb - root) / qa)) - 1);
      const int64_t hi = min(big, static_cast<int64_t>(::ceil((-qb + root) / qa)) + 1);
      const T* srow = img + clampi_d(y + dy, H - 1) * W;
      const T fdy = static_cast<T>(dy);
      for (int64_t dx = lo; dx <= hi; ++dx) {
        const T fdx = static_cast<T>(dx);
        const T u = (tx * fdx + ty * fdy) / a;
        const T v = (nx * fdx + ny * fdy) / bb;
        const T radial = ::exp(T(-2) * (u * u + v * v)) - rim;
        if (!(radial > T(0))) continue;
        const T s = ::atan2(v, u) * to_sector;
        const T fl = ::floor(s);
        const T cw = ::cos(half_pi * (s - fl));
        const double w0 = double(cw * cw * radial);
        const double w1 = double((T(1) - cw * cw) * radial);
        int64_t k0 = static_cast<int64_t>(fl) % ns;
        if (k0 < 0) k0 += ns;
        const int64_t k1 = k0 + 1 == ns ? 0 : k0 + 1;
        const int64_t xx = clampi_d(x + dx, W - 1);
        sw[k0] += w0;
        sw[k1] += w1;
        for (int64_t c = 0; c < C; ++c) {
          const double val = srow[c * HW + xx];
          sx[k0][c] += w0 * val;
          sxx[k0][c] += w0 * val * val;
          sx[k1][c] += w1 * val;
          sxx[k1][c] += w1 * val * val;
        }
      }
    }
    double num[kKuwaharaMaxChannels] = {0, 0, 0, 0};
    double den = 0;
    for (int64_t i = 0; i < ns; ++i) {
      if (!(sw[i] > 0)) continue;
      double m[kKuwaharaMaxChannels];
      double var = 0;
      for (int64_t c = 0; c < C; ++c) {
        m[c] = sx[i][c] / sw[i];
        const double vc = sxx[i][c] / sw[i] - m[c] * m[c];
        var += vc > 0 ? vc : 0;
      }
      const double wt = 1.0 / (1.0 + ::pow(255.0 * var, 0.5 * double(q)));
      den += wt;
      for (int64_t c = 0; c < C; ++c) num[c] += wt * m[c];
    }
    for (int64_t c = 0; c < C; ++c) ob[n * C * HW + c * HW + p] = static_cast<T>(num[c] / den);
  }
}

at::Tensor anisotropic_kuwahara_cuda(const at::Tensor& x, const at::Tensor& tensor, int64_t radius, int64_t sectors,
                                     double q, double alpha) {
  const char* op = "anisotropic_kuwahara";
  check_image4(op, "x", x);
  check_cuda(op, x);
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble, op,
              ": the CUDA kernel supports float32 and float64, got ", x.scalar_type(),
              " (the spokenstyle.ops wrappers compute float16/bfloat16 in float32)");
  TORCH_CHECK(x.size(1) >= 1 && x.size(1) <= kKuwaharaMaxChannels, op, ": x must have 1 to 4 channels, got shape ",
              x.sizes());
  check_companion(op, "tensor", tensor, x, 3);
  TORCH_CHECK(radius >= 1 && radius <= 32, op, ": radius must be an integer from 1 to 32, got ", radius);
  TORCH_CHECK(sectors >= 3 && sectors <= kKuwaharaMaxSectors, op, ": sectors must be an integer from 3 to 16, got ",
              sectors);
  TORCH_CHECK(std::isfinite(q) && q >= 0 && q <= 64, op, ": q must be a finite number >= 0 and <= 64, got ", q);
  TORCH_CHECK(std::isfinite(alpha) && alpha > 0 && alpha <= 1e6, op,
              ": alpha must be a finite number > 0 and <= 1e6, got ", alpha);
  const c10::cuda::CUDAGuard guard(x.device());
  const at::Tensor xc = x.contiguous(), sc = tensor.contiguous();
  at::Tensor out = at::empty(x.sizes(), x.options());
  const int64_t total = x.size(0) * x.size(2) * x.size(3);
  if (out.numel() == 0) return out;
  const int64_t big = static_cast<int64_t>(std::ceil(double(radius) * (alpha + 1.0) / alpha));
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_anisotropic_kuwahara_cuda", [&] {
    kuwahara_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(
        xc.const_data_ptr<scalar_t>(), sc.const_data_ptr<scalar_t>(), out.mutable_data_ptr<scalar_t>(), x.size(0),
        x.size(1), x.size(2), x.size(3), radius, sectors, static_cast<scalar_t>(q), static_cast<scalar_t>(alpha), big);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
bilateral_kernel(const T* __restrict__ xb, const T* __restrict__ gb, T* __restrict__ ob, int64_t N, int64_t C,
                 int64_t Cg, int64_t H, int64_t W, int64_t r, double ss, T range) {
  const int64_t HW = H * W, total = N * HW;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = t / HW, p = t % HW, y = p / W, x = p % W;
    const T* img = xb + n * C * HW;
    const T* gd = gb + n * Cg * HW;
    T* out = ob + n * C * HW;
    for (int64_t c = 0; c < C; ++c) out[c * HW + p] = T(0);  // the numerators, accumulated in place
    T den = T(0);
    for (int64_t dy = -r; dy <= r; ++dy) {
      const int64_t rowoff = clampi_d(y + dy, H - 1) * W;
      for (int64_t dx = -r; dx <= r; ++dx) {
        const int64_t qi = rowoff + clampi_d(x + dx, W - 1);
        T d2 = T(0);
        for (int64_t c = 0; c < Cg; ++c) {
          const T d = gd[c * HW + qi] - gd[c * HW + p];
          d2 += d * d;
        }
        const T sp = static_cast<T>(-double(dx * dx + dy * dy) / (2.0 * ss * ss));
        const T wt = ::exp(sp - d2 / range);
        for (int64_t c = 0; c < C; ++c) out[c * HW + p] += wt * img[c * HW + qi];
        den += wt;
      }
    }
    for (int64_t c = 0; c < C; ++c) out[c * HW + p] /= den;
  }
}

at::Tensor bilateral_cuda(const at::Tensor& x, const std::optional<at::Tensor>& guide, double sigma_space,
                          double sigma_range) {
  const char* op = "bilateral";
  check_image4(op, "x", x);
  check_cuda(op, x);
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble, op,
              ": the CUDA kernel supports float32 and float64, got ", x.scalar_type(),
              " (the spokenstyle.ops wrappers compute float16/bfloat16 in float32)");
  if (guide.has_value()) check_companion(op, "guide", *guide, x, -1);
  TORCH_CHECK(std::isfinite(sigma_space) && sigma_space > 0 && sigma_space <= 32, op,
              ": sigma_space must be a finite number > 0 and <= 32, got ", sigma_space);
  TORCH_CHECK(std::isfinite(sigma_range) && sigma_range > 0, op, ": sigma_range must be a finite number > 0, got ",
              sigma_range);
  const c10::cuda::CUDAGuard guard(x.device());
  const at::Tensor xc = x.contiguous();
  const at::Tensor gc = guide.has_value() ? guide->contiguous() : xc;
  at::Tensor out = at::empty(x.sizes(), x.options());
  if (out.numel() == 0) return out;
  const int64_t total = x.size(0) * x.size(2) * x.size(3);
  const int64_t r = static_cast<int64_t>(std::ceil(2.0 * sigma_space));
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_bilateral_cuda", [&] {
    bilateral_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(
        xc.const_data_ptr<scalar_t>(), gc.const_data_ptr<scalar_t>(), out.mutable_data_ptr<scalar_t>(), x.size(0),
        x.size(1), gc.size(1), x.size(2), x.size(3), r, sigma_space,
        static_cast<scalar_t>(2.0 * sigma_range * sigma_range));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

template <typename T>
__device__ __forceinline__ T bilinear_d(const T* img, int64_t H, int64_t W, T px, T py) {
  if (px != px || py != py) return std::numeric_limits<T>::quiet_NaN();  // NaN positions: no index from them
  px = px < T(0) ? T(0) : (px > T(W - 1) ? T(W - 1) : px);
  py = py < T(0) ? T(0) : (py > T(H - 1) ? T(H - 1) : py);
  const T x0f = ::floor(px), y0f = ::floor(py);
  const T fx = px - x0f, fy = py - y0f;
  const int64_t x0 = static_cast<int64_t>(x0f), y0 = static_cast<int64_t>(y0f);
  const int64_t x1 = min(x0 + 1, W - 1), y1 = min(y0 + 1, H - 1);
  const T top = img[y0 * W + x0] * (T(1) - fx) + img[y0 * W + x1] * fx;
  const T bottom = img[y1 * W + x0] * (T(1) - fx) + img[y1 * W + x1] * fx;
  return top * (T(1) - fy) + bottom * fy;
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
flow_dog_across_kernel(const T* __restrict__ xb, const T* __restrict__ sb, T* __restrict__ db,
                       const T* __restrict__ taps, int64_t t, int64_t N, int64_t H, int64_t W) {
  const int64_t HW = H * W, total = N * HW;
  for (int64_t i0 = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i0 < total; i0 += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = i0 / HW, p = i0 % HW, y = p / W, x = p % W;
    const T* img = xb + n * HW;
    const T* st = sb + n * 3 * HW;
    T nx, ny, an;
    orientation_d<T>(st[p], st[HW + p], st[2 * HW + p], nx, ny, an);
    T d = T(0);
    for (int64_t i = -t; i <= t; ++i) {
      const T fi = static_cast<T>(i);
      d += taps[i + t] * bilinear_d<T>(img, H, W, T(x) + fi * nx, T(y) + fi * ny);
    }
    db[i0] = d;
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
flow_dog_along_kernel(const T* __restrict__ db, const T* __restrict__ sb, T* __restrict__ ob,
                      const T* __restrict__ gm, int64_t steps, T norm, int64_t N, int64_t H, int64_t W) {
  const int64_t HW = H * W, total = N * HW;
  for (int64_t i0 = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i0 < total; i0 += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = i0 / HW, p = i0 % HW, y = p / W, x = p % W;
    const T* dimg = db + n * HW;
    const T* st = sb + n * 3 * HW;
    T nx, ny, an;
    orientation_d<T>(st[p], st[HW + p], st[2 * HW + p], nx, ny, an);
    T acc = gm[0] * dimg[p];
    for (int sgn = 0; sgn < 2; ++sgn) {
      const T sign = sgn == 0 ? T(1) : T(-1);
      T qx = T(x), qy = T(y);
      T dx = sign * -ny, dy = sign * nx;
      for (int64_t j = 1; j <= steps; ++j) {
        qx = qx + dx;
        qy = qy + dy;
        qx = qx < T(0) ? T(0) : (qx > T(W - 1) ? T(W - 1) : qx);
        qy = qy < T(0) ? T(0) : (qy > T(H - 1) ? T(H - 1) : qy);
        acc += gm[j] * bilinear_d<T>(dimg, H, W, qx, qy);
        T mx, my, ma;
        orientation_d<T>(bilinear_d<T>(st, H, W, qx, qy), bilinear_d<T>(st + HW, H, W, qx, qy),
                         bilinear_d<T>(st + 2 * HW, H, W, qx, qy), mx, my, ma);
        const T tx = -my, ty = mx;
        const T flip = tx * dx + ty * dy < T(0) ? T(-1) : T(1);
        dx = flip * tx;
        dy = flip * ty;
      }
    }
    ob[i0] = acc / norm;
  }
}

at::Tensor flow_dog_cuda(const at::Tensor& x, const at::Tensor& tensor, double sigma, double k, double sigma_m) {
  const char* op = "flow_dog";
  check_image4(op, "x", x);
  check_cuda(op, x);
  TORCH_CHECK(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble, op,
              ": the CUDA kernel supports float32 and float64, got ", x.scalar_type(),
              " (the spokenstyle.ops wrappers compute float16/bfloat16 in float32)");
  TORCH_CHECK(x.size(1) == 1, op, ": x must have 1 channels, got shape ", x.sizes());
  check_companion(op, "tensor", tensor, x, 3);
  TORCH_CHECK(std::isfinite(sigma) && sigma > 0 && sigma <= 16, op, ": sigma must be a finite number > 0 and <= 16, got ",
              sigma);
  TORCH_CHECK(std::isfinite(k) && k > 1 && k <= 8, op, ": k must be a finite number > 1 and <= 8, got ", k);
  TORCH_CHECK(std::isfinite(sigma_m) && sigma_m > 0 && sigma_m <= 32, op,
              ": sigma_m must be a finite number > 0 and <= 32, got ", sigma_m);
  const c10::cuda::CUDAGuard guard(x.device());
  const at::Tensor xc = x.contiguous(), sc = tensor.contiguous();
  at::Tensor out = at::empty(x.sizes(), x.options());
  if (out.numel() == 0) return out;
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3), total = N * H * W;
  const int64_t t = static_cast<int64_t>(std::ceil(3.0 * k * sigma));
  const int64_t steps = static_cast<int64_t>(std::ceil(3.0 * sigma_m));
  // Taps on the host, exactly as the CPU kernel makes them, then copied to the device.
  at::Tensor taps = at::empty({2 * t + 1}, x.options().device(at::kCPU));
  at::Tensor gm = at::empty({steps + 1}, x.options().device(at::kCPU));
  double total_gm = 0;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_flow_dog_taps", [&] {
    scalar_t* tp = taps.mutable_data_ptr<scalar_t>();
    double s1 = 0, s2 = 0;
    for (int64_t i = -t; i <= t; ++i) {
      s1 += std::exp(-double(i * i) / (2.0 * sigma * sigma));
      s2 += std::exp(-double(i * i) / (2.0 * k * sigma * k * sigma));
    }
    for (int64_t i = -t; i <= t; ++i) {
      tp[i + t] = static_cast<scalar_t>(std::exp(-double(i * i) / (2.0 * sigma * sigma)) / s1) -
                  static_cast<scalar_t>(std::exp(-double(i * i) / (2.0 * k * sigma * k * sigma)) / s2);
    }
    scalar_t* g = gm.mutable_data_ptr<scalar_t>();
    for (int64_t j = 0; j <= steps; ++j) {
      const double v = std::exp(-double(j * j) / (2.0 * sigma_m * sigma_m));
      g[j] = static_cast<scalar_t>(v);
      total_gm += j == 0 ? v : 2.0 * v;
    }
  });
  const at::Tensor taps_d = taps.to(x.device()), gm_d = gm.to(x.device());
  at::Tensor d = at::empty({total}, x.options());
  auto stream = c10::cuda::getCurrentCUDAStream();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_flow_dog_cuda", [&] {
    flow_dog_across_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(
        xc.const_data_ptr<scalar_t>(), sc.const_data_ptr<scalar_t>(), d.mutable_data_ptr<scalar_t>(),
        taps_d.const_data_ptr<scalar_t>(), t, N, H, W);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    flow_dog_along_kernel<scalar_t><<<grid_for(total), kThreads, 0, stream>>>(
        d.const_data_ptr<scalar_t>(), sc.const_data_ptr<scalar_t>(), out.mutable_data_ptr<scalar_t>(),
        gm_d.const_data_ptr<scalar_t>(), steps, static_cast<scalar_t>(total_gm), N, H, W);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CUDA, m) {
  m.impl("anisotropic_kuwahara", &anisotropic_kuwahara_cuda);
  m.impl("bilateral", &bilateral_cuda);
  m.impl("flow_dog", &flow_dog_cuda);
}

}  // namespace spokenstyle
