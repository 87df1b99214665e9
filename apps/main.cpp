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
#include "smt/core/communicator.h"
#include "smt/core/error.h"
#ifdef SMT_WITH_MPI
#include "smt/mpi/mpi_session.h"
#endif

namespace {

const char* signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

}  // namespace

#ifdef SMT_WITH_MPI
constexpr const char* kBuildKind = " (distributed mode: MPI)";
#else
constexpr const char* kBuildKind = " (built without MPI: one process only)";
#endif

int main(int argc, char** argv) {
  // Under mpirun every process parses the same command line; MPI starts
  // first so that an error can end all of them.
  std::shared_ptr<const smt::Communicator> comm;
#ifdef SMT_WITH_MPI
  std::unique_ptr<smt::MpiSession> mpi;
  if (smt::launched_by_mpi()) {
    mpi = std::make_unique<smt::MpiSession>(argc, argv);
    comm = mpi->world();
  }
#else
  if (smt::launcher_process_count() > 1) {
    std::fprintf(stderr,
                 "smt: error: this smt was built without MPI, so it cannot be one of the %d "
                 "processes mpirun started; install libopenmpi-dev and openmpi-bin "
                 "(scripts/install-deps.sh) and rebuild, or run smt without mpirun\n",
                 smt::launcher_process_count());
    return 1;
  }
#endif
  const bool distributed = comm && comm->size() > 1;
  // An error on one process ends every process (the others may wait in a
  // collective for it): each reports its own, then MPI's abort ends the run.
  const auto finish = [&](int rc) {
    if (distributed && rc != 0) comm->abort(rc);
    return rc;
  };
  const std::string where =
      distributed ? " on " + smt::process_name(*comm) : std::string();

  CLI::App app{
      "smt: the Sparse Manifold Transform (sparse coding + slowness-seeking spectral "
      "embedding) for images"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(SMT_VERSION_STRING) + kBuildKind);

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
    // Usage errors get the same one-line form as every other error (every
    // process parses the same line: process 0 alone says it).
    if (!distributed || comm->is_root())
      std::fprintf(stderr, "smt: error: %s (see smt --help)\n", e.what());
    return finish(2);
  }
  const smt_cli::SignalStop signals;
  for (const auto& command : commands) command->set_communicator(comm);
  const auto run_selected = [&] {
    for (const auto& command : commands)
      if (command->selected()) return command->run();
    if (demo.selected()) {
      SMT_CHECK(!distributed, "smt demo runs in one process; start it without mpirun");
      return demo.run();
    }
    return 2;
  };
  try {
    const int rc = run_selected();
    if (const int sig = smt_cli::SignalStop::received()) {
      std::fprintf(stderr, "smt: stopped by %s after the outputs were written\n", signal_name(sig));
      return finish(128 + sig);
    }
    return finish(rc);
  } catch (const smt::Error& e) {
    const int sig = smt_cli::SignalStop::received();
    if (sig != 0 && dynamic_cast<const smt::Cancelled*>(&e) != nullptr) {
      std::fprintf(stderr, "smt: stopped by %s%s; no output file was written or changed\n",
                   signal_name(sig), where.c_str());
      return finish(128 + sig);
    }
    std::fprintf(stderr, "smt: error%s: %s\n", where.c_str(),
                 e.message(smt::Spelling::kCli).c_str());
    return finish(1);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "smt: error%s: out of memory; use fewer images or a smaller --dict-size\n",
                 where.c_str());
    return finish(1);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smt: internal error%s: %s\n", where.c_str(), e.what());
    return finish(3);
  }
  return finish(2);
}
