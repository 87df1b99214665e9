// `smt demo circle|disk`: the synthetic-manifold figures (manifold_demo.h).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

namespace smt_cli {

class DemoCommand {
 public:
  explicit DemoCommand(CLI::App& app);  // registers the subcommand
  ~DemoCommand();
  bool selected() const;
  int run() const;  // throws smt::Error

 private:
  struct Options;
  std::unique_ptr<Options> o_;
  CLI::App* cmd_ = nullptr;
};

}  // namespace smt_cli
