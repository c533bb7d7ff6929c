// CPU kernels of minibatch_stddev and its backward. One pass over x: each task takes a chunk of
// one (group, slice) column, loads its G samples (copying them into the output as it goes),
// computes their mean and biased variance in registers and accumulates sqrt(var + eps); the
// per-task partial sums are added in a fixed order, so the result does not depend on threads.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/cpu/vec/vec.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <cmath>
#include <vector>

#include "minibatch_stddev.h"

namespace spokenstyle {
namespace {

template <typename T>
using Vec = at::vec::Vectorized<T>;

constexpr int64_t kChunk = 4096;  // elements of one column per task

template <typename T>
double hsum(const Vec<T>& v) {
  T buf[Vec<T>::size()];
  v.store(buf);
  double s = 0;
  for (int64_t k = 0; k < Vec<T>::size(); ++k) s += buf[k];
  return s;
}

// Calls fn(j, f, k0, k1, t) for every chunk t of every (group j, slice f) column, in parallel.
template <typename Fn>
void for_each_chunk(const MbstdProblem& p, const Fn& fn) {
  const int64_t nchunks = (p.K + kChunk - 1) / kChunk;
  const int64_t tasks = p.n * p.F * nchunks;
  const int64_t grain = std::max<int64_t>(1, kCpuGrain / (kChunk * p.G));
  at::parallel_for(0, tasks, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t col = t / nchunks, ch = t % nchunks;
      const int64_t k0 = ch * kChunk;
      fn(col / p.F, col % p.F, k0, std::min(p.K, k0 + kChunk), t);
    }
  });
}

at::Tensor minibatch_stddev_cpu(const at::Tensor& x, int64_t group_size, int64_t num_channels, double eps) {
  const char* op = "minibatch_stddev";
  MbstdProblem p = make_mbstd_problem(op, x, group_size, num_channels);
  check_cpu(op, x);
  at::Tensor out = at::empty({p.N, p.C + p.F, x.size(2), x.size(3)}, x.options());
  if (out.numel() == 0) return out;
  const int64_t nchunks = p.K == 0 ? 0 : (p.K + kChunk - 1) / kChunk;
  std::vector<double> partial(p.n * p.F * nchunks, 0.0);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_minibatch_stddev_cpu", [&] {
    using T = scalar_t;
    constexpr int64_t W = Vec<T>::size();
    const T* xb = p.x.const_data_ptr<T>();
    T* ob = out.mutable_data_ptr<T>();
    const int64_t xs = p.n * p.C * p.HW, os = p.n * (p.C + p.F) * p.HW;  // stride between group members
    const T invG = T(1) / T(p.G);
    if (p.K > 0) {
      for_each_chunk(p, [&](int64_t j, int64_t f, int64_t k0, int64_t k1, int64_t t) {
        const T* xc = xb + j * p.C * p.HW + f * p.K;
        T* oc = ob + j * (p.C + p.F) * p.HW + f * p.K;
        Vec<T> acc(T(0));
        const Vec<T> vinv(invG), veps(static_cast<T>(eps));
        int64_t k = k0;
        for (; k + W <= k1; k += W) {
          Vec<T> s(T(0));
          for (int64_t g = 0; g < p.G; ++g) {
            const Vec<T> v = Vec<T>::loadu(xc + g * xs + k);
            v.store(oc + g * os + k);
            s += v;
          }
          const Vec<T> mean = s * vinv;
          Vec<T> q(T(0));
          for (int64_t g = 0; g < p.G; ++g) {
            const Vec<T> d = Vec<T>::loadu(xc + g * xs + k) - mean;
            q = at::vec::fmadd(d, d, q);
          }
          acc += at::vec::fmadd(q, vinv, veps).sqrt();
        }
        double tail = 0;
        for (; k < k1; ++k) {
          double s = 0;
          for (int64_t g = 0; g < p.G; ++g) {
            oc[g * os + k] = xc[g * xs + k];
            s += double(xc[g * xs + k]);
          }
          const double mean = s / double(p.G);
          double q = 0;
          for (int64_t g = 0; g < p.G; ++g) {
            const double d = double(xc[g * xs + k]) - mean;
            q += d * d;
          }
          tail += std::sqrt(q / double(p.G) + eps);
        }
        partial[t] = hsum<T>(acc) + tail;
      });
    }
    // The feature maps: one value per (group, slice), broadcast to its members and to H x W.
    at::parallel_for(0, p.N * p.F, std::max<int64_t>(1, kCpuGrain / std::max<int64_t>(p.HW, 1)),
                     [&](int64_t b, int64_t e) {
                       for (int64_t q = b; q < e; ++q) {
                         const int64_t i = q / p.F, f = q % p.F, j = i % p.n;
                         double s = 0;
                         for (int64_t ch = 0; ch < nchunks; ++ch) s += partial[(j * p.F + f) * nchunks + ch];
                         const T v = p.K > 0 ? static_cast<T>(s / double(p.K)) : T(0);
                         T* o = ob + (i * (p.C + p.F) + p.C + f) * p.HW;
                         for (int64_t k = 0; k < p.HW; ++k) o[k] = v;
                       }
                     });
  });
  return out;
}

// d x = grad[:, :C] + coef[j, f] (x - mean) / sqrt(var + eps), coef = sum of the feature map's
// gradient over the group members and H x W, divided by K G.
at::Tensor minibatch_stddev_backward_cpu(const at::Tensor& grad, const at::Tensor& x, int64_t group_size,
                                         int64_t num_channels, double eps) {
  const char* op = "minibatch_stddev_backward";
  MbstdProblem p = make_mbstd_problem(op, x, group_size, num_channels);
  check_cpu(op, x);
  TORCH_CHECK(grad.dim() == 4 && grad.size(0) == p.N && grad.size(1) == p.C + p.F && grad.size(2) == x.size(2) &&
                  grad.size(3) == x.size(3),
              op, ": grad must have shape (", p.N, ", ", p.C + p.F, ", ", x.size(2), ", ", x.size(3), "), got ",
              grad.sizes());
  TORCH_CHECK(grad.scalar_type() == x.scalar_type() && grad.device() == x.device(), op,
              ": grad must have the dtype and device of x");
  const at::Tensor gr = grad.contiguous();
  at::Tensor dx = at::empty({p.N, p.C, x.size(2), x.size(3)}, x.options());
  if (dx.numel() == 0) return dx;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_minibatch_stddev_backward_cpu", [&] {
    using T = scalar_t;
    constexpr int64_t W = Vec<T>::size();
    const T* xb = p.x.const_data_ptr<T>();
    const T* gb = gr.const_data_ptr<T>();
    T* db = dx.mutable_data_ptr<T>();
    const int64_t xs = p.n * p.C * p.HW, gs = p.n * (p.C + p.F) * p.HW;
    std::vector<double> coef(p.n * p.F, 0.0);
    for (int64_t j = 0; j < p.n; ++j) {
      for (int64_t f = 0; f < p.F; ++f) {
        double s = 0;
        for (int64_t g = 0; g < p.G; ++g) {
          const T* row = gb + ((g * p.n + j) * (p.C + p.F) + p.C + f) * p.HW;
          for (int64_t k = 0; k < p.HW; ++k) s += double(row[k]);
        }
        coef[j * p.F + f] = s / (double(p.K) * double(p.G));
      }
    }
    const T invG = T(1) / T(p.G);
    for_each_chunk(p, [&](int64_t j, int64_t f, int64_t k0, int64_t k1, int64_t) {
      const T* xc = xb + j * p.C * p.HW + f * p.K;
      const T* gc = gb + j * (p.C + p.F) * p.HW + f * p.K;
      T* dc = db + j * p.C * p.HW + f * p.K;
      const T cf = static_cast<T>(coef[j * p.F + f]);
      const Vec<T> vinv(invG), veps(static_cast<T>(eps)), vcf(cf);
      int64_t k = k0;
      for (; k + W <= k1; k += W) {
        Vec<T> s(T(0));
        for (int64_t g = 0; g < p.G; ++g) s += Vec<T>::loadu(xc + g * xs + k);
        const Vec<T> mean = s * vinv;
        Vec<T> q(T(0));
        for (int64_t g = 0; g < p.G; ++g) {
          const Vec<T> d = Vec<T>::loadu(xc + g * xs + k) - mean;
          q = at::vec::fmadd(d, d, q);
        }
        const Vec<T> scale = vcf * at::vec::fmadd(q, vinv, veps).rsqrt();
        for (int64_t g = 0; g < p.G; ++g) {
          const Vec<T> d = Vec<T>::loadu(xc + g * xs + k) - mean;
          at::vec::fmadd(d, scale, Vec<T>::loadu(gc + g * gs + k)).store(dc + g * xs + k);
        }
      }
      for (; k < k1; ++k) {
        double s = 0;
        for (int64_t g = 0; g < p.G; ++g) s += double(xc[g * xs + k]);
        const double mean = s / double(p.G);
        double q = 0;
        for (int64_t g = 0; g < p.G; ++g) {
          const double d = double(xc[g * xs + k]) - mean;
          q += d * d;
        }
        const double scale = double(cf) / std::sqrt(q / double(p.G) + eps);
        for (int64_t g = 0; g < p.G; ++g) {
          dc[g * xs + k] = static_cast<T>(double(gc[g * gs + k]) + scale * (double(xc[g * xs + k]) - mean));
        }
      }
    });
  });
  return dx;
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CPU, m) {
  m.impl("minibatch_stddev", &minibatch_stddev_cpu);
  m.impl("minibatch_stddev_backward", &minibatch_stddev_backward_cpu);
}

}  // namespace spokenstyle
