// Records what nvcc actually compiled, so `spokenstyle doctor` reports facts, not intentions.
#include <cuda.h>

#include <string>

#define SPOKENSTYLE_STR2(...) #__VA_ARGS__
#define SPOKENSTYLE_STR(...) SPOKENSTYLE_STR2(__VA_ARGS__)

namespace spokenstyle {

std::string cuda_arch_list() {
#ifdef __CUDA_ARCH_LIST__
  return SPOKENSTYLE_STR(__CUDA_ARCH_LIST__);  // e.g. "800,900"
#else
  return "";
#endif
}

int cuda_version() { return CUDA_VERSION; }

}  // namespace spokenstyle
