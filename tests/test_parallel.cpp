// smt::parallel_for (core/parallel.h): exceptions thrown by the body on any
// worker reach the caller unchanged, the lowest failing item wins whatever the
// timing, per-thread states come back in thread order, and the static schedule
// hands out each item exactly once in contiguous ranges.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "smt/core/parallel.h"

namespace smt {
namespace {

// An exception type of the test's own, so that rethrowing it as something else
// (std::exception, std::runtime_error) shows.
struct BodyError : std::runtime_error {
  BodyError(const std::string& what, std::size_t at) : std::runtime_error(what), item(at) {}
  std::size_t item;
};

constexpr int kThreads = 4;
const Schedule kSchedules[] = {Schedule::fixed(), Schedule::dynamic(1), Schedule::dynamic(7)};

std::string name(const Schedule& s) {
  return s.kind == Schedule::kStatic ? "static" : "dynamic " + std::to_string(s.chunk);
}

TEST(Parallel, ExceptionOnAWorkerReachesTheCallerWithItsTypeAndMessage) {
  // Static schedule: item 950 lies in the last thread's range, so a worker,
  // not the calling thread, throws.
  try {
    parallel_for(kThreads, 0, 1000, Schedule::fixed(), [&](std::size_t i) {
      if (i == 950) {
        EXPECT_NE(omp_get_thread_num(), 0);
        throw BodyError("item " + std::to_string(i) + " failed", i);
      }
    });
    ADD_FAILURE() << "no exception reached the caller";
  } catch (const BodyError& e) {
    EXPECT_EQ(e.item, 950u);
    EXPECT_EQ(std::string(e.what()), "item 950 failed");
  } catch (...) {
    ADD_FAILURE() << "the exception changed type";
  }
  // Dynamic schedules: every item a worker thread gets fails (the items are
  // slow enough that the workers get some).
  for (const Schedule& s : {Schedule::dynamic(1), Schedule::dynamic(7)}) {
    SCOPED_TRACE(name(s));
    try {
      parallel_for(kThreads, 0, 400, s, [&](std::size_t i) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        if (omp_get_thread_num() != 0) throw BodyError("item " + std::to_string(i) + " failed", i);
      });
      ADD_FAILURE() << "no exception reached the caller";
    } catch (const BodyError& e) {
      EXPECT_EQ(std::string(e.what()), "item " + std::to_string(e.item) + " failed");
    } catch (...) {
      ADD_FAILURE() << "the exception changed type";
    }
  }
}

TEST(Parallel, TheLowestFailingItemWins) {
  for (const Schedule& s : kSchedules) {
    for (int repeat = 0; repeat < 20; ++repeat) {
      SCOPED_TRACE(name(s) + ", repeat " + std::to_string(repeat));
      std::atomic<int> ran{0};
      try {
        // Every item from 300 on fails; items in other threads' ranges fail
        // first in time. The caller must always see item 300.
        parallel_for(kThreads, 0, 1000, s, [&](std::size_t i) {
          ran.fetch_add(1);
          if (i == 300 || (i > 300 && i % 7 == 0)) throw BodyError("item " + std::to_string(i), i);
        });
        ADD_FAILURE() << "no exception reached the caller";
      } catch (const BodyError& e) {
        EXPECT_EQ(e.item, 300u) << e.what();
      }
      // Items below the failure still ran.
      EXPECT_GE(ran.load(), 301);
    }
  }
}

TEST(Parallel, AFailingMakeStateIsReported) {
  try {
    parallel_for(
        kThreads, 0, 100, Schedule::fixed(), []() -> int { throw BodyError("no state", 0); },
        [](int&, std::size_t) { ADD_FAILURE() << "a body ran without a state"; });
    ADD_FAILURE() << "no exception reached the caller";
  } catch (const BodyError& e) {
    EXPECT_EQ(std::string(e.what()), "no state");
  }
}

TEST(Parallel, StatesComeBackInThreadOrder) {
  for (const Schedule& s : kSchedules) {
    SCOPED_TRACE(name(s));
    struct State {
      int thread = -1;
      std::vector<std::size_t> items;
    };
    const auto states = parallel_for(
        kThreads, 0, 400, s,
        [] {
          return State{omp_get_thread_num(), {}};
        },
        [](State& st, std::size_t i) {
          EXPECT_EQ(st.thread, omp_get_thread_num()) << "a state used on another thread";
          st.items.push_back(i);
        });
    ASSERT_GE(states.size(), 1u);
    ASSERT_LE(states.size(), static_cast<std::size_t>(kThreads));
    std::size_t total = 0;
    for (std::size_t t = 0; t < states.size(); ++t) {
      EXPECT_EQ(states[t].thread, static_cast<int>(t)) << "state " << t;
      total += states[t].items.size();
    }
    EXPECT_EQ(total, 400u);
  }
}

TEST(Parallel, StaticScheduleCoversEveryItemOnceInContiguousRanges) {
  for (const std::size_t begin : {std::size_t{0}, std::size_t{17}}) {
    for (const std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{5},
                                std::size_t{1000}, std::size_t{1001}}) {
      SCOPED_TRACE("begin " + std::to_string(begin) + ", n " + std::to_string(n));
      std::vector<std::atomic<int>> hits(n);
      const auto states = parallel_for(
          kThreads, begin, begin + n, Schedule::fixed(), [] { return std::vector<std::size_t>{}; },
          [&](std::vector<std::size_t>& mine, std::size_t i) {
            ASSERT_GE(i, begin);
            ASSERT_LT(i, begin + n);
            hits[i - begin].fetch_add(1);
            mine.push_back(i);
          });
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "item " << begin + i;
      // Concatenating the threads' items in thread order gives begin .. end - 1:
      // each thread's range is contiguous and ranges follow thread order.
      std::vector<std::size_t> order;
      for (const auto& mine : states) order.insert(order.end(), mine.begin(), mine.end());
      ASSERT_EQ(order.size(), n);
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(order[i], begin + i);
    }
  }
}

TEST(Parallel, DynamicScheduleCoversEveryItemOnce) {
  std::vector<std::atomic<int>> hits(999);
  parallel_for(kThreads, 0, hits.size(), Schedule::dynamic(5),
               [&](std::size_t i) { hits[i].fetch_add(1); });
  for (std::size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].load(), 1) << "item " << i;
}

TEST(Parallel, OneThreadRunsEverythingInOrderOnTheCaller) {
  for (const int threads : {1, 0, -3}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    std::vector<std::size_t> order;
    const auto states = parallel_for(
        threads, 5, 25, Schedule::dynamic(3), [] { return 0; },
        [&](int& count, std::size_t i) {
          EXPECT_FALSE(omp_in_parallel() && omp_get_num_threads() > 1);
          order.push_back(i);
          ++count;
        });
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0], 20);
    ASSERT_EQ(order.size(), 20u);
    for (std::size_t k = 0; k < order.size(); ++k) EXPECT_EQ(order[k], 5 + k);
    // Exceptions pass unchanged on the caller's own thread too.
    EXPECT_THROW(parallel_for(threads, 0, 10, Schedule::fixed(),
                              [](std::size_t i) {
                                if (i == 4) throw BodyError("four", i);
                              }),
                 BodyError);
  }
}

TEST(Parallel, EmptyRangeRunsNothing) {
  for (const Schedule& s : kSchedules) {
    for (const auto& [begin, end] : {std::pair<std::size_t, std::size_t>{0, 0}, {7, 7}, {9, 3}}) {
      SCOPED_TRACE(name(s) + ", [" + std::to_string(begin) + ", " + std::to_string(end) + ")");
      int calls = 0;
      const auto states = parallel_for(
          kThreads, begin, end, s, [] { return 1; }, [&](int&, std::size_t) { ++calls; });
      EXPECT_EQ(calls, 0);
      // One state per thread of the team that ran (possibly just the caller),
      // none with work.
      EXPECT_GE(states.size(), 1u);
      for (const int st : states) EXPECT_EQ(st, 1);
      parallel_for(kThreads, begin, end, s, [&](std::size_t) { ++calls; });
      EXPECT_EQ(calls, 0);
    }
  }
}

}  // namespace
}  // namespace smt
