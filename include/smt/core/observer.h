// What a running fit or transform tells the caller, and how the caller can
// stop it: the library never writes to stderr itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace smt {

class Observer {
 public:
  virtual ~Observer() = default;
  // A line of the run's log (a stage finished, a size chosen).
  virtual void log(const std::string& /*line*/) {}
  // `done` of `total` items of the loop `what` are finished; called from the
  // thread that runs the loop, once per batch.
  virtual void progress(const std::string& /*what*/, std::int64_t /*done*/, std::int64_t /*total*/,
                        double /*elapsed_seconds*/) {}
  // A loop finished `total` items in `seconds`.
  virtual void finished(const std::string& /*what*/, std::int64_t /*total*/, double /*seconds*/) {}
  // Polled at every progress point and inside long parallel loops (so it may
  // be called from worker threads, concurrently: keep it thread-safe and
  // cheap); true stops the run with smt::Cancelled.
  virtual bool cancelled() { return false; }
};

// The command line's observer: log lines and progress (at most every
// `interval_s` seconds per loop, with rate and ETA) on a stdio stream, each
// prefixed with the seconds since construction.
class StreamObserver : public Observer {
 public:
  explicit StreamObserver(std::FILE* out = stderr, double interval_s = 5.0);
  void log(const std::string& line) override;
  void progress(const std::string& what, std::int64_t done, std::int64_t total,
                double elapsed_seconds) override;
  void finished(const std::string& what, std::int64_t total, double seconds) override;

 private:
  std::FILE* out_;
  double interval_s_;
  std::chrono::steady_clock::time_point start_, last_progress_;
  std::string last_what_;
};

}  // namespace smt
