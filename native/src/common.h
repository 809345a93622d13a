// Internal helpers shared by the bridge's translation units.
#pragma once
#include <torch/torch.h>
#include <atomic>
#include <string>
#include <vector>
#include "crystal_torch.h"

struct ct_tensor_s {
  at::Tensor t;
};

namespace ct {

extern std::atomic<int64_t> live_tensors;
void set_error(const std::string& message);
void clear_error();

inline ct_tensor wrap(at::Tensor t) {
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new ct_tensor_s{std::move(t)};
}

inline at::Tensor& T(ct_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return h->t;
}

inline at::IntArrayRef dims(const int64_t* p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

inline c10::Device device(int type, int index) {
  return c10::Device(type == 1 ? c10::DeviceType::CUDA : c10::DeviceType::CPU,
                     static_cast<c10::DeviceIndex>(index));
}

std::vector<at::Tensor> unwrap_list(const ct_tensor* ts, int n);

// at::softplus (beta 1, threshold 20) with a vectorised CPU kernel where available (fastmath.cpp).
at::Tensor softplus(const at::Tensor& x);
// at::silu, with a vectorised CPU kernel that keeps the sigmoid for the backward (fastmath.cpp).
at::Tensor silu(const at::Tensor& x);
// silu(a) * sigmoid(b) in one pass (same shapes; otherwise the two ops).
at::Tensor silu_gate(const at::Tensor& a, const at::Tensor& b);

}  // namespace ct

// Every exported function body runs inside one of these, so that no C++ exception crosses the
// C ABI. c10::Error carries libtorch's message; what_without_backtrace() drops the C++ frames.
#define CT_TRY_HANDLE(...)                                              \
  try {                                                                  \
    __VA_ARGS__                                                          \
  } catch (const c10::Error& e) {                                        \
    ct::set_error(e.what_without_backtrace());                           \
  } catch (const std::exception& e) {                                    \
    ct::set_error(e.what());                                             \
  } catch (...) {                                                        \
    ct::set_error("unknown C++ exception in crystal_torch");            \
  }                                                                      \
  return nullptr;

#define CT_TRY_STATUS(...)                                              \
  try {                                                                  \
    __VA_ARGS__                                                          \
    return 0;                                                            \
  } catch (const c10::Error& e) {                                        \
    ct::set_error(e.what_without_backtrace());                           \
  } catch (const std::exception& e) {                                    \
    ct::set_error(e.what());                                             \
  } catch (...) {                                                        \
    ct::set_error("unknown C++ exception in crystal_torch");            \
  }                                                                      \
  return -1;
