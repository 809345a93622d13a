// Elementwise arithmetic, reductions, losses and indexing.
#include "common.h"

using ct::T;
using ct::wrap;

static at::Tensor unary(int op, const at::Tensor& a) {
  switch (op) {
    case CT_NEG: return a.neg();
    case CT_RELU: return at::relu(a);
    case CT_SILU: return ct::silu(a);
    case CT_SIGMOID: return at::sigmoid(a);
    case CT_TANH: return at::tanh(a);
    case CT_SOFTPLUS: return ct::softplus(a);
    case CT_EXP: return at::exp(a);
    case CT_LOG: return at::log(a);
    case CT_SQRT: return at::sqrt(a);
    case CT_SIN: return at::sin(a);
    case CT_COS: return at::cos(a);
    case CT_ABS: return at::abs(a);
    case CT_SQUARE: return at::square(a);
    case CT_RECIPROCAL: return at::reciprocal(a);
    case CT_FLOOR: return at::floor(a);
    case CT_ROUND: return at::round(a);
    case CT_SIGN: return at::sign(a);
    case CT_LOG1P: return at::log1p(a);
    case CT_LOGICAL_NOT: return at::logical_not(a);
    case CT_RSQRT: return at::rsqrt(a);
    case CT_ERF: return at::erf(a);
    case CT_ISNAN: return at::isnan(a);
    case CT_CEIL: return at::ceil(a);
    case CT_EXPM1: return at::expm1(a);
    case CT_ACOS: return at::acos(a);
    case CT_ATAN: return at::atan(a);
  }
  throw std::invalid_argument("unknown unary op code " + std::to_string(op));
}

static at::Tensor binary(int op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case CT_ADD: return at::add(a, b);
    case CT_SUB: return at::sub(a, b);
    case CT_MUL: return at::mul(a, b);
    case CT_DIV: return at::div(a, b);
    case CT_POW: return at::pow(a, b);
    case CT_MAXIMUM: return at::maximum(a, b);
    case CT_MINIMUM: return at::minimum(a, b);
    case CT_EQ: return at::eq(a, b);
    case CT_NE: return at::ne(a, b);
    case CT_LT: return at::lt(a, b);
    case CT_LE: return at::le(a, b);
    case CT_GT: return at::gt(a, b);
    case CT_GE: return at::ge(a, b);
    case CT_MATMUL: return at::matmul(a, b);
    case CT_ATAN2: return at::atan2(a, b);
    case CT_LOGICAL_AND: return at::logical_and(a, b);
    case CT_LOGICAL_OR: return at::logical_or(a, b);
    case CT_REMAINDER: return at::remainder(a, b);
    case CT_FLOOR_DIVIDE: return at::floor_divide(a, b);
    case CT_CROSS: return at::linalg_cross(a, b, -1);
  }
  throw std::invalid_argument("unknown binary op code " + std::to_string(op));
}

static at::Tensor binary_scalar(int op, const at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case CT_ADD: return at::add(a, s);
    case CT_SUB: return at::sub(a, s);
    case CT_MUL: return at::mul(a, s);
    case CT_DIV: return at::div(a, s);
    case CT_POW: return at::pow(a, s);
    case CT_EQ: return at::eq(a, s);
    case CT_NE: return at::ne(a, s);
    case CT_LT: return at::lt(a, s);
    case CT_LE: return at::le(a, s);
    case CT_GT: return at::gt(a, s);
    case CT_GE: return at::ge(a, s);
    case CT_REMAINDER: return at::remainder(a, s);
    case CT_MAXIMUM: return at::clamp_min(a, s);
    case CT_MINIMUM: return at::clamp_max(a, s);
  }
  throw std::invalid_argument("op code " + std::to_string(op) + " has no tensor-scalar form");
}

static at::Tensor rbinary_scalar(int op, const at::Scalar& s, const at::Tensor& a) {
  switch (op) {
    case CT_ADD: return at::add(a, s);
    case CT_SUB: return at::rsub(a, s);
    case CT_MUL: return at::mul(a, s);
    case CT_DIV: return at::reciprocal(a).mul(s);
    case CT_POW: return at::pow(s, a);
  }
  throw std::invalid_argument("op code " + std::to_string(op) + " has no scalar-tensor form");
}

static c10::Scalar scalar_for(const at::Tensor& a, double s) {
  // Integer tensors keep integer arithmetic when the scalar is integral.
  if (at::isIntegralType(a.scalar_type(), /*includeBool=*/false) && s == static_cast<double>(static_cast<int64_t>(s)))
    return c10::Scalar(static_cast<int64_t>(s));
  return c10::Scalar(s);
}

static at::Reduction::Reduction reduction(int r) {
  switch (r) {
    case 0: return at::Reduction::None;
    case 1: return at::Reduction::Mean;
    case 2: return at::Reduction::Sum;
  }
  throw std::invalid_argument("reduction must be 0 (none), 1 (mean) or 2 (sum)");
}

extern "C" {

ct_tensor ct_unary(int op, ct_tensor a) { CT_TRY_HANDLE({ return wrap(unary(op, T(a))); }) }
ct_tensor ct_binary(int op, ct_tensor a, ct_tensor b) { CT_TRY_HANDLE({ return wrap(binary(op, T(a), T(b))); }) }
ct_tensor ct_binary_scalar(int op, ct_tensor a, double s) {
  CT_TRY_HANDLE({ return wrap(binary_scalar(op, T(a), scalar_for(T(a), s))); })
}
ct_tensor ct_rbinary_scalar(int op, double s, ct_tensor a) {
  CT_TRY_HANDLE({ return wrap(rbinary_scalar(op, scalar_for(T(a), s), T(a))); })
}

int ct_binary_(int op, ct_tensor ha, ct_tensor hb) {
  CT_TRY_STATUS({
    auto& a = T(ha);
    auto& b = T(hb);
    switch (op) {
      case CT_ADD: a.add_(b); break;
      case CT_SUB: a.sub_(b); break;
      case CT_MUL: a.mul_(b); break;
      case CT_DIV: a.div_(b); break;
      default: throw std::invalid_argument("op code " + std::to_string(op) + " has no in-place form");
    }
  })
}

int ct_binary_scalar_(int op, ct_tensor ha, double s) {
  CT_TRY_STATUS({
    auto& a = T(ha);
    auto sc = scalar_for(a, s);
    switch (op) {
      case CT_ADD: a.add_(sc); break;
      case CT_SUB: a.sub_(sc); break;
      case CT_MUL: a.mul_(sc); break;
      case CT_DIV: a.div_(sc); break;
      default: throw std::invalid_argument("op code " + std::to_string(op) + " has no in-place scalar form");
    }
  })
}

int ct_copy_(ct_tensor dst, ct_tensor src) {
  CT_TRY_STATUS({
    at::NoGradGuard guard;
    T(dst).copy_(T(src));
  })
}
int ct_fill_(ct_tensor t, double value) {
  CT_TRY_STATUS({
    at::NoGradGuard guard;
    T(t).fill_(value);
  })
}
int ct_lerp_(ct_tensor t, ct_tensor end, double weight) {
  CT_TRY_STATUS({
    at::NoGradGuard guard;
    T(t).lerp_(T(end), weight);
  })
}

ct_tensor ct_where(ct_tensor c, ct_tensor a, ct_tensor b) { CT_TRY_HANDLE({ return wrap(at::where(T(c), T(a), T(b))); }) }

ct_tensor ct_clamp(ct_tensor a, double mn, double mx, int has_min, int has_max) {
  CT_TRY_HANDLE({
    c10::optional<at::Scalar> lo, hi;
    if (has_min) lo = mn;
    if (has_max) hi = mx;
    return wrap(at::clamp(T(a), lo, hi));
  })
}

ct_tensor ct_softplus(ct_tensor a, double beta, double threshold) {
  CT_TRY_HANDLE({ return wrap(at::softplus(T(a), beta, threshold)); })
}

ct_tensor ct_linear(ct_tensor x, ct_tensor w, ct_tensor b) {
  CT_TRY_HANDLE({
    c10::optional<at::Tensor> bias;
    if (b != nullptr) bias = T(b);
    return wrap(at::linear(T(x), T(w), bias));
  })
}

ct_tensor ct_layer_norm(ct_tensor x, const int64_t* shape, int ndim, ct_tensor w, ct_tensor b, double eps) {
  CT_TRY_HANDLE({
    c10::optional<at::Tensor> weight, bias;
    if (w != nullptr) weight = T(w);
    if (b != nullptr) bias = T(b);
    return wrap(at::layer_norm(T(x), ct::dims(shape, ndim), weight, bias, eps));
  })
}

ct_tensor ct_reduce(int op, ct_tensor ha, const int64_t* dims, int ndims, int keepdim) {
  CT_TRY_HANDLE({
    auto& a = T(ha);
    bool all = ndims == 0;
    auto d = ct::dims(dims, ndims);
    bool k = keepdim != 0;
    switch (op) {
      case CT_SUM: return wrap(all ? a.sum() : a.sum(d, k));
      case CT_MEAN: return wrap(all ? a.mean() : a.mean(d, k));
      case CT_AMAX: return wrap(all ? a.amax(at::IntArrayRef{}, false) : a.amax(d, k));
      case CT_AMIN: return wrap(all ? a.amin(at::IntArrayRef{}, false) : a.amin(d, k));
      case CT_ARGMAX:
      case CT_ARGMIN: {
        if (ndims > 1) throw std::invalid_argument("argmax/argmin take at most one dimension");
        c10::optional<int64_t> dim;
        if (!all) dim = dims[0];
        return wrap(op == CT_ARGMAX ? a.argmax(dim, k) : a.argmin(dim, k));
      }
      case CT_LOGSUMEXP: {
        if (all) return wrap(a.flatten().logsumexp(0, false));
        return wrap(a.logsumexp(d, k));
      }
      case CT_PROD: {
        if (all) return wrap(a.prod());
        if (ndims != 1) throw std::invalid_argument("prod takes one dimension");
        return wrap(a.prod(dims[0], k));
      }
      case CT_ANY: {
        if (all) return wrap(a.any());
        if (ndims != 1) throw std::invalid_argument("any takes one dimension");
        return wrap(a.any(dims[0], k));
      }
      case CT_ALL: {
        if (all) return wrap(a.all());
        if (ndims != 1) throw std::invalid_argument("all takes one dimension");
        return wrap(a.all(dims[0], k));
      }
    }
    throw std::invalid_argument("unknown reduction op code " + std::to_string(op));
  })
}

ct_tensor ct_norm(ct_tensor a, double p, const int64_t* dims, int ndims, int keepdim) {
  CT_TRY_HANDLE({
    if (ndims == 0) return wrap(at::linalg_vector_norm(T(a), p));
    return wrap(at::linalg_vector_norm(T(a), p, ct::dims(dims, ndims), keepdim != 0));
  })
}

ct_tensor ct_softmax(ct_tensor a, int64_t dim, int log) {
  CT_TRY_HANDLE({ return wrap(log ? at::log_softmax(T(a), dim) : at::softmax(T(a), dim)); })
}

ct_tensor ct_cumsum(ct_tensor a, int64_t dim) { CT_TRY_HANDLE({ return wrap(at::cumsum(T(a), dim)); }) }

ct_tensor ct_mse_loss(ct_tensor a, ct_tensor b, int r) { CT_TRY_HANDLE({ return wrap(at::mse_loss(T(a), T(b), reduction(r))); }) }

ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int r) {
  CT_TRY_HANDLE({ return wrap(at::cross_entropy_loss(T(logits), T(target), {}, reduction(r))); })
}

ct_tensor ct_smooth_l1_loss(ct_tensor a, ct_tensor b, int r, double beta) {
  CT_TRY_HANDLE({ return wrap(at::smooth_l1_loss(T(a), T(b), reduction(r), beta)); })
}

ct_tensor ct_index_select(ct_tensor a, int64_t dim, ct_tensor index) {
  CT_TRY_HANDLE({ return wrap(at::index_select(T(a), dim, T(index))); })
}
ct_tensor ct_gather(ct_tensor a, int64_t dim, ct_tensor index) { CT_TRY_HANDLE({ return wrap(at::gather(T(a), dim, T(index))); }) }
ct_tensor ct_scatter_add(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src) {
  CT_TRY_HANDLE({ return wrap(at::scatter_add(T(a), dim, T(index), T(src))); })
}
ct_tensor ct_scatter_reduce(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src, const char* reduce, int include_self) {
  CT_TRY_HANDLE({ return wrap(at::scatter_reduce(T(a), dim, T(index), T(src), reduce, include_self != 0)); })
}
ct_tensor ct_index_add(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src, double alpha) {
  CT_TRY_HANDLE({ return wrap(at::index_add(T(a), dim, T(index), T(src), alpha)); })
}
ct_tensor ct_masked_fill(ct_tensor a, ct_tensor mask, double value) {
  CT_TRY_HANDLE({ return wrap(at::masked_fill(T(a), T(mask), value)); })
}
ct_tensor ct_masked_select(ct_tensor a, ct_tensor mask) { CT_TRY_HANDLE({ return wrap(at::masked_select(T(a), T(mask))); }) }
ct_tensor ct_nonzero(ct_tensor a) { CT_TRY_HANDLE({ return wrap(at::nonzero(T(a))); }) }
ct_tensor ct_narrow(ct_tensor a, int64_t dim, int64_t start, int64_t length) {
  CT_TRY_HANDLE({ return wrap(T(a).narrow(dim, start, length)); })
}
ct_tensor ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  CT_TRY_HANDLE({ return wrap(T(a).slice(dim, start, end, step)); })
}
ct_tensor ct_select(ct_tensor a, int64_t dim, int64_t index) { CT_TRY_HANDLE({ return wrap(T(a).select(dim, index)); }) }
ct_tensor ct_repeat_interleave(ct_tensor repeats) { CT_TRY_HANDLE({ return wrap(at::repeat_interleave(T(repeats))); }) }
ct_tensor ct_one_hot(ct_tensor index, int64_t num_classes) {
  CT_TRY_HANDLE({ return wrap(at::one_hot(T(index), num_classes)); })
}

}  // extern "C"
