// Creation, conversion, queries and shape manipulation.
#include <cstring>
#include "common.h"

using ct::T;
using ct::wrap;

static at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(static_cast<c10::ScalarType>(dtype)).device(ct::device(device_type, device_index));
}

extern "C" {

ct_tensor ct_from_buffer(const void* data, int dtype, const int64_t* shape, int ndim, int device_type,
                         int device_index) {
  CT_TRY_HANDLE({
    auto cpu = at::empty(ct::dims(shape, ndim), options(dtype, 0, -1));
    std::memcpy(cpu.data_ptr(), data, cpu.numel() * cpu.element_size());
    if (device_type == 0) return wrap(cpu);
    return wrap(cpu.to(ct::device(device_type, device_index)));
  })
}

int ct_to_buffer(ct_tensor h, void* dst, int64_t nbytes) {
  CT_TRY_STATUS({
    auto t = T(h).detach().to(at::kCPU).contiguous();
    int64_t need = t.numel() * static_cast<int64_t>(t.element_size());
    if (need != nbytes)
      throw std::invalid_argument("ct_to_buffer: destination holds " + std::to_string(nbytes) +
                                  " bytes but the tensor needs " + std::to_string(need));
    std::memcpy(dst, t.data_ptr(), static_cast<size_t>(need));
  })
}

ct_tensor ct_full(const int64_t* shape, int ndim, double value, int dtype, int device_type, int device_index) {
  CT_TRY_HANDLE({ return wrap(at::full(ct::dims(shape, ndim), value, options(dtype, device_type, device_index))); })
}

ct_tensor ct_arange(double start, double end, double step, int dtype, int device_type, int device_index) {
  CT_TRY_HANDLE({ return wrap(at::arange(start, end, step, options(dtype, device_type, device_index))); })
}

ct_tensor ct_rand(const int64_t* shape, int ndim, int normal, int dtype, int device_type, int device_index) {
  CT_TRY_HANDLE({
    auto o = options(dtype, device_type, device_index);
    return wrap(normal ? at::randn(ct::dims(shape, ndim), o) : at::rand(ct::dims(shape, ndim), o));
  })
}

ct_tensor ct_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int device_type, int device_index) {
  CT_TRY_HANDLE({ return wrap(at::randint(low, high, ct::dims(shape, ndim), options(4, device_type, device_index))); })
}

void ct_free(ct_tensor h) {
  if (h == nullptr) return;
  ct::live_tensors.fetch_sub(1, std::memory_order_relaxed);
  delete h;
}

int ct_ndim(ct_tensor h) {
  try { return static_cast<int>(T(h).dim()); } catch (const std::exception& e) { ct::set_error(e.what()); return -1; }
}

int ct_shape(ct_tensor h, int64_t* out, int capacity) {
  CT_TRY_STATUS({
    auto s = T(h).sizes();
    if (static_cast<int>(s.size()) > capacity) throw std::invalid_argument("ct_shape: capacity too small");
    for (size_t i = 0; i < s.size(); ++i) out[i] = s[i];
  })
}

int ct_dtype(ct_tensor h) {
  try { return static_cast<int>(T(h).scalar_type()); } catch (const std::exception& e) { ct::set_error(e.what()); return -1; }
}

int ct_device(ct_tensor h, int* type, int* index) {
  CT_TRY_STATUS({
    auto d = T(h).device();
    *type = d.is_cuda() ? 1 : 0;
    *index = d.has_index() ? d.index() : -1;
  })
}

int64_t ct_numel(ct_tensor h) {
  try { return T(h).numel(); } catch (const std::exception& e) { ct::set_error(e.what()); return -1; }
}

int ct_item(ct_tensor h, double* out) {
  CT_TRY_STATUS({ *out = T(h).item<double>(); })
}

ct_tensor ct_to(ct_tensor h, int dtype, int device_type, int device_index) {
  CT_TRY_HANDLE({
    auto& t = T(h);
    auto st = dtype < 0 ? t.scalar_type() : static_cast<c10::ScalarType>(dtype);
    auto dev = device_type < 0 ? t.device() : ct::device(device_type, device_index);
    return wrap(t.to(dev, st));
  })
}

ct_tensor ct_clone(ct_tensor h) { CT_TRY_HANDLE({ return wrap(T(h).clone()); }) }
ct_tensor ct_detach(ct_tensor h) { CT_TRY_HANDLE({ return wrap(T(h).detach()); }) }
ct_tensor ct_contiguous(ct_tensor h) { CT_TRY_HANDLE({ return wrap(T(h).contiguous()); }) }
ct_tensor ct_alias(ct_tensor h) { CT_TRY_HANDLE({ return wrap(T(h)); }) }

int ct_requires_grad(ct_tensor h) {
  try { return T(h).requires_grad() ? 1 : 0; } catch (const std::exception& e) { ct::set_error(e.what()); return -1; }
}

int ct_set_requires_grad(ct_tensor h, int value) { CT_TRY_STATUS({ T(h).requires_grad_(value != 0); }) }

ct_tensor ct_reshape(ct_tensor a, const int64_t* s, int n) { CT_TRY_HANDLE({ return wrap(T(a).reshape(ct::dims(s, n))); }) }
ct_tensor ct_view(ct_tensor a, const int64_t* s, int n) { CT_TRY_HANDLE({ return wrap(T(a).view(ct::dims(s, n))); }) }
ct_tensor ct_expand(ct_tensor a, const int64_t* s, int n) { CT_TRY_HANDLE({ return wrap(T(a).expand(ct::dims(s, n))); }) }
ct_tensor ct_repeat(ct_tensor a, const int64_t* r, int n) { CT_TRY_HANDLE({ return wrap(T(a).repeat(ct::dims(r, n))); }) }
ct_tensor ct_permute(ct_tensor a, const int64_t* d, int n) { CT_TRY_HANDLE({ return wrap(T(a).permute(ct::dims(d, n))); }) }
ct_tensor ct_transpose(ct_tensor a, int64_t d0, int64_t d1) { CT_TRY_HANDLE({ return wrap(T(a).transpose(d0, d1)); }) }
ct_tensor ct_unsqueeze(ct_tensor a, int64_t d) { CT_TRY_HANDLE({ return wrap(T(a).unsqueeze(d)); }) }
ct_tensor ct_squeeze(ct_tensor a, int64_t d) { CT_TRY_HANDLE({ return wrap(T(a).squeeze(d)); }) }
ct_tensor ct_flatten(ct_tensor a, int64_t s, int64_t e) { CT_TRY_HANDLE({ return wrap(T(a).flatten(s, e)); }) }
ct_tensor ct_cat(const ct_tensor* ts, int n, int64_t dim) { CT_TRY_HANDLE({ return wrap(at::cat(ct::unwrap_list(ts, n), dim)); }) }
ct_tensor ct_stack(const ct_tensor* ts, int n, int64_t dim) { CT_TRY_HANDLE({ return wrap(at::stack(ct::unwrap_list(ts, n), dim)); }) }

}  // extern "C"
