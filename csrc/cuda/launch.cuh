// Small launch helpers shared by every CUDA kernel file.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/util/Exception.h>

namespace spokenstyle {
namespace cuda {

// Streaming multiprocessors of the current device (callers hold a CUDAGuard for their tensors).
inline int sm_count() {
  int sms = 0;
  C10_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, c10::cuda::current_device()));
  return sms > 0 ? sms : 1;
}

inline void check_cuda(const char* op, const at::Tensor& x) {
  TORCH_CHECK(x.is_cuda(), op, ": expected CUDA tensors for this kernel, got ", x.device());
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
