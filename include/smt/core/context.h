// Explicit run context: threads, seed and where progress goes. No global state.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "smt/core/communicator.h"
#include "smt/core/observer.h"

namespace smt {

struct Context {
  int threads = 0;         // 0: OpenMP's default (all cores)
  std::uint64_t seed = 0;  // every random choice derives from this (core/rng.h)
  // Receives log lines and progress, and may cancel; null: silent, never cancelled.
  std::shared_ptr<Observer> observer;
  // The processes of a distributed run (core/communicator.h); null: this
  // process alone.
  std::shared_ptr<const Communicator> comm;

  // More than one process shares the work.
  bool distributed() const { return comm && comm->size() > 1; }
  int rank() const { return comm ? comm->rank() : 0; }
  int processes() const { return comm ? comm->size() : 1; }

  // Number of threads actually used by parallel loops.
  int num_threads() const;
  // Passes a line to the observer (if any).
  void log(const std::string& message) const;
  // Throws smt::Cancelled when the observer asks to stop.
  void check_cancelled() const;
};

// Makes `threads` (0: all cores) the thread count of OpenMP regions that do
// not name one and of OpenBLAS, for the calling thread's later work.
void apply_thread_limit(int threads);

// apply_thread_limit for the lifetime of the object; the caller's OpenMP and
// OpenBLAS thread counts come back at its end, so a library call (from
// Python, say) leaves the process's settings as it found them.
class ScopedThreadLimit {
 public:
  explicit ScopedThreadLimit(int threads);
  ~ScopedThreadLimit();
  ScopedThreadLimit(const ScopedThreadLimit&) = delete;
  ScopedThreadLimit& operator=(const ScopedThreadLimit&) = delete;

 private:
  int omp_threads_, blas_threads_;
};

// OpenBLAS at `threads` threads (OpenMP's count untouched) for the lifetime
// of the object. Threaded LAPACK and level-2 BLAS split their sums by thread
// count, so the steps whose bits must not depend on --threads run under
// ScopedBlasThreads(1); level-3 products split their output, not their sums,
// and stay threaded.
class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int threads);
  ~ScopedBlasThreads();
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  int blas_threads_;
};

// Progress of a long loop, reported to the context's observer; each update
// is also a cancellation point. Call update() from one thread only.
class Progress {
 public:
  Progress(const Context& ctx, std::string what, std::int64_t total);
  void update(std::int64_t done);
  void finish();

 private:
  std::shared_ptr<Observer> observer_;  // shared: a Progress may outlive the Context it came from
  std::string what_;
  std::int64_t total_;
  std::chrono::steady_clock::time_point begin_;
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
