// smt: command-line front end. All work happens in the library; each
// subcommand is one file (cmd_*.cpp, demo_command.cpp); this file dispatches
// and turns smt::Error into a message and an exit code.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <new>
#include <vector>

#include "command.h"
#include "demo_command.h"
#include "smt/core/error.h"

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
  try {
    for (const auto& command : commands)
      if (command->selected()) return command->run();
    if (demo.selected()) return demo.run();
  } catch (const smt::Error& e) {
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
