// Explicit run context: threads, seed and progress reporting. No global state.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace smt {

struct Context {
  int threads = 0;         // 0: OpenMP's default (all cores)
  std::uint64_t seed = 0;  // every random choice derives from this
  bool verbose = true;     // progress and stage timings on stderr

  // Number of threads actually used by parallel loops.
  int num_threads() const;
  // Logs a line on stderr (when verbose), prefixed with elapsed time.
  void log(const std::string& message) const;

  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Progress reporter for long loops: prints done/total, rate and ETA on stderr
// at most every `interval_s` seconds. Call update() from one thread only.
class Progress {
 public:
  Progress(const Context& ctx, std::string what, std::int64_t total, double interval_s = 5.0);
  void update(std::int64_t done);
  void finish();

 private:
  const Context& ctx_;
  std::string what_;
  std::int64_t total_;
  double interval_s_;
  std::chrono::steady_clock::time_point begin_, last_;
};

// Wall-clock stopwatch.
class Timer {
 public:
  Timer() : t0_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace smt
