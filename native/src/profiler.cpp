// Per-operator CPU time of everything libtorch runs on the calling thread between ct_profile_begin and
// ct_profile_end, autograd's backward functions included (libtorch's legacy profiler): a text table of
// op name, calls, self and inclusive milliseconds, largest self time first. A diagnostic for benchmarks
// (`bench m3gnet --profile`); the profiler itself costs about a microsecond per op.
#include <torch/csrc/autograd/profiler_legacy.h>
#include <algorithm>
#include <map>
#include <sstream>
#include "common.h"

namespace prof = torch::autograd::profiler;

extern "C" {

int ct_profile_begin(void) {
  CT_TRY_STATUS({ prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU)); })
}

const char* ct_profile_end(void) {
  static thread_local std::string text;
  try {
    auto lists = prof::disableProfilerLegacy();
    struct Stat { int64_t calls = 0; double self = 0, total = 0; };
    std::map<std::string, Stat> stats;
    for (auto& events : lists) {
      struct Open { const prof::LegacyEvent* e; double children; };
      std::vector<Open> stack;
      for (auto& e : events) {
        if (e.kindStr() == "push") {
          stack.push_back({&e, 0.0});
        } else if (e.kindStr() == "pop" && !stack.empty()) {
          auto open = stack.back();
          stack.pop_back();
          double us = open.e->cpuElapsedUs(e);
          auto& s = stats[open.e->name()];
          s.calls++;
          s.total += us;
          s.self += us - open.children;
          if (!stack.empty()) stack.back().children += us;
        }
      }
    }
    std::vector<std::pair<std::string, Stat>> rows(stats.begin(), stats.end());
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second.self > b.second.self; });
    std::ostringstream out;
    out << "op\tcalls\tself_ms\ttotal_ms\n";
    for (auto& [name, s] : rows) out << name << '\t' << s.calls << '\t' << s.self / 1000 << '\t' << s.total / 1000 << '\n';
    text = out.str();
  } catch (const std::exception& e) {
    ct::set_error(e.what());
    return nullptr;
  }
  return text.c_str();
}

}  // extern "C"
