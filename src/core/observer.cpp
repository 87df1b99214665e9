#include "smt/core/observer.h"

namespace smt {

StreamObserver::StreamObserver(std::FILE* out, double interval_s)
    : out_(out),
      interval_s_(interval_s),
      start_(std::chrono::steady_clock::now()),
      last_progress_(start_) {}

void StreamObserver::log(const std::string& line) {
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(out_, "[smt %7.1fs] %s\n", t, line.c_str());
}

void StreamObserver::progress(const std::string& what, std::int64_t done, std::int64_t total,
                              double elapsed) {
  const auto now = std::chrono::steady_clock::now();
  if (what != last_what_) {  // a new loop: its first report comes after one interval
    last_what_ = what;
    last_progress_ = now;
    return;
  }
  if (std::chrono::duration<double>(now - last_progress_).count() < interval_s_) return;
  last_progress_ = now;
  const double eta =
      done > 0 ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0;
  char buf[320];
  std::snprintf(buf, sizeof buf, "%s: %lld/%lld (%.0f%%), %.0fs elapsed, ETA %.0fs", what.c_str(),
                static_cast<long long>(done), static_cast<long long>(total),
                total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                elapsed, eta);
  log(buf);
}

void StreamObserver::finished(const std::string& what, std::int64_t total, double seconds) {
  last_what_.clear();
  char buf[320];
  std::snprintf(buf, sizeof buf, "%s: %lld done in %.1fs", what.c_str(),
                static_cast<long long>(total), seconds);
  log(buf);
}

}  // namespace smt
