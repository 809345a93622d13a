// Optimiser steps. The formulas are torch.optim.Adam / AdamW (amsgrad=False, maximize=False)
// in their single-tensor form, so a C# Adam matches PyTorch step for step.
#include <cmath>
#include "common.h"

using ct::T;

extern "C" {

int ct_adam_step(const ct_tensor* params, const ct_tensor* exp_avg, const ct_tensor* exp_avg_sq, int n, int64_t step,
                 double lr, double beta1, double beta2, double eps, double weight_decay, int decoupled) {
  CT_TRY_STATUS({
    at::NoGradGuard no_grad;
    const double bias1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bias2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    const double step_size = lr / bias1;
    const double bias2_sqrt = std::sqrt(bias2);
    for (int i = 0; i < n; ++i) {
      auto& p = T(params[i]);
      if (!p.grad().defined()) continue;
      at::Tensor g = p.grad();
      auto& m = T(exp_avg[i]);
      auto& v = T(exp_avg_sq[i]);
      if (weight_decay != 0.0) {
        if (decoupled)
          p.mul_(1.0 - lr * weight_decay);  // AdamW: decay the weights directly
        else
          g = g.add(p, weight_decay);       // Adam: L2 penalty folded into the gradient
      }
      m.lerp_(g, 1.0 - beta1);
      v.mul_(beta2).addcmul_(g, g.conj(), 1.0 - beta2);
      auto denom = (v.sqrt() / bias2_sqrt).add_(eps);
      p.addcdiv_(m, denom, -step_size);
    }
  })
}

int ct_clip_grad_norm(const ct_tensor* params, int n, double max_norm, double norm_type, double* total_norm) {
  CT_TRY_STATUS({
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> grads;
    for (int i = 0; i < n; ++i) {
      auto& p = T(params[i]);
      if (p.grad().defined()) grads.push_back(p.grad());
    }
    if (grads.empty()) {
      *total_norm = 0.0;
      return 0;
    }
    std::vector<at::Tensor> norms;
    norms.reserve(grads.size());
    for (auto& g : grads) norms.push_back(at::linalg_vector_norm(g, norm_type));
    at::Tensor total = std::isinf(norm_type) ? at::stack(norms).max() : at::linalg_vector_norm(at::stack(norms), norm_type);
    double tn = total.item<double>();
    *total_norm = tn;
    // torch.nn.utils.clip_grad_norm_: scale by max_norm / (total + 1e-6), clamped to 1.
    double coef = max_norm / (tn + 1e-6);
    if (coef < 1.0)
      for (auto& g : grads) g.mul_(coef);
  })
}

}  // extern "C"
