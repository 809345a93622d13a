#include "common.h"
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>

namespace ct {
std::atomic<int64_t> live_tensors{0};
static thread_local std::string last_error;
void set_error(const std::string& message) { last_error = message; }
void clear_error() { last_error.clear(); }

std::vector<at::Tensor> unwrap_list(const ct_tensor* ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v.push_back(T(ts[i]));
  return v;
}
}  // namespace ct

extern "C" {

const char* ct_last_error(void) { return ct::last_error.c_str(); }

const char* ct_version(void) {
  static std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH);
  return v.c_str();
}

const char* ct_build_config(void) {
  static std::string s = at::show_config();
  return s.c_str();
}

const char* ct_parallel_info(void) {
  static thread_local std::string s;
  s = at::get_parallel_info();
  return s.c_str();
}

void ct_manual_seed(uint64_t seed) { torch::manual_seed(seed); }
// OpenBLAS keeps its own thread pool (sized to the cores, spinning with sched_yield between calls);
// libtorch's setting does not reach it, so with 1 intra-op thread the idle BLAS threads still
// competed for the two cores. Found by name so that any BLAS (or none) works.
void ct_set_num_threads(int n) {
  at::set_num_threads(n);
  using set_fn = void (*)(int);
  if (auto f = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}
int ct_get_num_threads(void) { return at::get_num_threads(); }
// For switching per call (M3gnetPotential): only OpenMP's count, which at::parallel_for reads, and OpenBLAS's.
// at::set_num_threads also rebuilds libtorch's pthreadpool and clears oneDNN's caches: ~6 ms a call, which
// made one crystal at a time 40% slower when a potential switched 2 -> 1 -> 2 threads around each call.
void ct_set_num_threads_light(int n) {
  using set_fn = void (*)(int);
  if (auto f = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) f(n);
  else at::set_num_threads(n);
  if (auto f = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}
int ct_cuda_is_available(void) { return torch::cuda::is_available() ? 1 : 0; }
int ct_cuda_device_count(void) { return static_cast<int>(torch::cuda::device_count()); }

int ct_set_grad_enabled(int enabled) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(enabled != 0);
  return previous ? 1 : 0;
}
int ct_is_grad_enabled(void) { return at::GradMode::is_enabled() ? 1 : 0; }
int64_t ct_live_tensors(void) { return ct::live_tensors.load(); }

}  // extern "C"
