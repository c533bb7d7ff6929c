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
  // The residual merge of a discriminator block, fused into its last bias_act:
  // y = (clamp(act(x + b) * gain, -clamp, clamp) + residual) * scale, residual shaped like x.
  // Its backward is bias_act_backward of grad * scale (so its double backward is too).
  m.def("bias_act_residual(Tensor x, Tensor? b, Tensor residual, int dim, str act, float alpha, float gain, "
        "float? clamp, float scale) -> Tensor");

  // Per-plane statistics of x (N, C, H, W) or (N, C, L): mean and std = sqrt(var + eps), each
  // shaped (N, C, 1, 1) / (N, C, 1); a one-element plane has variance 0.
  m.def("calc_mean_std(Tensor x, float eps, bool unbiased) -> (Tensor mean, Tensor std)");
  // d x = grad_mean / S + grad_std * (x - mean) / (std * (S - unbiased)).
  m.def("calc_mean_std_backward(Tensor grad_mean, Tensor grad_std, Tensor x, Tensor mean, Tensor std, "
        "bool unbiased) -> Tensor");
  // (content - mean_c) / std_c * style_std + style_mean, content statistics unbiased with eps
  // inside the root; style statistics of batch N or 1 (broadcast).
  m.def("adain(Tensor content, Tensor style_mean, Tensor style_std, float eps) -> Tensor");
  // Gradients of adain with respect to content, style_mean and style_std (shaped like them).
  m.def("adain_backward(Tensor grad, Tensor content, Tensor style_mean, Tensor style_std, float eps) "
        "-> (Tensor grad_content, Tensor grad_style_mean, Tensor grad_style_std)");

  // G = F F^T per sample, F = x as (N, C, H*W), divided by C*H*W when normalize.
  m.def("gram(Tensor x, bool normalize) -> Tensor");
  // d x = (grad + grad^T) F / norm: one GEMM.
  m.def("gram_backward(Tensor grad, Tensor x, bool normalize) -> Tensor");
  // mean((gram(x) - target_gram)^2) (target of batch N or 1) and the residual gram(x) - target,
  // kept for the backward (d x = gram_backward(2 residual grad / numel, x)).
  m.def("style_loss(Tensor x, Tensor target_gram, bool normalize) -> (Tensor loss, Tensor residual)");

  // StyleGAN2 minibatch standard deviation: x (N, C, H, W) -> (N, C + num_channels, H, W), group
  // = min(group_size, N) must divide N.
  m.def("minibatch_stddev(Tensor x, int group_size, int num_channels, float eps) -> Tensor");
  m.def("minibatch_stddev_backward(Tensor grad, Tensor x, int group_size, int num_channels, float eps) -> Tensor");

  // StyleGAN2's FIR resampling of x (N, C, H, W) with filter (fh, fw): zero-insert upsample
  // (each sample followed by up-1 zeros), pad by (pad_x0, pad_x1, pad_y0, pad_y1) (negative
  // crops), true 2-D convolution with the filter, keep every down-th sample. Linear in x: its
  // backward is upfirdn2d of the gradient with the flipped filter, up and down swapped.
  m.def("upfirdn2d(Tensor x, Tensor filter, int up_x, int up_y, int down_x, int down_y, int pad_x0, "
        "int pad_x1, int pad_y0, int pad_y1) -> Tensor");

  // The structure-preserving filters (spokenstyle/ops/kuwahara.py, bilateral.py, flow_dog.py hold their
  // definitions and references). Not differentiable: the Python wrappers raise on backward.
  // Anisotropic Kuwahara of x (N, C <= 4, H, W) guided by a structure tensor (N, 3, H, W).
  m.def("anisotropic_kuwahara(Tensor x, Tensor tensor, int radius, int sectors, float q, float alpha) -> Tensor");
  // Joint bilateral of x (N, C, H, W), ranges on guide (N, Cg, H, W; default x), radius ceil(2 sigma_space).
  m.def("bilateral(Tensor x, Tensor? guide, float sigma_space, float sigma_range) -> Tensor");
  // Flow-based DoG of luminance x (N, 1, H, W) along a structure tensor (N, 3, H, W).
  m.def("flow_dog(Tensor x, Tensor tensor, float sigma, float k, float sigma_m) -> Tensor");
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
