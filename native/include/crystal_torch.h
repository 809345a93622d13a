/* crystal_torch: a small C ABI over libtorch for the CrystalActors C# layer.
 *
 * Conventions (every function follows them, so the C# side can check errors uniformly):
 *  - Tensors are opaque handles (ct_tensor) owning one at::Tensor; free each with ct_free.
 *  - A function that returns a handle returns NULL on error; a function that returns int returns
 *    0 on success and -1 on error. The error text (libtorch's message without its C++ backtrace)
 *    is then available from ct_last_error() on the same thread. No C++ exception crosses the ABI.
 *  - dtype codes are c10::ScalarType values: 3 int32, 4 int64, 6 float32, 7 float64, 11 bool.
 *  - device: type 0 = CPU, 1 = CUDA; index -1 = default.
 */
#ifndef CRYSTAL_TORCH_H
#define CRYSTAL_TORCH_H
#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CT_API __attribute__((visibility("default")))
typedef struct ct_tensor_s* ct_tensor;

/* runtime */
CT_API const char* ct_last_error(void);
CT_API const char* ct_version(void);
CT_API const char* ct_build_config(void);   /* at::show_config(): BLAS, OpenMP, CUDA */
CT_API const char* ct_parallel_info(void);
CT_API void ct_manual_seed(uint64_t seed);
CT_API void ct_set_num_threads(int n);
CT_API int ct_get_num_threads(void);
CT_API void ct_set_num_threads_light(int n); /* OpenMP + OpenBLAS counts only, cheap enough per call */
CT_API int ct_cuda_is_available(void);
CT_API int ct_cuda_device_count(void);
CT_API int ct_set_grad_enabled(int enabled);  /* returns the previous mode */
CT_API int ct_is_grad_enabled(void);
CT_API int ct_use_caching_cpu_allocator(int64_t limit_bytes); /* keep freed CPU blocks >= 64 KiB for reuse */
CT_API int64_t ct_cpu_cache_bytes(void);
CT_API void ct_cpu_cache_empty(void);
CT_API int64_t ct_live_tensors(void);          /* handles not yet freed (leak accounting) */
CT_API int ct_profile_begin(void);            /* start the per-op CPU profiler (this thread) */
CT_API const char* ct_profile_end(void);      /* stop it; a table op/calls/self_ms/total_ms (NULL on error) */

/* creation, conversion, queries */
CT_API ct_tensor ct_from_buffer(const void* data, int dtype, const int64_t* shape, int ndim, int device_type, int device_index);
CT_API int ct_to_buffer(ct_tensor t, void* dst, int64_t nbytes);
CT_API ct_tensor ct_full(const int64_t* shape, int ndim, double value, int dtype, int device_type, int device_index);
CT_API ct_tensor ct_arange(double start, double end, double step, int dtype, int device_type, int device_index);
CT_API ct_tensor ct_rand(const int64_t* shape, int ndim, int normal, int dtype, int device_type, int device_index);
CT_API ct_tensor ct_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, int device_type, int device_index);
CT_API void ct_free(ct_tensor t);
CT_API int ct_ndim(ct_tensor t);
CT_API int ct_shape(ct_tensor t, int64_t* out, int capacity);
CT_API int ct_dtype(ct_tensor t);
CT_API int ct_device(ct_tensor t, int* type, int* index);
CT_API int64_t ct_numel(ct_tensor t);
CT_API int ct_item(ct_tensor t, double* out);
CT_API ct_tensor ct_to(ct_tensor t, int dtype, int device_type, int device_index);
CT_API ct_tensor ct_clone(ct_tensor t);
CT_API ct_tensor ct_detach(ct_tensor t);
CT_API ct_tensor ct_contiguous(ct_tensor t);
CT_API ct_tensor ct_alias(ct_tensor t);         /* a second handle to the same tensor */
CT_API int ct_requires_grad(ct_tensor t);
CT_API int ct_set_requires_grad(ct_tensor t, int value);

/* elementwise */
enum ct_unary_op {
  CT_NEG = 0, CT_RELU, CT_SILU, CT_SIGMOID, CT_TANH, CT_SOFTPLUS, CT_EXP, CT_LOG, CT_SQRT,
  CT_SIN, CT_COS, CT_ABS, CT_SQUARE, CT_RECIPROCAL, CT_FLOOR, CT_ROUND, CT_SIGN, CT_LOG1P,
  CT_LOGICAL_NOT, CT_RSQRT, CT_ERF, CT_ISNAN, CT_CEIL, CT_EXPM1, CT_ACOS, CT_ATAN
};
enum ct_binary_op {
  CT_ADD = 0, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM, CT_EQ, CT_NE, CT_LT, CT_LE,
  CT_GT, CT_GE, CT_MATMUL, CT_ATAN2, CT_LOGICAL_AND, CT_LOGICAL_OR, CT_REMAINDER, CT_FLOOR_DIVIDE,
  CT_CROSS
};
CT_API ct_tensor ct_unary(int op, ct_tensor a);
CT_API ct_tensor ct_binary(int op, ct_tensor a, ct_tensor b);
CT_API ct_tensor ct_binary_scalar(int op, ct_tensor a, double s);      /* a op s */
CT_API ct_tensor ct_rbinary_scalar(int op, double s, ct_tensor a);     /* s op a */
CT_API int ct_binary_(int op, ct_tensor a, ct_tensor b);               /* a op= b (add/sub/mul/div) */
CT_API int ct_binary_scalar_(int op, ct_tensor a, double s);
CT_API int ct_copy_(ct_tensor dst, ct_tensor src);
CT_API int ct_fill_(ct_tensor t, double value);
CT_API int ct_lerp_(ct_tensor t, ct_tensor end, double weight);        /* t += weight (end - t) */
CT_API ct_tensor ct_where(ct_tensor cond, ct_tensor a, ct_tensor b);
CT_API ct_tensor ct_clamp(ct_tensor a, double min, double max, int has_min, int has_max);
CT_API ct_tensor ct_softplus(ct_tensor a, double beta, double threshold);
CT_API ct_tensor ct_silu_gate(ct_tensor a, ct_tensor b);                 /* silu(a) * sigmoid(b), fused */
CT_API ct_tensor ct_linear(ct_tensor x, ct_tensor w, ct_tensor b /* may be NULL */);
CT_API ct_tensor ct_layer_norm(ct_tensor x, const int64_t* shape, int ndim, ct_tensor w, ct_tensor b, double eps);

/* reductions (ndims == 0: over all elements) */
enum ct_reduce_op { CT_SUM = 0, CT_MEAN, CT_AMAX, CT_AMIN, CT_ARGMAX, CT_ARGMIN, CT_LOGSUMEXP, CT_PROD, CT_ANY, CT_ALL };
CT_API ct_tensor ct_reduce(int op, ct_tensor a, const int64_t* dims, int ndims, int keepdim);
CT_API ct_tensor ct_norm(ct_tensor a, double p, const int64_t* dims, int ndims, int keepdim);
CT_API ct_tensor ct_softmax(ct_tensor a, int64_t dim, int log);
CT_API ct_tensor ct_cumsum(ct_tensor a, int64_t dim);

/* losses: reduction 0 none, 1 mean, 2 sum */
CT_API ct_tensor ct_mse_loss(ct_tensor a, ct_tensor b, int reduction);
CT_API ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int reduction);
CT_API ct_tensor ct_smooth_l1_loss(ct_tensor a, ct_tensor b, int reduction, double beta);

/* indexing */
CT_API ct_tensor ct_index_select(ct_tensor a, int64_t dim, ct_tensor index);
CT_API ct_tensor ct_gather(ct_tensor a, int64_t dim, ct_tensor index);
CT_API ct_tensor ct_scatter_add(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src);
CT_API ct_tensor ct_scatter_reduce(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src, const char* reduce, int include_self);
CT_API ct_tensor ct_index_add(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src, double alpha);
CT_API ct_tensor ct_masked_fill(ct_tensor a, ct_tensor mask, double value);
CT_API ct_tensor ct_masked_select(ct_tensor a, ct_tensor mask);
CT_API ct_tensor ct_nonzero(ct_tensor a);
CT_API ct_tensor ct_narrow(ct_tensor a, int64_t dim, int64_t start, int64_t length);
CT_API ct_tensor ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step);
CT_API ct_tensor ct_select(ct_tensor a, int64_t dim, int64_t index);
CT_API ct_tensor ct_repeat_interleave(ct_tensor repeats);               /* [0,0,1,2,2,...] */
CT_API ct_tensor ct_one_hot(ct_tensor index, int64_t num_classes);
/* message passing (graphops.cpp), CPU float32/float64, with their own autograd; rows added in index order */
CT_API ct_tensor ct_gather_rows(ct_tensor x, ct_tensor index);                  /* out[r] = x[index[r]] */
CT_API ct_tensor ct_scatter_add_rows(ct_tensor x, ct_tensor index, int64_t n);  /* out[n, ...]; out[index[r]] += x[r] */
CT_API ct_tensor ct_add_gathered_pair(ct_tensor x, ct_tensor p, ct_tensor ia, ct_tensor ib);
                                                                  /* x [m, k], p [n, 2k]: out[r] = x[r] + p[ia[r], :k] + p[ib[r], k:] */
CT_API ct_tensor ct_gather_mul_scatter(ct_tensor a, ct_tensor b, ct_tensor ia, ct_tensor ib, ct_tensor io, int64_t n);
                                                                  /* out[n, k]; out[io[t]] += a[ia[t]] * b[ib[t]] */

/* shapes */
CT_API ct_tensor ct_reshape(ct_tensor a, const int64_t* shape, int ndim);
CT_API ct_tensor ct_view(ct_tensor a, const int64_t* shape, int ndim);
CT_API ct_tensor ct_expand(ct_tensor a, const int64_t* shape, int ndim);
CT_API ct_tensor ct_repeat(ct_tensor a, const int64_t* repeats, int ndim);
CT_API ct_tensor ct_permute(ct_tensor a, const int64_t* dims, int ndim);
CT_API ct_tensor ct_transpose(ct_tensor a, int64_t d0, int64_t d1);
CT_API ct_tensor ct_unsqueeze(ct_tensor a, int64_t dim);
CT_API ct_tensor ct_squeeze(ct_tensor a, int64_t dim);
CT_API ct_tensor ct_flatten(ct_tensor a, int64_t start, int64_t end);
CT_API ct_tensor ct_cat(const ct_tensor* ts, int n, int64_t dim);
CT_API ct_tensor ct_stack(const ct_tensor* ts, int n, int64_t dim);

/* autograd */
CT_API int ct_backward(ct_tensor t, ct_tensor grad /* may be NULL */, int retain_graph, int create_graph);
CT_API ct_tensor ct_grad(ct_tensor t);                                   /* NULL without error if undefined */
CT_API int ct_zero_grad(ct_tensor t);                                    /* sets .grad undefined */
CT_API int ct_autograd_grad(const ct_tensor* outputs, int n_out, const ct_tensor* inputs, int n_in,
                            const ct_tensor* grad_outputs /* may be NULL */, int retain_graph, int create_graph,
                            int allow_unused, ct_tensor* results /* n_in handles; NULL where unused */);

/* optimisation: the update formulas of torch.optim.Adam / AdamW (amsgrad off), applied in one call.
 * State tensors are owned by the caller so that checkpoints can save them. step is 1-based. */
CT_API int ct_adam_step(const ct_tensor* params, const ct_tensor* exp_avg, const ct_tensor* exp_avg_sq, int n,
                        int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay,
                        int decoupled);
CT_API int ct_clip_grad_norm(const ct_tensor* params, int n, double max_norm, double norm_type, double* total_norm);

#ifdef __cplusplus
}
#endif
#endif
