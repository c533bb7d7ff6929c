// Every schema of the spokenstyle operator library, in one place, and the Python module
// spokenstyle._C (importing it registers the operators; it also reports what was built).
#include <Python.h>
#include <torch/library.h>

#include <string>

#ifndef SPOKENSTYLE_TORCH_VERSION
#define SPOKENSTYLE_TORCH_VERSION "unknown"
#endif

TORCH_LIBRARY(spokenstyle, m) {
  // y = clamp(act(x + b) * gain, -clamp, clamp), b broadcast along `dim`.
  m.def("bias_act(Tensor x, Tensor? b, int dim, str act, float alpha, float gain, float? clamp) -> Tensor");
  // grad * gain * act^(order)(x + b) * [|y| <= clamp]; order 1 is the backward of bias_act,
  // order 2 the derivative of that with respect to x (for double backward).
  m.def("bias_act_backward(Tensor grad, Tensor x, Tensor? b, int dim, str act, float alpha, float gain, "
        "float? clamp, int order) -> Tensor");
}

#ifdef WITH_CUDA
namespace spokenstyle {
std::string cuda_arch_list();  // csrc/cuda/build_info.cu: the archs nvcc really compiled
int cuda_version();            // CUDA_VERSION the kernels were compiled with
}  // namespace spokenstyle
#endif

namespace {

PyObject* build_info(PyObject*, PyObject*) {
#ifdef WITH_CUDA
  const std::string archs = spokenstyle::cuda_arch_list();
  return Py_BuildValue("{s:s,s:O,s:s,s:i}", "torch_version", SPOKENSTYLE_TORCH_VERSION, "cuda", Py_True,
                       "cuda_arch_list", archs.c_str(), "cuda_version", spokenstyle::cuda_version());
#else
  return Py_BuildValue("{s:s,s:O,s:s,s:i}", "torch_version", SPOKENSTYLE_TORCH_VERSION, "cuda", Py_False,
                       "cuda_arch_list", "", "cuda_version", 0);
#endif
}

PyMethodDef methods[] = {
    {"build_info", build_info, METH_NOARGS, "What this build of spokenstyle._C contains."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C", "spokenstyle operators (C++/CUDA)", -1, methods};

}  // namespace

extern "C" __attribute__((visibility("default"))) PyObject* PyInit__C(void) {
  return PyModule_Create(&module_def);
}
