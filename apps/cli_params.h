// Command-line options of parameter tables (param_table.h): registration on a
// CLI11 subcommand and resolution into the options struct. The pipeline's
// table (config.h) is shared by run, fit, eval and embed; eval and embed
// start from a fitted model's configuration, which fixes the kModel-scoped
// parameters.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "smt/core/config.h"
#include "smt/core/param_table.h"

namespace smt_cli {

// The commands that take the pipeline's parameters.
enum class Command { kRun, kFit, kEval, kEmbed };

// Options shared by the subcommands, bound to one CLI11 subcommand.
struct CommonOptions {
  std::string config_file;
  std::string data_dir;
  std::string metrics_file;
  bool quiet = false;
  std::map<std::string, std::string> params;  // hyper-parameters given on the command line
  Command command = Command::kRun;            // set by add_param_options
};

// Registers --config, --quiet and every parameter of the table, grouped by
// scope in the help. All are registered on every command: on eval and embed
// a model-fixed parameter (and, on embed, a k-NN one) is accepted by the
// parser only for resolve_config to explain why it cannot be given there.
void add_param_options(CLI::App* cmd, CommonOptions& o, Command command);

// The configuration: `base`, then --config FILE, then the command line;
// validated. On eval and embed (base: the model's configuration) it throws
// smt::Error when a kModel-scoped parameter is given on the command line, or
// in the file with a value other than the model's; on embed, also when a
// kEval-scoped one is given on the command line.
smt::Config resolve_config(const CommonOptions& o, const smt::Config& base);

// Generic registration of a parameter table (used by `smt demo`).

// Registers --NAME for one parameter; the text given is stored in
// values[NAME] (converted and checked later, by the table). help_text
// replaces the parameter's help when not empty; group "" hides it from the
// help.
CLI::Option* add_param_option(CLI::App* cmd, const smt::ParamInfo& p,
                              std::map<std::string, std::string>& values,
                              const std::string& group = "Options",
                              const std::string& help_text = "");

template <class T>
void add_table_options(CLI::App* cmd, const smt::ParamTable<T>& table,
                       std::map<std::string, std::string>& values,
                       const std::string& group = "Options") {
  for (const auto& p : table.specs()) add_param_option(cmd, p, values, group);
}

// Sets the values given on the command line (add_table_options' map) through
// the table, which checks types and bounds; throws smt::Error naming the
// parameter.
template <class T>
void apply_table_options(const smt::ParamTable<T>& table,
                         const std::map<std::string, std::string>& values, T& out) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, text] : values) {
    const auto* p = table.find(name);
    if (p != nullptr) j[name] = smt::param_value_from_text(*p, text);
  }
  table.update_from_json(out, j, "command line");
}

}  // namespace smt_cli
