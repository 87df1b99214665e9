#include "smt/core/context.h"

#include <omp.h>

#include <cstdio>

namespace smt {

int Context::num_threads() const {
  return threads > 0 ? threads : omp_get_max_threads();
}

void Context::log(const std::string& message) const {
  if (!verbose) return;
  double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "[smt %7.1fs] %s\n", t, message.c_str());
}

Progress::Progress(const Context& ctx, std::string what, std::int64_t total, double interval_s)
    : ctx_(ctx),
      what_(std::move(what)),
      total_(total),
      interval_s_(interval_s),
      begin_(std::chrono::steady_clock::now()),
      last_(begin_) {}

void Progress::update(std::int64_t done) {
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_).count() < interval_s_) return;
  last_ = now;
  double elapsed = std::chrono::duration<double>(now - begin_).count();
  double eta =
      done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0;
  char buf[256];
  std::snprintf(
      buf, sizeof buf, "%s: %lld/%lld (%.0f%%), %.0fs elapsed, ETA %.0fs", what_.c_str(),
      static_cast<long long>(done), static_cast<long long>(total_),
      total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0, elapsed,
      eta);
  ctx_.log(buf);
}

void Progress::finish() {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s: %lld done in %.1fs", what_.c_str(),
                static_cast<long long>(total_), elapsed);
  ctx_.log(buf);
}

}  // namespace smt
