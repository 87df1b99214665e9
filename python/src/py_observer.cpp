#include "py_observer.h"

#include "smt/core/error.h"

namespace py = pybind11;

namespace smt_py {

namespace {
// How often the calling thread looks for pending signals: Ctrl-C then stops a
// run within one cancellation point plus this.
constexpr auto kSignalPoll = std::chrono::milliseconds(20);
}  // namespace

PyObserver::PyObserver(py::object callback, double interval_s)
    : callback_(std::move(callback)), interval_s_(interval_s), owner_(std::this_thread::get_id()) {}

PyObserver::~PyObserver() {
  if (type_ || value_ || traceback_) {
    py::gil_scoped_acquire gil;
    Py_XDECREF(type_);
    Py_XDECREF(value_);
    Py_XDECREF(traceback_);
  }
}

void PyObserver::keep_error() {
  if (type_ == nullptr) {
    PyErr_Fetch(&type_, &value_, &traceback_);
  } else {
    PyErr_Clear();  // the first exception is the one raised
  }
  cancelled_ = true;
}

void PyObserver::emit(const char* event, const std::string& what, std::int64_t done,
                      std::int64_t total, double seconds) {
  if (callback_.is_none() || cancelled_) return;
  py::gil_scoped_acquire gil;
  try {
    callback_(event, what, done, total, seconds);
  } catch (py::error_already_set& e) {
    e.restore();
    keep_error();
  }
}

void PyObserver::log(const std::string& line) {
  const std::lock_guard<std::mutex> lock(mutex_);
  emit("log", line, 0, 0, 0.0);
}

void PyObserver::progress(const std::string& what, std::int64_t done, std::int64_t total,
                          double elapsed_seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (what == last_what_ &&
      std::chrono::duration<double>(now - last_progress_).count() < interval_s_)
    return;
  last_what_ = what;
  last_progress_ = now;
  emit("progress", what, done, total, elapsed_seconds);
}

void PyObserver::finished(const std::string& what, std::int64_t total, double seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  emit("finished", what, total, total, seconds);
}

bool PyObserver::cancelled() {
  if (cancelled_) return true;
  // Python runs signal handlers only in the main thread; other threads only
  // see the flag that thread set.
  if (std::this_thread::get_id() != owner_) return false;
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < kSignalPoll) return cancelled_;
  last_check_ = now;
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) keep_error();
  return cancelled_;
}

bool PyObserver::restore_error() {
  if (type_ == nullptr) return false;
  PyErr_Restore(type_, value_, traceback_);
  type_ = value_ = traceback_ = nullptr;
  return true;
}

void run_released(PyObserver& observer, const std::function<void()>& f) {
  try {
    py::gil_scoped_release release;
    f();
  } catch (const smt::Cancelled&) {
    if (observer.restore_error()) throw py::error_already_set();
    throw;
  }
  // A signal that arrived after the last cancellation point still counts.
  if (observer.restore_error()) throw py::error_already_set();
}

}  // namespace smt_py
