// Launch helpers shared by every CUDA kernel file (device-side; the host-side checks and the
// launch constants are in common.h).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/util/Exception.h>

#include <algorithm>

#include "common.h"

namespace spokenstyle {
namespace cuda {

// Streaming multiprocessors of the current device (callers hold a CUDAGuard for their tensors).
inline int sm_count() {
  int sms = 0;
  C10_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, c10::cuda::current_device()));
  return sms > 0 ? sms : 1;
}

// Blocks for a grid-stride loop over n elements: enough to fill the device, at most
// blocks_per_sm per multiprocessor.
inline int64_t grid_for(int64_t n, int blocks_per_sm = 16) {
  return std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, int64_t(sm_count()) * blocks_per_sm));
}

// Sum of v over a block of exactly Threads threads (a multiple of 32); the total is valid in
// thread 0. Uses static shared memory, so call it once per kernel (or __syncthreads() between).
template <int Threads, typename T>
__device__ __forceinline__ T block_sum(T v) {
  static_assert(Threads % 32 == 0 && Threads <= 1024, "block_sum needs whole warps");
  __shared__ T warp_sums[Threads / 32];
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < Threads / 32 ? warp_sums[threadIdx.x] : T(0);
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  }
  return v;
}

}  // namespace cuda
}  // namespace spokenstyle
