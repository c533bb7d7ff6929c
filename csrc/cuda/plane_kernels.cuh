// CUDA building blocks of the per-plane operators (calc_mean_std, adain): a split-plane Welford
// reduction, a split-plane two-sum reduction (for the backward), and per-plane affine passes.
//
// A plane (sample n, channel c) of S elements is addressed as
//   plane-major   [N][C][S]: q * S + s            (q = n * C + c)
//   channels_last [N][S][C]: (n * S + s) * C + c
// Every reduction splits each plane into `splits` chunks, one block per chunk, and writes one
// partial per block; the partials are combined with ATen ops in a fixed order (deterministic).
// index_t is int32_t when the tensor has fewer than 2^31 elements and int64_t otherwise.
#pragma once

#include <ATen/OpMathType.h>
#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "planes.h"

#include "cuda/launch.cuh"

namespace spokenstyle {
namespace cuda {

constexpr int64_t kMinChunk = 4096;        // elements of a plane per block, at least
constexpr int64_t kMaxChunk = 1 << 22;     // at most (Welford counts stay exact in float32)

struct Split {
  int64_t splits, chunk;
};

inline Split choose_split(int64_t planes, int64_t S) {
  const int sms = sm_count();
  const int64_t want = std::max<int64_t>(1, (int64_t(sms) * 4 + planes - 1) / std::max<int64_t>(planes, 1));
  int64_t splits = std::min<int64_t>(want, std::max<int64_t>(1, S / kMinChunk));
  splits = std::max<int64_t>(splits, (S + kMaxChunk - 1) / kMaxChunk);
  const int64_t chunk = (S + splits - 1) / std::max<int64_t>(splits, 1);
  return {std::max<int64_t>(splits, 1), std::max<int64_t>(chunk, 1)};
}

template <typename index_t>
__device__ __forceinline__ index_t plane_offset(index_t q, index_t s, index_t S, index_t C, bool cl) {
  return cl ? ((q / C) * S + s) * C + (q % C) : q * S + s;
}

template <typename acc_t>
struct Welford {
  acc_t n, mean, m2;
};

template <typename acc_t>
__device__ __forceinline__ Welford<acc_t> welford_merge(Welford<acc_t> a, Welford<acc_t> b) {
  const acc_t n = a.n + b.n;
  if (n == acc_t(0)) return a;
  const acc_t delta = b.mean - a.mean;
  const acc_t wb = b.n / n;
  return {n, a.mean + delta * wb, a.m2 + b.m2 + delta * delta * a.n * wb};
}

// Block-wide merge; the result is valid in thread 0.
template <typename acc_t>
__device__ Welford<acc_t> block_welford(Welford<acc_t> w) {
  __shared__ acc_t sh[3][kThreads / 32];
  for (int off = 16; off > 0; off >>= 1) {
    Welford<acc_t> o{__shfl_down_sync(0xffffffffu, w.n, off), __shfl_down_sync(0xffffffffu, w.mean, off),
                     __shfl_down_sync(0xffffffffu, w.m2, off)};
    w = welford_merge(w, o);
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) {
    sh[0][warp] = w.n;
    sh[1][warp] = w.mean;
    sh[2][warp] = w.m2;
  }
  __syncthreads();
  if (warp == 0) {
    const int nw = blockDim.x / 32;
    w = lane < nw ? Welford<acc_t>{sh[0][lane], sh[1][lane], sh[2][lane]} : Welford<acc_t>{0, 0, 0};
    for (int off = 16; off > 0; off >>= 1) {
      Welford<acc_t> o{__shfl_down_sync(0xffffffffu, w.n, off), __shfl_down_sync(0xffffffffu, w.mean, off),
                       __shfl_down_sync(0xffffffffu, w.m2, off)};
      w = welford_merge(w, o);
    }
  }
  return w;
}

// Block-wide sum of two values; valid in thread 0.
template <typename acc_t>
__device__ void block_sum2(acc_t& a, acc_t& b) {
  __shared__ acc_t sh[2][kThreads / 32];
  for (int off = 16; off > 0; off >>= 1) {
    a += __shfl_down_sync(0xffffffffu, a, off);
    b += __shfl_down_sync(0xffffffffu, b, off);
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) {
    sh[0][warp] = a;
    sh[1][warp] = b;
  }
  __syncthreads();
  if (warp == 0) {
    const int nw = blockDim.x / 32;
    a = lane < nw ? sh[0][lane] : acc_t(0);
    b = lane < nw ? sh[1][lane] : acc_t(0);
    for (int off = 16; off > 0; off >>= 1) {
      a += __shfl_down_sync(0xffffffffu, a, off);
      b += __shfl_down_sync(0xffffffffu, b, off);
    }
  }
}

// Welford partials of every chunk: out_{n,mean,m2}[q * splits + sp].
template <typename scalar_t, typename acc_t, typename index_t>
__global__ void __launch_bounds__(kThreads)
welford_partials_kernel(const scalar_t* __restrict__ x, index_t S, index_t C, bool cl, index_t splits, index_t chunk,
                        acc_t* __restrict__ out_n, acc_t* __restrict__ out_mean, acc_t* __restrict__ out_m2) {
  const index_t b = static_cast<index_t>(blockIdx.x);
  const index_t q = b / splits, sp = b % splits;
  const index_t s0 = sp * chunk;
  const index_t s1 = s0 + chunk < S ? s0 + chunk : S;
  Welford<acc_t> w{0, 0, 0};
  for (index_t s = s0 + threadIdx.x; s < s1; s += blockDim.x) {
    const acc_t v = static_cast<acc_t>(x[plane_offset<index_t>(q, s, S, C, cl)]);
    w.n += acc_t(1);
    const acc_t delta = v - w.mean;
    w.mean += delta / w.n;
    w.m2 += delta * (v - w.mean);
  }
  w = block_welford(w);
  if (threadIdx.x == 0) {
    out_n[b] = w.n;
    out_mean[b] = w.mean;
    out_m2[b] = w.m2;
  }
}

// Partials of sum(g) and sum(g (x - mean[q])).
template <typename scalar_t, typename acc_t, typename index_t>
__global__ void __launch_bounds__(kThreads)
dot2_partials_kernel(const scalar_t* __restrict__ g, const scalar_t* __restrict__ x, const acc_t* __restrict__ mean,
                     index_t S, index_t C, bool cl, index_t splits, index_t chunk, acc_t* __restrict__ out_g,
                     acc_t* __restrict__ out_gx) {
  const index_t b = static_cast<index_t>(blockIdx.x);
  const index_t q = b / splits, sp = b % splits;
  const index_t s0 = sp * chunk;
  const index_t s1 = s0 + chunk < S ? s0 + chunk : S;
  const acc_t m = mean[q];
  acc_t sg = 0, sgx = 0;
  for (index_t s = s0 + threadIdx.x; s < s1; s += blockDim.x) {
    const index_t i = plane_offset<index_t>(q, s, S, C, cl);
    const acc_t gv = static_cast<acc_t>(g[i]);
    sg += gv;
    sgx += gv * (static_cast<acc_t>(x[i]) - m);
  }
  block_sum2(sg, sgx);
  if (threadIdx.x == 0) {
    out_g[b] = sg;
    out_gx[b] = sgx;
  }
}

template <typename index_t>
__device__ __forceinline__ index_t plane_of(index_t i, index_t S, index_t C, bool cl) {
  return cl ? (i / (S * C)) * C + i % C : i / S;
}

// y = (x - m[q]) a[q] + b[q] (g == nullptr) or y = a[q] g + b[q] (x - m[q]) + c[q], over all
// elements in memory order. Centred on the plane mean: a constant plane gives exactly b[q].
template <typename scalar_t, typename acc_t, typename index_t>
__global__ void __launch_bounds__(kThreads)
plane_affine_kernel(const scalar_t* __restrict__ g, const scalar_t* __restrict__ x, scalar_t* __restrict__ y,
                    const acc_t* __restrict__ m, const acc_t* __restrict__ a, const acc_t* __restrict__ b,
                    const acc_t* __restrict__ c, index_t n, index_t S, index_t C, bool cl) {
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<index_t>(gridDim.x) * blockDim.x) {
    const index_t q = plane_of<index_t>(i, S, C, cl);
    const acc_t xv = static_cast<acc_t>(x[i]) - m[q];
    acc_t out;
    if (g == nullptr) {
      out = xv * a[q] + b[q];
    } else {
      out = a[q] * static_cast<acc_t>(g[i]) + (b[q] * xv + c[q]);
    }
    y[i] = static_cast<scalar_t>(out);
  }
}

}  // namespace cuda
}  // namespace spokenstyle
