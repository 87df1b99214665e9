// The observer a Python call runs under: forwards log lines and (rate-limited)
// progress to an optional Python callable, and cancels the run when Python
// has a pending signal (Ctrl-C: KeyboardInterrupt) or the callable raised.
// The exception is kept and raised again once the library call has returned
// (run_released).
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "smt/core/observer.h"

namespace smt_py {

class PyObserver : public smt::Observer {
 public:
  // callback: None, or callable(event, what, done, total, seconds) with event
  // "log" (what = the line), "progress" or "finished". Progress events come at
  // most every interval_s seconds per loop.
  PyObserver(pybind11::object callback, double interval_s);
  ~PyObserver() override;

  void log(const std::string& line) override;
  void progress(const std::string& what, std::int64_t done, std::int64_t total,
                double elapsed_seconds) override;
  void finished(const std::string& what, std::int64_t total, double seconds) override;
  bool cancelled() override;

  // With the GIL held, after the library call: restores the Python exception
  // that cancelled the run, if any; returns whether there was one.
  bool restore_error();

 private:
  // Calls the callback with the GIL; an exception it raises cancels the run.
  void emit(const char* event, const std::string& what, std::int64_t done, std::int64_t total,
            double seconds);
  void keep_error();  // with the GIL: takes Python's pending exception

  pybind11::object callback_;  // touched only with the GIL
  double interval_s_;
  std::thread::id owner_;  // the thread that called into the library (it holds Python's signals)
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;  // guards the fields below and serialises callbacks
  std::chrono::steady_clock::time_point last_check_, last_progress_;
  std::string last_what_;
  PyObject *type_ = nullptr, *value_ = nullptr, *traceback_ = nullptr;  // the kept exception
};

// Runs f with the GIL released under `observer`; a cancellation caused by a
// Python exception re-raises that exception.
void run_released(PyObserver& observer, const std::function<void()>& f);

}  // namespace smt_py
