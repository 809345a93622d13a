// Autograd: backward, .grad, and torch::autograd::grad with create_graph (forces = -dE/dx, stress).
#include <torch/csrc/autograd/autograd.h>
#include "common.h"

using ct::T;
using ct::wrap;

extern "C" {

int ct_backward(ct_tensor t, ct_tensor grad, int retain_graph, int create_graph) {
  CT_TRY_STATUS({
    at::Tensor g;
    if (grad != nullptr) g = T(grad);
    c10::optional<bool> retain;
    if (retain_graph) retain = true;
    T(t).backward(g, retain, create_graph != 0);
  })
}

ct_tensor ct_grad(ct_tensor h) {
  ct::clear_error();
  CT_TRY_HANDLE({
    const auto& g = T(h).grad();
    if (!g.defined()) return nullptr;  // not an error: ct_last_error() stays empty
    return wrap(g);
  })
}

int ct_zero_grad(ct_tensor h) {
  CT_TRY_STATUS({
    auto& t = T(h);
    if (t.grad().defined()) t.mutable_grad() = at::Tensor();
  })
}

int ct_autograd_grad(const ct_tensor* outputs, int n_out, const ct_tensor* inputs, int n_in, const ct_tensor* grad_outputs,
                     int retain_graph, int create_graph, int allow_unused, ct_tensor* results) {
  CT_TRY_STATUS({
    auto outs = ct::unwrap_list(outputs, n_out);
    auto ins = ct::unwrap_list(inputs, n_in);
    std::vector<at::Tensor> gouts;
    if (grad_outputs != nullptr) gouts = ct::unwrap_list(grad_outputs, n_out);
    c10::optional<bool> retain;
    if (retain_graph) retain = true;
    auto grads = torch::autograd::grad(outs, ins, gouts, retain, create_graph != 0, allow_unused != 0);
    for (int i = 0; i < n_in; ++i) results[i] = grads[i].defined() ? wrap(grads[i]) : nullptr;
  })
}

}  // extern "C"
