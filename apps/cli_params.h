// Command-line options of the pipeline's parameters (config.h's table):
// registration on a CLI11 subcommand and resolution into a Config.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "smt/core/config.h"

namespace smt_cli {

// Options shared by the subcommands, bound to one CLI11 subcommand.
struct CommonOptions {
  std::string config_file;
  std::string data_dir;
  std::string metrics_file;
  bool quiet = false;
  std::map<std::string, std::string> params;  // hyper-parameters given on the command line
};

void add_param_options(CLI::App* cmd, CommonOptions& o, bool model_params);

// The configuration: `base`, then --config FILE, then the command line; validated.
smt::Config resolve_config(const CommonOptions& o, const smt::Config& base);

}  // namespace smt_cli
