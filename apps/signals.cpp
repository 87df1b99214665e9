#include "signals.h"

#include <csignal>

namespace smt_cli {
namespace {

// A signal handler can reach nothing but objects of static storage: this
// flag is the process's one piece of mutable global state, written only here
// and read through SignalStop::received().
volatile std::sig_atomic_t g_signal = 0;

struct sigaction g_previous_int, g_previous_term;

extern "C" void on_signal(int sig) {
  if (g_signal != 0) {
    // Second signal: the default action, now.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_signal = sig;
}

}  // namespace

SignalStop::SignalStop() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_previous_int);
  sigaction(SIGTERM, &sa, &g_previous_term);
  // A file-size limit (ulimit -f) must fail the write with EFBIG, which the
  // atomic writer reports, instead of killing the process mid-file.
  std::signal(SIGXFSZ, SIG_IGN);
}

SignalStop::~SignalStop() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

int SignalStop::received() {
  return g_signal;
}

}  // namespace smt_cli
