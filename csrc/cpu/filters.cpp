// CPU kernels of anisotropic_kuwahara, bilateral and flow_dog: one task per image row, each output pixel
// computed on its own in the order the references (spokenstyle/ops/kuwahara.py, bilateral.py)
// add their terms, with the border replicated (indices clamped). bilateral's row loop is
// vectorised (cpu/bilateral_kernel.h); the other two are scalar per pixel.
//
// anisotropic_kuwahara visits only the offsets that can weigh anything: the radial weight
// exp(-2ρ²) - exp(-2) is 0 outside the pixel's ellipse (ρ ≥ 1), so each row dy of the window is
// cut to the ellipse's chord (solved from the quadratic ρ²(dx) = 1, widened by one pixel so
// rounding never drops an offset the reference counts; the weight itself decides the rest), about
// π r² offsets instead of the reference's (2⌈r(α+1)/α⌉+1)². The angular windows cos²(π d / 2) with
// sector centres at the integers are non-zero for two adjacent sectors only: floor(s) weighs
// cos²(π f / 2) and floor(s) + 1 weighs sin²(π f / 2), f = s - floor(s).
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "cpu/bilateral_kernel.h"
#include "cpu/cpu_capability.h"
#include "filters.h"

namespace spokenstyle {
namespace {

inline int64_t clampi(int64_t v, int64_t hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

template <typename T>
void kuwahara_kernel(const T* xb, const T* sb, T* ob, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r,
                     int64_t ns, T q, T alpha) {
  const int64_t HW = H * W;
  const int64_t big = static_cast<int64_t>(std::ceil(double(r) * (double(alpha) + 1.0) / double(alpha)));
  const T rim = static_cast<T>(std::exp(-2.0));
  const T to_sector = static_cast<T>(double(ns) / (2.0 * M_PI));
  const T half_pi = static_cast<T>(0.5 * M_PI);
  const T rr = static_cast<T>(r);
  at::parallel_for(0, N * H, 1, [&](int64_t b, int64_t e) {
    // The sums are double for either dtype: the variance sxx/sw - m² cancels, and (255 s²)^(q/2)
    // magnifies what is left, so float sums would lose ~1e-4 on a photo (the float32 reference does).
    double sw[kKuwaharaMaxSectors], sx[kKuwaharaMaxSectors][kKuwaharaMaxChannels],
        sxx[kKuwaharaMaxSectors][kKuwaharaMaxChannels];
    for (int64_t row = b; row < e; ++row) {
      const int64_t n = row / H, y = row % H;
      const T* img = xb + n * C * HW;
      const T* st = sb + n * 3 * HW;
      T* out = ob + n * C * HW;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t p = y * W + x;
        T nx, ny, aniso;
        orientation<T>(st[p], st[HW + p], st[2 * HW + p], nx, ny, aniso);
        const T a = rr * (alpha + aniso) / alpha;
        const T bb = rr * alpha / (alpha + aniso);
        const T tx = -ny, ty = nx;
        for (int64_t i = 0; i < ns; ++i) {
          sw[i] = 0;
          for (int64_t c = 0; c < C; ++c) sx[i][c] = sxx[i][c] = 0;
        }
        // rho2(dx) = qa dx² + 2 qb dx + qc on row dy (computed in double: only the bounds).
        const double ia = 1.0 / double(a), ib = 1.0 / double(bb);
        const double qa = double(tx) * double(tx) * ia * ia + double(nx) * double(nx) * ib * ib;
        const double qbk = double(tx) * double(ty) * ia * ia + double(nx) * double(ny) * ib * ib;
        const double qck = double(ty) * double(ty) * ia * ia + double(ny) * double(ny) * ib * ib;
        // y half-extent of the ellipse: sqrt(a² ty² + b² ny²).
        const double ey = std::sqrt(double(a) * double(a) * double(ty) * double(ty) +
                                    double(bb) * double(bb) * double(ny) * double(ny));
        // A non-finite structure tensor (NaN, inf) visits nothing: the output is 0/0 = NaN, as the
        // reference's NaN weights give (and no index is made from a NaN).
        const int64_t ylim = std::isfinite(ey) && std::isfinite(qa) && std::isfinite(qbk) && std::isfinite(qck)
                                 ? std::min<int64_t>(big, static_cast<int64_t>(std::floor(ey)) + 1)
                                 : -1;
        for (int64_t dy = -ylim; dy <= ylim; ++dy) {
          const double qb = qbk * double(dy), qc = qck * double(dy) * double(dy);
          const double disc = qb * qb - qa * (qc - 1.0);
          if (!(disc >= 0)) continue;
          const double root = std::sqrt(disc);
          const int64_t lo = std::max<int64_t>(-big, static_cast<int64_t>(std::floor((-qb - root) / qa)) - 1);
          const int64_t hi = std::min<int64_t>(big, static_cast<int64_t>(std::ceil((-qb + root) / qa)) + 1);
          const T* srow = img + clampi(y + dy, H - 1) * W;
          const T fdy = static_cast<T>(dy);
          for (int64_t dx = lo; dx <= hi; ++dx) {
            const T fdx = static_cast<T>(dx);
            const T u = (tx * fdx + ty * fdy) / a;
            const T v = (nx * fdx + ny * fdy) / bb;
            const T radial = std::exp(T(-2) * (u * u + v * v)) - rim;
            if (!(radial > T(0))) continue;
            const T s = std::atan2(v, u) * to_sector;
            const T fl = std::floor(s);
            const T f = s - fl;
            const T cw = std::cos(half_pi * f);
            const double w0 = double(cw * cw * radial);
            const double w1 = double((T(1) - cw * cw) * radial);
            int64_t k0 = static_cast<int64_t>(fl) % ns;
            if (k0 < 0) k0 += ns;
            const int64_t k1 = k0 + 1 == ns ? 0 : k0 + 1;
            const int64_t xx = clampi(x + dx, W - 1);
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
          const double wt = 1.0 / (1.0 + std::pow(255.0 * var, 0.5 * double(q)));
          den += wt;
          for (int64_t c = 0; c < C; ++c) num[c] += wt * m[c];
        }
        for (int64_t c = 0; c < C; ++c) out[c * HW + p] = static_cast<T>(num[c] / den);
      }
    }
  });
}

at::Tensor anisotropic_kuwahara_cpu(const at::Tensor& x, const at::Tensor& tensor, int64_t radius, int64_t sectors,
                                    double q, double alpha) {
  const char* op = "anisotropic_kuwahara";
  check_image4(op, "x", x);
  check_cpu(op, x);
  TORCH_CHECK(x.size(1) >= 1 && x.size(1) <= kKuwaharaMaxChannels, op, ": x must have 1 to 4 channels, got shape ",
              x.sizes());
  check_companion(op, "tensor", tensor, x, 3);
  TORCH_CHECK(radius >= 1 && radius <= 32, op, ": radius must be an integer from 1 to 32, got ", radius);
  TORCH_CHECK(sectors >= 3 && sectors <= kKuwaharaMaxSectors, op, ": sectors must be an integer from 3 to 16, got ",
              sectors);
  TORCH_CHECK(std::isfinite(q) && q >= 0 && q <= 64, op, ": q must be a finite number >= 0 and <= 64, got ", q);
  TORCH_CHECK(std::isfinite(alpha) && alpha > 0 && alpha <= 1e6, op,
              ": alpha must be a finite number > 0 and <= 1e6, got ", alpha);
  const at::Tensor xc = x.contiguous(), sc = tensor.contiguous();
  at::Tensor out = at::empty(x.sizes(), x.options());
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_anisotropic_kuwahara_cpu", [&] {
    kuwahara_kernel<scalar_t>(xc.const_data_ptr<scalar_t>(), sc.const_data_ptr<scalar_t>(),
                              out.mutable_data_ptr<scalar_t>(), x.size(0), x.size(1), x.size(2), x.size(3), radius,
                              sectors, static_cast<scalar_t>(q), static_cast<scalar_t>(alpha));
  });
  return out;
}

// Joint bilateral: weight exp(-(dx² + dy²) / 2σs² - |g(q) - g(p)|² / 2σr²), r = ceil(2σs); the
// row loop (cpu/bilateral_kernel.h) is vectorised along the row, baseline or AVX2 build.
template <typename T>
void bilateral_kernel(const T* xb, const T* gb, T* ob, int64_t N, int64_t C, int64_t Cg, int64_t H, int64_t W,
                      double ss, double sr) {
  const int64_t HW = H * W;
  const int64_t r = static_cast<int64_t>(std::ceil(2.0 * ss));
  const int64_t side = 2 * r + 1;
  std::vector<T> spatial(side * side);
  for (int64_t dy = -r; dy <= r; ++dy)
    for (int64_t dx = -r; dx <= r; ++dx)
      spatial[(dy + r) * side + dx + r] = static_cast<T>(-double(dx * dx + dy * dy) / (2.0 * ss * ss));
  BilateralRowTask task{C, Cg, H, W, r, spatial.data(), 2.0 * sr * sr, std::is_same_v<T, double>};
  const BilateralRowFn fn = use_avx2_kernels() ? &cpu_avx2::bilateral_row : &cpu_default::bilateral_row;
  at::parallel_for(0, N * H, 1, [&](int64_t b, int64_t e) {
    std::vector<T> scratch(bilateral_scratch_elems(task));
    for (int64_t row = b; row < e; ++row) {
      const int64_t n = row / H, y = row % H;
      fn(task, xb + n * C * HW, gb + n * Cg * HW, ob + n * C * HW, y, scratch.data());
    }
  });
}

at::Tensor bilateral_cpu(const at::Tensor& x, const std::optional<at::Tensor>& guide, double sigma_space,
                         double sigma_range) {
  const char* op = "bilateral";
  check_image4(op, "x", x);
  check_cpu(op, x);
  if (guide.has_value()) check_companion(op, "guide", *guide, x, -1);
  TORCH_CHECK(std::isfinite(sigma_space) && sigma_space > 0 && sigma_space <= 32, op,
              ": sigma_space must be a finite number > 0 and <= 32, got ", sigma_space);
  TORCH_CHECK(std::isfinite(sigma_range) && sigma_range > 0, op, ": sigma_range must be a finite number > 0, got ",
              sigma_range);
  const at::Tensor xc = x.contiguous();
  const at::Tensor gc = guide.has_value() ? guide->contiguous() : xc;
  at::Tensor out = at::empty(x.sizes(), x.options());
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_bilateral_cpu", [&] {
    bilateral_kernel<scalar_t>(xc.const_data_ptr<scalar_t>(), gc.const_data_ptr<scalar_t>(),
                               out.mutable_data_ptr<scalar_t>(), x.size(0), x.size(1), gc.size(1), x.size(2),
                               x.size(3), sigma_space, sigma_range);
  });
  return out;
}

// Bilinear sample of plane img (H, W) at (px, py), clamped, as spokenstyle/ops/_filters.py's bilinear.
template <typename T>
inline T bilinear_at(const T* img, int64_t H, int64_t W, T px, T py) {
  if (px != px || py != py) return std::numeric_limits<T>::quiet_NaN();  // NaN positions: no index from them
  px = px < T(0) ? T(0) : (px > T(W - 1) ? T(W - 1) : px);
  py = py < T(0) ? T(0) : (py > T(H - 1) ? T(H - 1) : py);
  const T x0f = std::floor(px), y0f = std::floor(py);
  const T fx = px - x0f, fy = py - y0f;
  const int64_t x0 = static_cast<int64_t>(x0f), y0 = static_cast<int64_t>(y0f);
  const int64_t x1 = std::min<int64_t>(x0 + 1, W - 1), y1 = std::min<int64_t>(y0 + 1, H - 1);
  const T top = img[y0 * W + x0] * (T(1) - fx) + img[y0 * W + x1] * fx;
  const T bottom = img[y1 * W + x0] * (T(1) - fx) + img[y1 * W + x1] * fx;
  return top * (T(1) - fy) + bottom * fy;
}

// Flow-based DoG of x (N, 1, H, W): the DoG across the flow into d (N, H, W), then per pixel the
// Gaussian line integral of d along the tangent curve, each way from the pixel.
template <typename T>
void flow_dog_kernel(const T* xb, const T* sb, T* ob, int64_t N, int64_t H, int64_t W, double sigma, double k,
                     double sigma_m) {
  const int64_t HW = H * W;
  const int64_t t = static_cast<int64_t>(std::ceil(3.0 * k * sigma));
  std::vector<T> taps(2 * t + 1);
  {
    std::vector<double> g1(2 * t + 1), g2(2 * t + 1);
    double s1 = 0, s2 = 0;
    for (int64_t i = -t; i <= t; ++i) {
      g1[i + t] = std::exp(-double(i * i) / (2.0 * sigma * sigma));
      g2[i + t] = std::exp(-double(i * i) / (2.0 * k * sigma * k * sigma));
      s1 += g1[i + t];
      s2 += g2[i + t];
    }
    for (int64_t i = 0; i <= 2 * t; ++i) taps[i] = static_cast<T>(g1[i] / s1) - static_cast<T>(g2[i] / s2);
  }
  const int64_t steps = static_cast<int64_t>(std::ceil(3.0 * sigma_m));
  std::vector<T> gm(steps + 1);
  double total = 0;
  for (int64_t j = 0; j <= steps; ++j) {
    const double g = std::exp(-double(j * j) / (2.0 * sigma_m * sigma_m));
    gm[j] = static_cast<T>(g);
    total += j == 0 ? g : 2.0 * g;
  }
  const T norm = static_cast<T>(total);
  at::Tensor dbuf = at::empty({N * HW}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value));
  T* db = dbuf.mutable_data_ptr<T>();
  at::parallel_for(0, N * H, 1, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t n = row / H, y = row % H;
      const T* img = xb + n * HW;
      const T* st = sb + n * 3 * HW;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t p = y * W + x;
        T nx, ny, an;
        orientation<T>(st[p], st[HW + p], st[2 * HW + p], nx, ny, an);
        T d = T(0);
        for (int64_t i = -t; i <= t; ++i) {
          const T fi = static_cast<T>(i);
          d += taps[i + t] * bilinear_at<T>(img, H, W, T(x) + fi * nx, T(y) + fi * ny);
        }
        db[n * HW + p] = d;
      }
    }
  });
  at::parallel_for(0, N * H, 1, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t n = row / H, y = row % H;
      const T* dimg = db + n * HW;
      const T* st = sb + n * 3 * HW;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t p = y * W + x;
        T nx, ny, an;
        orientation<T>(st[p], st[HW + p], st[2 * HW + p], nx, ny, an);
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
            acc += gm[j] * bilinear_at<T>(dimg, H, W, qx, qy);
            T mx, my, ma;
            orientation<T>(bilinear_at<T>(st, H, W, qx, qy), bilinear_at<T>(st + HW, H, W, qx, qy),
                           bilinear_at<T>(st + 2 * HW, H, W, qx, qy), mx, my, ma);
            const T tx = -my, ty = mx;
            const T flip = tx * dx + ty * dy < T(0) ? T(-1) : T(1);
            dx = flip * tx;
            dy = flip * ty;
          }
        }
        ob[n * HW + p] = acc / norm;
      }
    }
  });
}

at::Tensor flow_dog_cpu(const at::Tensor& x, const at::Tensor& tensor, double sigma, double k, double sigma_m) {
  const char* op = "flow_dog";
  check_image4(op, "x", x);
  check_cpu(op, x);
  TORCH_CHECK(x.size(1) == 1, op, ": x must have 1 channels, got shape ", x.sizes());
  check_companion(op, "tensor", tensor, x, 3);
  TORCH_CHECK(std::isfinite(sigma) && sigma > 0 && sigma <= 16, op, ": sigma must be a finite number > 0 and <= 16, got ",
              sigma);
  TORCH_CHECK(std::isfinite(k) && k > 1 && k <= 8, op, ": k must be a finite number > 1 and <= 8, got ", k);
  TORCH_CHECK(std::isfinite(sigma_m) && sigma_m > 0 && sigma_m <= 32, op,
              ": sigma_m must be a finite number > 0 and <= 32, got ", sigma_m);
  const at::Tensor xc = x.contiguous(), sc = tensor.contiguous();
  at::Tensor out = at::empty(x.sizes(), x.options());
  if (out.numel() == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_flow_dog_cpu", [&] {
    flow_dog_kernel<scalar_t>(xc.const_data_ptr<scalar_t>(), sc.const_data_ptr<scalar_t>(),
                              out.mutable_data_ptr<scalar_t>(), x.size(0), x.size(2), x.size(3), sigma, k, sigma_m);
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CPU, m) {
  m.impl("anisotropic_kuwahara", &anisotropic_kuwahara_cpu);
  m.impl("bilateral", &bilateral_cpu);
  m.impl("flow_dog", &flow_dog_cpu);
}

}  // namespace spokenstyle
