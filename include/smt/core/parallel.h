// The one helper through which per-item work runs in parallel. An exception
// thrown by the body on any worker stops the remaining items and is rethrown
// on the calling thread (an exception escaping an OpenMP region would end the
// process through std::terminate).
#pragma once

#include <omp.h>

#include <atomic>
#include <cstddef>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <vector>

namespace smt {

// How items are handed to threads. kStatic: contiguous ranges in thread order
// (OpenMP's static schedule, so per-thread partial results merged in thread
// order are reproducible for a given thread count). kDynamic: `chunk` items at
// a time to whichever thread is free (for items of uneven cost).
struct Schedule {
  enum Kind { kStatic, kDynamic } kind = kStatic;
  int chunk = 1;
  static Schedule fixed() { return {kStatic, 0}; }
  static Schedule dynamic(int chunk = 1) { return {kDynamic, chunk}; }
};

namespace detail {

// First failure of a parallel loop: the exception of the lowest failing item.
// Items above a recorded failure are skipped; items below it still run, so
// the error a user sees is the same whatever the thread count and timing.
class FirstFailure {
 public:
  bool skip(std::size_t item) const { return item > first_.load(std::memory_order_relaxed); }
  void record(std::size_t item) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (item < first_.load(std::memory_order_relaxed) || !error_) {
      first_.store(item, std::memory_order_relaxed);
      error_ = std::current_exception();
    }
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<std::size_t> first_{std::numeric_limits<std::size_t>::max()};
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace detail

// The thread count of OpenMP regions that do not name one (set by
// apply_thread_limit in core/context.h).
inline int default_threads() {
  return omp_get_max_threads();
}

// Runs body(state, i) for every i in [begin, end) on up to `threads` threads
// (threads <= 1 or a single item: on the calling thread). Each thread first
// makes its own state with make_state() (scratch buffers, partial sums); the
// states are returned in thread order for a fixed-order merge.
template <typename MakeState, typename Body>
auto parallel_for(int threads, std::size_t begin, std::size_t end, Schedule schedule,
                  MakeState make_state, Body body) -> std::vector<decltype(make_state())> {
  using State = decltype(make_state());
  const int team = threads < 1 ? 1 : threads;
  std::vector<std::optional<State>> states(static_cast<std::size_t>(team));
  detail::FirstFailure failure;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(end > begin ? end - begin : 0);
  const int chunk = schedule.chunk < 1 ? 1 : schedule.chunk;
#pragma omp parallel num_threads(team) if (team > 1 && n > 1)
  {
    const std::size_t t = static_cast<std::size_t>(omp_get_thread_num());
    try {
      states[t].emplace(make_state());
    } catch (...) {
      failure.record(begin);  // this thread runs no item: fail the loop as a whole
    }
    const bool ready = states[t].has_value();
    auto run_item = [&](std::ptrdiff_t r) {
      const std::size_t i = begin + static_cast<std::size_t>(r);
      if (!ready || failure.skip(i)) return;
      try {
        body(*states[t], i);
      } catch (...) {
        failure.record(i);
      }
    };
    if (schedule.kind == Schedule::kStatic) {
#pragma omp for schedule(static)
      for (std::ptrdiff_t r = 0; r < n; ++r) run_item(r);
    } else {
#pragma omp for schedule(dynamic, chunk)
      for (std::ptrdiff_t r = 0; r < n; ++r) run_item(r);
    }
  }
  failure.rethrow();
  std::vector<State> out;
  out.reserve(states.size());
  for (auto& s : states)
    if (s) out.push_back(std::move(*s));
  return out;
}

// Stateless form: body(i) for every i in [begin, end).
template <typename Body>
void parallel_for(int threads, std::size_t begin, std::size_t end, Schedule schedule, Body body) {
  struct None {};
  parallel_for(
      threads, begin, end, schedule, [] { return None{}; },
      [&body](None&, std::size_t i) { body(i); });
}

}  // namespace smt
