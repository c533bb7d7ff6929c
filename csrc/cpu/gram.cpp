// CPU registrations of gram, gram_backward and style_loss. The GEMMs are ATen's (MKL); the
// style loss around it is one fused pass over the Gram matrix: residual = G - target (in place,
// target broadcast over the batch) and the sum of its squares, in double.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <torch/library.h>

#include <limits>
#include <tuple>

#include "gram.h"

namespace spokenstyle {
namespace {

at::Tensor gram_cpu(const at::Tensor& x, bool normalize) {
  GramProblem g = make_gram_problem("gram", x, normalize);
  check_cpu("gram", x);
  return gram_forward(g);
}

at::Tensor gram_backward_cpu(const at::Tensor& grad, const at::Tensor& x, bool normalize) {
  check_cpu("gram_backward", x);
  return gram_backward_impl("gram_backward", grad, x, normalize);
}

std::tuple<at::Tensor, at::Tensor> style_loss_cpu(const at::Tensor& x, const at::Tensor& target_gram, bool normalize) {
  const char* op = "style_loss";
  GramProblem g = make_gram_problem(op, x, normalize);
  check_cpu(op, x);
  check_gram_like(op, "target_gram", target_gram, g, true);
  at::Tensor R = gram_forward(g);  // becomes the residual in place
  const at::Tensor T = target_gram.contiguous();
  const int64_t CC = g.p.C * g.p.C, total = R.numel();
  const bool bcast = T.size(0) == 1;
  at::Tensor loss = at::empty({}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spokenstyle_style_loss_cpu", [&] {
    scalar_t* r = R.mutable_data_ptr<scalar_t>();
    const scalar_t* t = T.const_data_ptr<scalar_t>();
    const double sum = at::parallel_reduce(
        int64_t(0), total, int64_t(1) << 14, 0.0,
        [&](int64_t b, int64_t e, double acc) {
          for (int64_t i = b; i < e; ++i) {
            const scalar_t d = r[i] - t[bcast ? i % CC : i];
            r[i] = d;
            acc += double(d) * double(d);
          }
          return acc;
        },
        [](double a, double b) { return a + b; });
    loss.fill_(total > 0 ? sum / double(total) : std::numeric_limits<double>::quiet_NaN());
  });
  return {loss, R};
}

}  // namespace

TORCH_LIBRARY_IMPL(spokenstyle, CPU, m) {
  m.impl("gram", &gram_cpu);
  m.impl("gram_backward", &gram_backward_cpu);
  m.impl("style_loss", &style_loss_cpu);
}

}  // namespace spokenstyle
