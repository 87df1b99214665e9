// smt: command-line front end. All work happens in the library; each
// subcommand is one file (cmd_*.cpp, demo_command.cpp); this file dispatches
// and turns smt::Error into a message and an exit code.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <new>
#include <vector>

#include "command.h"
#include "demo_command.h"
#include "signals.h"
#include "smt/core/error.h"

namespace {

const char* signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "smt: the Sparse Manifold Transform (sparse coding + slowness-seeking spectral "
      "embedding) for images"};
  app.require_subcommand(1);
  app.set_version_flag("--version", SMT_VERSION_STRING);

  std::vector<std::unique_ptr<smt_cli::Subcommand>> commands;
  commands.push_back(smt_cli::make_run_command(app));
  commands.push_back(smt_cli::make_fit_command(app));
  commands.push_back(smt_cli::make_embed_command(app));
  commands.push_back(smt_cli::make_eval_command(app));
  smt_cli::DemoCommand demo(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors get the same one-line form as every other error.
    std::fprintf(stderr, "smt: error: %s (see smt --help)\n", e.what());
    return 2;
  }
  const smt_cli::SignalStop signals;
  const auto run_selected = [&] {
    for (const auto& command : commands)
      if (command->selected()) return command->run();
    return demo.selected() ? demo.run() : 2;
  };
  try {
    const int rc = run_selected();
    if (const int sig = smt_cli::SignalStop::received()) {
      std::fprintf(stderr, "smt: stopped by %s after the outputs were written\n", signal_name(sig));
      return 128 + sig;
    }
    return rc;
  } catch (const smt::Error& e) {
    const int sig = smt_cli::SignalStop::received();
    if (sig != 0 && dynamic_cast<const smt::Cancelled*>(&e) != nullptr) {
      std::fprintf(stderr, "smt: stopped by %s; no output file was written or changed\n",
                   signal_name(sig));
      return 128 + sig;
    }
    std::fprintf(stderr, "smt: error: %s\n", e.message(smt::Spelling::kCli).c_str());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "smt: error: out of memory; use fewer images or a smaller --dict-size\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smt: internal error: %s\n", e.what());
    return 3;
  }
  return 2;
}
