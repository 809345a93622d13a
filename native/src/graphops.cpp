// Row gathers and scatter-adds for message passing on graphs, with their own autograd functions.
//
// libtorch 1.13's CPU index_add (the forward of a segment sum, and the backward of every index_select)
// dispatches one TensorIterator add per index row: ~40 ns a row whatever the row width, so for M3GNet's
// batched three-body terms (hundreds of thousands of 9-float rows per block) the dispatch outweighed the
// arithmetic, and the [triples, k] temporaries of gather → multiply → scatter did not fit in cache.
// Here each is one plain loop over rows:
//   gather_rows(x, idx)           out[r] = x[idx[r]]                       backward: scatter_add_rows
//   scatter_add_rows(x, idx, n)   out[idx[r]] += x[r] (out: n rows)       backward: gather_rows
//   add_gathered_pair(x, p, ia, ib)  out[r] = x[r] + p[ia[r], :k] + p[ib[r], k:]   (p: [n, 2k])
//   gather_mul_scatter(a, b, ia, ib, io, n)
//                                 out[io[t]] += a[ia[t]] * b[ib[t]]      (M3GNet's three-body message)
// Rows are added in increasing r, as index_add does, so results do not depend on how many graphs share a
// batch. Scatters run serially (the outputs collide); gathers use the intra-op threads. When a backward runs
// with create_graph, the gradients are built from these same functions, so they are differentiable again.
#include <ATen/Parallel.h>
#include <cstring>
#include <torch/csrc/autograd/custom_function.h>
#include "common.h"

using ct::T;
using ct::wrap;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

constexpr int64_t kGrain = 2048;  // rows per task of a parallel gather

// x viewed as [rows, width] (1-D: width 1).
// Elements per row (product of the trailing sizes); also right for a tensor with zero rows, whose numel is 0.
int64_t width_of(const at::Tensor& x) {
  int64_t w = 1;
  for (int64_t d = 1; d < x.dim(); ++d) w *= x.size(d);
  return w;
}

at::Tensor rows_like(const at::Tensor& x, int64_t rows) {
  auto sizes = x.sizes().vec();
  sizes[0] = rows;
  return at::empty(sizes, x.options());
}

void check_index(const at::Tensor& idx, int64_t rows, int64_t bound, const char* what) {
  TORCH_CHECK(idx.scalar_type() == at::kLong && idx.dim() == 1, what, ": index must be a 1-D int64 tensor");
  TORCH_CHECK(idx.numel() == rows, what, ": ", idx.numel(), " indices for ", rows, " rows");
  if (idx.numel() == 0) return;
  const int64_t* p = idx.data_ptr<int64_t>();
  int64_t lo = p[0], hi = p[0];
  for (int64_t i = 1; i < idx.numel(); ++i) {
    lo = std::min(lo, p[i]);
    hi = std::max(hi, p[i]);
  }
  TORCH_CHECK(lo >= 0 && hi < bound, what, ": index ", lo < 0 ? lo : hi, " out of range [0, ", bound, ")");
}

at::Tensor gather_kernel(const at::Tensor& x, const at::Tensor& idx) {
  auto out = rows_like(x, idx.numel());
  int64_t w = width_of(x);
  const int64_t* ip = idx.data_ptr<int64_t>();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gather_rows", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, idx.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) std::memcpy(op + r * w, xp + ip[r] * w, sizeof(scalar_t) * w);
    });
  });
  return out;
}

at::Tensor scatter_kernel(const at::Tensor& x, const at::Tensor& idx, int64_t n) {
  auto out = rows_like(x, n).zero_();
  int64_t w = width_of(x), rows = idx.numel();
  const int64_t* ip = idx.data_ptr<int64_t>();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "scatter_add_rows", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    for (int64_t r = 0; r < rows; ++r) {
      scalar_t* o = op + ip[r] * w;
      const scalar_t* s = xp + r * w;
      for (int64_t k = 0; k < w; ++k) o[k] += s[k];
    }
  });
  return out;
}

struct GatherRows : public torch::autograd::Function<GatherRows> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& idx) {
    ctx->saved_data["n"] = x.size(0);
    ctx->save_for_backward({idx});
    return gather_kernel(x, idx);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads);
};

struct ScatterAddRows : public torch::autograd::Function<ScatterAddRows> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& idx, int64_t n) {
    ctx->save_for_backward({idx});
    return scatter_kernel(x, idx, n);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto idx = ctx->get_saved_variables()[0];
    return {GatherRows::apply(grads[0].contiguous(), idx), at::Tensor(), at::Tensor()};
  }
};

variable_list GatherRows::backward(AutogradContext* ctx, variable_list grads) {
  auto idx = ctx->get_saved_variables()[0];
  return {ScatterAddRows::apply(grads[0].contiguous(), idx, ctx->saved_data["n"].toInt()), at::Tensor()};
}

// out[io[t]] += a[ia[t]] * b[ib[t]], all rows of width w.
struct GatherMulScatter : public torch::autograd::Function<GatherMulScatter> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b, const at::Tensor& ia,
                            const at::Tensor& ib, const at::Tensor& io, int64_t n) {
    ctx->save_for_backward({a, b, ia, ib, io});
    auto out = rows_like(a, n).zero_();
    int64_t w = width_of(a), rows = ia.numel();
    const int64_t *pa = ia.data_ptr<int64_t>(), *pb = ib.data_ptr<int64_t>(), *po = io.data_ptr<int64_t>();
    AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "gather_mul_scatter", [&] {
      const scalar_t *ap = a.data_ptr<scalar_t>(), *bp = b.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      for (int64_t t = 0; t < rows; ++t) {
        scalar_t* o = op + po[t] * w;
        const scalar_t *x = ap + pa[t] * w, *y = bp + pb[t] * w;
        for (int64_t k = 0; k < w; ++k) o[k] += x[k] * y[k];
      }
    });
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto &a = saved[0], &b = saved[1], &ia = saved[2], &ib = saved[3], &io = saved[4];
    auto g = grads[0].contiguous();
    at::Tensor ga, gb;
    if (at::GradMode::is_enabled()) {
      // Differentiable form for double backward: d a[ia[t]] += g[io[t]] * b[ib[t]], and the same for b.
      auto gt = GatherRows::apply(g, io);
      ga = ScatterAddRows::apply(gt * GatherRows::apply(b, ib), ia, a.size(0));
      gb = ScatterAddRows::apply(gt * GatherRows::apply(a, ia), ib, b.size(0));
    } else {
      ga = at::zeros_like(a);
      gb = at::zeros_like(b);
      int64_t w = width_of(a), rows = ia.numel();
      const int64_t *pa = ia.data_ptr<int64_t>(), *pb = ib.data_ptr<int64_t>(), *po = io.data_ptr<int64_t>();
      AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "gather_mul_scatter_backward", [&] {
        const scalar_t *ap = a.data_ptr<scalar_t>(), *bp = b.data_ptr<scalar_t>(), *gp = g.data_ptr<scalar_t>();
        scalar_t *gap = ga.data_ptr<scalar_t>(), *gbp = gb.data_ptr<scalar_t>();
        bool need_a = ctx->needs_input_grad(0), need_b = ctx->needs_input_grad(1);
        for (int64_t t = 0; t < rows; ++t) {
          const scalar_t* gr = gp + po[t] * w;
          if (need_a) {
            scalar_t* d = gap + pa[t] * w;
            const scalar_t* y = bp + pb[t] * w;
            for (int64_t k = 0; k < w; ++k) d[k] += gr[k] * y[k];
          }
          if (need_b) {
            scalar_t* d = gbp + pb[t] * w;
            const scalar_t* x = ap + pa[t] * w;
            for (int64_t k = 0; k < w; ++k) d[k] += gr[k] * x[k];
          }
        }
      });
    }
    return {ga, gb, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// out[r] = base[r] + p[ia[r], :w] + p[ib[r], w:] (added in that order), p = [n, 2w]: the first layer of an edge
// MLP on [v_src ‖ v_dst ‖ e] with the two node blocks applied per node (p = v·[W_src; W_dst]ᵀ), in one pass
// instead of two gathers and two adds over the edges.
struct AddGatheredPair : public torch::autograd::Function<AddGatheredPair> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& base, const at::Tensor& p, const at::Tensor& ia,
                            const at::Tensor& ib) {
    ctx->saved_data["n"] = p.size(0);
    ctx->save_for_backward({ia, ib});
    auto out = at::empty_like(base);
    int64_t w = width_of(base), rows = base.size(0);
    const int64_t *pa = ia.data_ptr<int64_t>(), *pb = ib.data_ptr<int64_t>();
    AT_DISPATCH_FLOATING_TYPES(base.scalar_type(), "add_gathered_pair", [&] {
      const scalar_t *xp = base.data_ptr<scalar_t>(), *pp = p.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      at::parallel_for(0, rows, kGrain, [&](int64_t s, int64_t e) {
        for (int64_t r = s; r < e; ++r) {
          const scalar_t *x = xp + r * w, *y = pp + pa[r] * 2 * w, *z = pp + pb[r] * 2 * w + w;
          scalar_t* o = op + r * w;
          for (int64_t k = 0; k < w; ++k) o[k] = (x[k] + y[k]) + z[k];
        }
      });
    });
    return out;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto &ia = saved[0], &ib = saved[1];
    auto g = grads[0].contiguous();
    int64_t n = ctx->saved_data["n"].toInt();
    at::Tensor gp;
    if (at::GradMode::is_enabled()) {
      gp = at::cat({ScatterAddRows::apply(g, ia, n), ScatterAddRows::apply(g, ib, n)}, 1);
    } else if (ctx->needs_input_grad(1)) {
      int64_t w = width_of(g), rows = g.size(0);
      gp = at::zeros({n, 2 * w}, g.options());
      const int64_t *pa = ia.data_ptr<int64_t>(), *pb = ib.data_ptr<int64_t>();
      AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "add_gathered_pair_backward", [&] {
        const scalar_t* gr = g.data_ptr<scalar_t>();
        scalar_t* d = gp.data_ptr<scalar_t>();
        for (int64_t r = 0; r < rows; ++r) {
          const scalar_t* x = gr + r * w;
          scalar_t *y = d + pa[r] * 2 * w, *z = d + pb[r] * 2 * w + w;
          for (int64_t k = 0; k < w; ++k) y[k] += x[k];
          for (int64_t k = 0; k < w; ++k) z[k] += x[k];
        }
      });
    }
    return {g, gp, at::Tensor(), at::Tensor()};
  }
};

void check_rows(const at::Tensor& x, const char* what) {
  TORCH_CHECK(x.dim() >= 1, what, ": expected a tensor with at least one dimension");
}

// The loops cover CPU float32/float64; anything else (CUDA, half) takes the equivalent libtorch ops.
bool fast(const at::Tensor& x) {
  return x.device().is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble);
}
at::Tensor zeros_rows(const at::Tensor& x, int64_t n) {
  auto sizes = x.sizes().vec();
  sizes[0] = n;
  return at::zeros(sizes, x.options());
}

}  // namespace

extern "C" {

ct_tensor ct_gather_rows(ct_tensor hx, ct_tensor hidx) {
  CT_TRY_HANDLE({
    auto x = T(hx).contiguous();
    auto idx = T(hidx).contiguous();
    check_rows(x, "gather_rows");
    if (!fast(x)) return wrap(at::index_select(x, 0, idx));
    check_index(idx, idx.numel(), x.size(0), "gather_rows");
    return wrap(GatherRows::apply(x, idx));
  })
}

ct_tensor ct_scatter_add_rows(ct_tensor hx, ct_tensor hidx, int64_t n) {
  CT_TRY_HANDLE({
    auto x = T(hx).contiguous();
    auto idx = T(hidx).contiguous();
    check_rows(x, "scatter_add_rows");
    TORCH_CHECK(n >= 0, "scatter_add_rows: negative row count ", n);
    if (!fast(x)) return wrap(zeros_rows(x, n).index_add(0, idx, x));
    check_index(idx, x.size(0), n, "scatter_add_rows");
    return wrap(ScatterAddRows::apply(x, idx, n));
  })
}

ct_tensor ct_gather_mul_scatter(ct_tensor ha, ct_tensor hb, ct_tensor hia, ct_tensor hib, ct_tensor hio, int64_t n) {
  CT_TRY_HANDLE({
    auto a = T(ha).contiguous();
    auto b = T(hb).contiguous();
    auto ia = T(hia).contiguous(), ib = T(hib).contiguous(), io = T(hio).contiguous();
    check_rows(a, "gather_mul_scatter");
    check_rows(b, "gather_mul_scatter");
    TORCH_CHECK(a.scalar_type() == b.scalar_type(), "gather_mul_scatter: a and b differ in dtype");
    TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(1), "gather_mul_scatter: a and b must be [*, k] with the same k, got ",
                a.sizes(), " and ", b.sizes());
    TORCH_CHECK(n >= 0, "gather_mul_scatter: negative row count ", n);
    if (!fast(a)) return wrap(zeros_rows(a, n).index_add(0, io, a.index_select(0, ia) * b.index_select(0, ib)));
    int64_t rows = ia.numel();
    check_index(ia, rows, a.size(0), "gather_mul_scatter (a)");
    check_index(ib, rows, b.size(0), "gather_mul_scatter (b)");
    check_index(io, rows, n, "gather_mul_scatter (out)");
    return wrap(GatherMulScatter::apply(a, b, ia, ib, io, n));
  })
}

ct_tensor ct_add_gathered_pair(ct_tensor hbase, ct_tensor hp, ct_tensor hia, ct_tensor hib) {
  CT_TRY_HANDLE({
    auto base = T(hbase).contiguous(), p = T(hp).contiguous();
    auto ia = T(hia).contiguous(), ib = T(hib).contiguous();
    check_rows(base, "add_gathered_pair");
    TORCH_CHECK(base.dim() == 2 && p.dim() == 2 && p.size(1) == 2 * base.size(1),
                "add_gathered_pair: base must be [*, k] and p [*, 2k], got ", base.sizes(), " and ", p.sizes());
    int64_t w = base.size(1);
    if (!fast(base) || p.scalar_type() != base.scalar_type())
      return wrap(base + at::index_select(p.narrow(1, 0, w), 0, ia) + at::index_select(p.narrow(1, w, w), 0, ib));
    check_index(ia, base.size(0), p.size(0), "add_gathered_pair (first)");
    check_index(ib, base.size(0), p.size(0), "add_gathered_pair (second)");
    return wrap(AddGatheredPair::apply(base, p, ia, ib));
  })
}

}  // extern "C"
