// softplus and silu with fast CPU kernels. libtorch 1.13's softplus evaluates log1p through Sleef's 1-ulp
// log1pf, which took ~20% of a Q-network training step; glibc's vector expf (libmvec, AVX2) and a short atanh
// series for log(1 + e), e in [0, 1], do the same in a third of the time at ~1e-6 absolute error. CUDA, float64 and CPUs without AVX2 keep at::softplus.
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>
#include <cmath>
#include "common.h"

#if defined(CT_HAVE_MVEC) && defined(__x86_64__)
#include <immintrin.h>
extern "C" __m256 _ZGVdN8v_expf(__m256);

namespace {
constexpr float kThreshold = 20.0f;  // as at::softplus: x above it returns x

// log(1 + e) for e in [0, 1]: 2 atanh(t) with t = e / (2 + e) in [0, 1/3], whose odd series to t^11 is within
// 1e-7 absolute; 1 + e is never rounded, so tiny e stay exact (log1p behaviour without a general log).
__attribute__((target("avx2,fma"))) inline __m256 log1p_unit(__m256 e) {
  __m256 t = _mm256_div_ps(e, _mm256_add_ps(_mm256_set1_ps(2.0f), e));
  __m256 t2 = _mm256_mul_ps(t, t);
  __m256 p = _mm256_set1_ps(1.0f / 11);
  p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(1.0f / 9));
  p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(1.0f / 7));
  p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(1.0f / 5));
  p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(1.0f / 3));
  p = _mm256_fmadd_ps(p, t2, _mm256_set1_ps(1.0f));
  return _mm256_mul_ps(_mm256_add_ps(t, t), p);
}

// softplus(x) = max(x, 0) + log(1 + exp(-|x|)), exact in the tails, no overflow.
__attribute__((target("avx2,fma"))) void softplus_avx2(const float* x, float* y, int64_t n) {
  const __m256 sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
  const __m256 thr = _mm256_set1_ps(kThreshold);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 r = _mm256_add_ps(_mm256_max_ps(v, zero), log1p_unit(_ZGVdN8v_expf(_mm256_or_ps(v, sign))));
    r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, thr, _CMP_GT_OQ));
    _mm256_storeu_ps(y + i, r);
  }
  for (; i < n; ++i) {
    float v = x[i];
    y[i] = v > kThreshold ? v : std::fmax(v, 0.0f) + std::log1p(std::exp(-std::fabs(v)));
  }
}

// dL/dx = g * sigmoid(x) (the gradient at::softplus uses below its threshold, 1 above).
__attribute__((target("avx2,fma"))) void softplus_grad_avx2(const float* g, const float* x, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  const __m256 thr = _mm256_set1_ps(kThreshold);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, _ZGVdN8v_expf(_mm256_xor_ps(v, sign))));
    s = _mm256_blendv_ps(s, one, _mm256_cmp_ps(v, thr, _CMP_GT_OQ));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), s));
  }
  for (; i < n; ++i) out[i] = x[i] > kThreshold ? g[i] : g[i] / (1.0f + std::exp(-x[i]));
}

bool fast_path(const at::Tensor& x) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2 && x.device().is_cpu() && x.scalar_type() == at::kFloat && x.numel() >= 64;
}

constexpr int64_t kGrain = 1 << 15;

struct FastSoftplus : public torch::autograd::Function<FastSoftplus> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input) {
    at::Tensor x = input.contiguous();
    at::Tensor y = at::empty_like(x);
    const float* px = x.data_ptr<float>();
    float* py = y.data_ptr<float>();
    at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) { softplus_avx2(px + b, py + b, e - b); });
    ctx->save_for_backward({input});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    at::Tensor x = ctx->get_saved_variables()[0];
    at::Tensor g = grads[0];
    // Higher-order gradients (create_graph) need a differentiable expression.
    if (at::GradMode::is_enabled()) return {g * at::where(x > kThreshold, at::ones_like(x), at::sigmoid(x))};
    x = x.contiguous();
    g = g.contiguous();
    at::Tensor out = at::empty_like(x);
    const float *px = x.data_ptr<float>(), *pg = g.data_ptr<float>();
    float* po = out.data_ptr<float>();
    at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) { softplus_grad_avx2(pg + b, px + b, po + b, e - b); });
    return {out};
  }
};
// silu(x) = x * s, s = 1 / (1 + e^-x). The forward keeps s, so the backward is arithmetic only:
// d/dx = s + x s (1 - s) = s + y (1 - s). at::silu's backward evaluated exp again (Sleef), and the two
// made up a fifth of a batched M3GNet force evaluation.
__attribute__((target("avx2,fma"))) void silu_avx2(const float* x, float* y, float* sig, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, _ZGVdN8v_expf(_mm256_xor_ps(v, sign))));
    _mm256_storeu_ps(sig + i, s);
    _mm256_storeu_ps(y + i, _mm256_mul_ps(v, s));
  }
  for (; i < n; ++i) {
    float s = 1.0f / (1.0f + std::exp(-x[i]));
    sig[i] = s;
    y[i] = x[i] * s;
  }
}

__attribute__((target("avx2,fma"))) void silu_grad_avx2(const float* g, const float* y, const float* sig, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 s = _mm256_loadu_ps(sig + i);
    __m256 d = _mm256_fmadd_ps(_mm256_loadu_ps(y + i), _mm256_sub_ps(one, s), s);
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), d));
  }
  for (; i < n; ++i) out[i] = g[i] * (sig[i] + y[i] * (1.0f - sig[i]));
}

struct FastSilu : public torch::autograd::Function<FastSilu> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input) {
    at::Tensor x = input.contiguous();
    at::Tensor y = at::empty_like(x), s = at::empty_like(x);
    const float* px = x.data_ptr<float>();
    float *py = y.data_ptr<float>(), *ps = s.data_ptr<float>();
    at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) { silu_avx2(px + b, py + b, ps + b, e - b); });
    ctx->save_for_backward({input, y, s});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    at::Tensor g = grads[0];
    if (at::GradMode::is_enabled()) {
      at::Tensor sx = at::sigmoid(saved[0]);
      return {g * (sx + saved[0] * sx * (1 - sx))};
    }
    g = g.contiguous();
    at::Tensor y = saved[1], s = saved[2];
    at::Tensor out = at::empty_like(y);
    const float *pg = g.data_ptr<float>(), *py = y.data_ptr<float>(), *ps = s.data_ptr<float>();
    float* po = out.data_ptr<float>();
    at::parallel_for(0, y.numel(), kGrain, [&](int64_t b, int64_t e) { silu_grad_avx2(pg + b, py + b, ps + b, po + b, e - b); });
    return {out};
  }
};
// silu(a) * sigmoid(b), the output of matgl's gated MLPs, in one pass each way (five passes and three
// temporaries as separate ops). Keeps sigmoid(a) and sigmoid(b) for the backward:
// d/da = g sb (sa + a sa (1 - sa)), d/db = g a sa sb (1 - sb).
__attribute__((target("avx2,fma"))) void silu_gate_avx2(const float* a, const float* b, float* y, float* sa, float* sb, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
    __m256 s1 = _mm256_div_ps(one, _mm256_add_ps(one, _ZGVdN8v_expf(_mm256_xor_ps(va, sign))));
    __m256 s2 = _mm256_div_ps(one, _mm256_add_ps(one, _ZGVdN8v_expf(_mm256_xor_ps(vb, sign))));
    _mm256_storeu_ps(sa + i, s1);
    _mm256_storeu_ps(sb + i, s2);
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(va, s1), s2));
  }
  for (; i < n; ++i) {
    float s1 = 1.0f / (1.0f + std::exp(-a[i])), s2 = 1.0f / (1.0f + std::exp(-b[i]));
    sa[i] = s1;
    sb[i] = s2;
    y[i] = a[i] * s1 * s2;
  }
}

__attribute__((target("avx2,fma"))) void silu_gate_grad_avx2(const float* g, const float* a, const float* sa, const float* sb,
                                                             float* ga, float* gb, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 vg = _mm256_loadu_ps(g + i), va = _mm256_loadu_ps(a + i);
    __m256 s1 = _mm256_loadu_ps(sa + i), s2 = _mm256_loadu_ps(sb + i);
    __m256 h = _mm256_mul_ps(va, s1);  // silu(a)
    __m256 dsilu = _mm256_fmadd_ps(h, _mm256_sub_ps(one, s1), s1);
    _mm256_storeu_ps(ga + i, _mm256_mul_ps(_mm256_mul_ps(vg, s2), dsilu));
    _mm256_storeu_ps(gb + i, _mm256_mul_ps(_mm256_mul_ps(vg, h), _mm256_mul_ps(s2, _mm256_sub_ps(one, s2))));
  }
  for (; i < n; ++i) {
    float h = a[i] * sa[i];
    ga[i] = g[i] * sb[i] * (sa[i] + h * (1.0f - sa[i]));
    gb[i] = g[i] * h * (sb[i] * (1.0f - sb[i]));
  }
}

struct FastSiluGate : public torch::autograd::Function<FastSiluGate> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a_in, const at::Tensor& b_in) {
    at::Tensor a = a_in.contiguous(), b = b_in.contiguous();
    at::Tensor y = at::empty_like(a), sa = at::empty_like(a), sb = at::empty_like(a);
    const float *pa = a.data_ptr<float>(), *pb = b.data_ptr<float>();
    float *py = y.data_ptr<float>(), *psa = sa.data_ptr<float>(), *psb = sb.data_ptr<float>();
    at::parallel_for(0, a.numel(), kGrain, [&](int64_t s, int64_t e) { silu_gate_avx2(pa + s, pb + s, py + s, psa + s, psb + s, e - s); });
    ctx->save_for_backward({a_in, b_in, a, sa, sb});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    at::Tensor g = grads[0];
    if (at::GradMode::is_enabled()) {
      at::Tensor s1 = at::sigmoid(saved[0]), s2 = at::sigmoid(saved[1]);
      at::Tensor h = saved[0] * s1;
      return {g * s2 * (s1 + h * (1 - s1)), g * h * s2 * (1 - s2)};
    }
    g = g.contiguous();
    at::Tensor a = saved[2], sa = saved[3], sb = saved[4];
    at::Tensor ga = at::empty_like(a), gb = at::empty_like(a);
    const float *pg = g.data_ptr<float>(), *pa = a.data_ptr<float>(), *psa = sa.data_ptr<float>(), *psb = sb.data_ptr<float>();
    float *pga = ga.data_ptr<float>(), *pgb = gb.data_ptr<float>();
    at::parallel_for(0, a.numel(), kGrain, [&](int64_t s, int64_t e) { silu_gate_grad_avx2(pg + s, pa + s, psa + s, psb + s, pga + s, pgb + s, e - s); });
    return {ga, gb};
  }
};
}  // namespace

namespace ct {
at::Tensor softplus(const at::Tensor& x) {
  if (!fast_path(x)) return at::softplus(x);
  return FastSoftplus::apply(x);
}
at::Tensor silu(const at::Tensor& x) {
  if (!fast_path(x)) return at::silu(x);
  return FastSilu::apply(x);
}
at::Tensor silu_gate(const at::Tensor& a, const at::Tensor& b) {
  if (!fast_path(a) || a.sizes() != b.sizes() || b.scalar_type() != at::kFloat || !b.device().is_cpu())
    return at::silu(a) * at::sigmoid(b);
  return FastSiluGate::apply(a, b);
}
}  // namespace ct

#else

namespace ct {
at::Tensor softplus(const at::Tensor& x) { return at::softplus(x); }
at::Tensor silu(const at::Tensor& x) { return at::silu(x); }
at::Tensor silu_gate(const at::Tensor& a, const at::Tensor& b) { return at::silu(a) * at::sigmoid(b); }
}  // namespace ct

#endif

extern "C" ct_tensor ct_silu_gate(ct_tensor a, ct_tensor b) {
  CT_TRY_HANDLE({ return ct::wrap(ct::silu_gate(ct::T(a), ct::T(b))); })
}
