// A caching CPU allocator. libtorch's default CPU allocator returns every block to malloc, and glibc
// serves blocks above 128 KiB-32 MiB with fresh mmap pages: a batch-1024 Q-network step allocates
// ~3 GB of activations, so every step paid ~1 M page faults (kernel page clearing was the largest
// single cost after the matmuls), and the first steps varied 5x with heap layout. Here blocks of
// 64 KiB and more are kept in a size-ordered free list (4 size classes per power of two) up to a byte
// limit and reused best-fit, as PyTorch's CUDA caching allocator does on GPUs. Small blocks go
// straight to malloc, which handles them well.
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <cstdlib>
#include <mutex>
#include <map>
#include "common.h"

namespace {
constexpr size_t kAlign = 64;              // c10's CPU alignment; also the header size
constexpr size_t kMinCached = 64 << 10;

size_t size_class(size_t n) {
  if (n < kMinCached) return n;
  size_t p = size_t{1} << (63 - __builtin_clzll(n));
  size_t step = p / 4;
  return (n + step - 1) / step * step;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const override {
    void* data = acquire(size_class(n));
    return {data, data, &Release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }

  void set_limit(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = bytes;
    trim_locked(limit_);
  }
  size_t cached() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }
  void empty() {
    std::lock_guard<std::mutex> lock(mu_);
    trim_locked(0);
  }
  static CachingCpuAllocator& instance() {
    static auto* a = new CachingCpuAllocator();  // never destroyed: tensors may outlive static teardown
    return *a;
  }

 private:
  // Layout: [header: size class | pad to 64][data]; the data pointer is also the deleter's context.
  void* acquire(size_t cls) const {
    if (cls >= kMinCached) {
      std::lock_guard<std::mutex> lock(mu_);
      // Best fit among cached blocks up to 1.5x the request: batches of graphs differ in size from step to
      // step, and an exact-class match alone let the cache fill with near-miss blocks.
      auto it = free_.lower_bound(cls);
      if (it != free_.end() && it->first <= cls + cls / 2) {
        void* data = it->second;
        cached_ -= it->first;
        free_.erase(it);
        return data;
      }
    }
    void* base = nullptr;
    if (posix_memalign(&base, kAlign, cls + kAlign) != 0 || base == nullptr)
      throw std::bad_alloc();
    *static_cast<size_t*>(base) = cls;
    return static_cast<char*>(base) + kAlign;
  }

  static void Release(void* data) {
    if (data == nullptr) return;
    void* base = static_cast<char*>(data) - kAlign;
    size_t cls = *static_cast<size_t*>(base);
    if (cls >= kMinCached) {
      auto& self = instance();
      std::lock_guard<std::mutex> lock(self.mu_);
      if (self.cached_ + cls <= self.limit_) {
        self.free_.emplace(cls, data);
        self.cached_ += cls;
        return;
      }
    }
    std::free(base);
  }

  void trim_locked(size_t keep) const {
    // Largest blocks first.
    while (cached_ > keep && !free_.empty()) {
      auto it = std::prev(free_.end());
      std::free(static_cast<char*>(it->second) - kAlign);
      cached_ -= it->first;
      free_.erase(it);
    }
  }

  mutable std::mutex mu_;
  mutable std::multimap<size_t, void*> free_;  // size class -> data pointer
  mutable size_t cached_ = 0;
  size_t limit_ = size_t{4} << 30;
};
}  // namespace

extern "C" {

int ct_use_caching_cpu_allocator(int64_t limit_bytes) {
  CT_TRY_STATUS({
    auto& a = CachingCpuAllocator::instance();
    a.set_limit(limit_bytes < 0 ? 0 : static_cast<size_t>(limit_bytes));
    c10::SetCPUAllocator(&a, /*priority=*/1);
  })
}

int64_t ct_cpu_cache_bytes(void) { return static_cast<int64_t>(CachingCpuAllocator::instance().cached()); }

void ct_cpu_cache_empty(void) { CachingCpuAllocator::instance().empty(); }

}  // extern "C"
