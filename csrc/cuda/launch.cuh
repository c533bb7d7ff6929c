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

}  // namespace cuda
}  // namespace spokenstyle
