// SIGINT and SIGTERM for the command line. The first signal asks the run to
// stop: the observer reports it at the library's next cancellation point (an
// image, a batch, a k-NN chunk, an eigensolver step), the library unwinds
// (temporary files are removed on the way) and main exits 128 + the signal
// number (130, 143). A second signal ends the process at once. SIGXFSZ is
// ignored, so that a file-size limit fails a write with an error.
#pragma once

#include <memory>

#include "smt/core/observer.h"

namespace smt_cli {

class SignalStop {
 public:
  SignalStop();   // installs the handlers
  ~SignalStop();  // restores the previous ones
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;
  // 0, or the first signal received since the handlers were installed.
  static int received();
};

// Forwards to `inner` (null: silent) and cancels once a signal arrived.
class SignalObserver : public smt::Observer {
 public:
  explicit SignalObserver(std::shared_ptr<smt::Observer> inner) : inner_(std::move(inner)) {}
  void log(const std::string& line) override {
    if (inner_) inner_->log(line);
  }
  void progress(const std::string& what, std::int64_t done, std::int64_t total,
                double elapsed_seconds) override {
    if (inner_) inner_->progress(what, done, total, elapsed_seconds);
  }
  void finished(const std::string& what, std::int64_t total, double seconds) override {
    if (inner_) inner_->finished(what, total, seconds);
  }
  bool cancelled() override {
    return SignalStop::received() != 0 || (inner_ && inner_->cancelled());
  }

 private:
  std::shared_ptr<smt::Observer> inner_;
};

}  // namespace smt_cli
