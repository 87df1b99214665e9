#include "cli_params.h"

#include <nlohmann/json.hpp>

#include "smt/core/error.h"

namespace smt_cli {

using json = nlohmann::json;
using smt::ParamScope;

namespace {

const char* command_name(Command c) {
  switch (c) {
    case Command::kRun:
      return "run";
    case Command::kFit:
      return "fit";
    case Command::kEval:
      return "eval";
    case Command::kEmbed:
      return "embed";
  }
  return "?";
}

// eval and embed start from a fitted model's configuration.
bool from_model(Command c) {
  return c == Command::kEval || c == Command::kEmbed;
}

// Whether the command line may set a parameter of this scope.
bool settable(Command c, ParamScope s) {
  switch (c) {
    case Command::kRun:
    case Command::kFit:
      return true;
    case Command::kEval:
      return s != ParamScope::kModel;
    case Command::kEmbed:
      return s == ParamScope::kExec || s == ParamScope::kRun;
  }
  return false;
}

std::string group_of(Command c, ParamScope s) {
  if (s == ParamScope::kModel && from_model(c))
    return "Fixed by the model file (an error here; fit a new model with smt fit to change them)";
  if (s == ParamScope::kEval && c == Command::kEmbed)
    return "Used only by the k-NN evaluation (smt run, smt eval; an error here)";
  switch (s) {
    case ParamScope::kModel:
      return "Model parameters (a fitted model keeps them)";
    case ParamScope::kEval:
      return "Evaluation parameters (k-NN)";
    case ParamScope::kExec:
      return "Execution parameters";
    case ParamScope::kRun:
      return "Run parameters";
  }
  return "Options";
}

// A value as a message shows it: 'all', 64, 0.001.
std::string shown(const json& v) {
  const std::string t = smt::detail::value_text(v);
  return v.is_string() ? "'" + t + "'" : t;
}

}  // namespace

CLI::Option* add_param_option(CLI::App* cmd, const smt::ParamInfo& p,
                              std::map<std::string, std::string>& values, const std::string& group,
                              const std::string& help_text) {
  std::string help = help_text.empty() ? p.help : help_text;
  if (!p.choices.empty()) {
    help += " {";
    for (std::size_t i = 0; i < p.choices.size(); ++i) help += (i ? "," : "") + p.choices[i];
    help += "}";
  }
  // Stored as text and converted through the parameter table, so bounds and
  // types are checked in one place for CLI, config files and library users.
  auto* opt = cmd->add_option_function<std::string>(
      "--" + p.name, [&values, name = p.name](const std::string& v) { values[name] = v; }, help);
  opt->type_name(p.type == "choice" ? "CHOICE"
                 : p.type == "bool" ? "BOOL"
                 : p.type == "int"  ? "INT"
                                    : "FLOAT");
  opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last value wins
  opt->group(group);
  return opt;
}

void add_param_options(CLI::App* cmd, CommonOptions& o, Command command) {
  o.command = command;
  cmd->add_option("--config", o.config_file, "JSON file of parameters (command-line values win)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--quiet,-q", o.quiet, "no progress on stderr");
  // Groups in this order in the help: what the command may change first.
  for (ParamScope s :
       {ParamScope::kModel, ParamScope::kEval, ParamScope::kExec, ParamScope::kRun}) {
    if (!settable(command, s)) continue;
    for (const auto& p : smt::param_specs()) {
      if (p.scope != s) continue;
      // eval and embed start from the model's values, not Config{}'s.
      const std::string help = from_model(command)
                                   ? p.description + " (default: the model's; " + p.default_text +
                                         " unless fitted otherwise)"
                                   : p.help;
      add_param_option(cmd, p, o.params, group_of(command, s), help);
    }
  }
  for (ParamScope s :
       {ParamScope::kModel, ParamScope::kEval, ParamScope::kExec, ParamScope::kRun}) {
    if (settable(command, s)) continue;
    for (const auto& p : smt::param_specs())
      if (p.scope == s) add_param_option(cmd, p, o.params, group_of(command, s));
  }
}

smt::Config resolve_config(const CommonOptions& o, const smt::Config& base) {
  // What the command may not change, before any value is read: the reason
  // is more useful than a complaint about the value.
  for (const auto& [name, text] : o.params) {
    const smt::ParamSpec* p = smt::find_param(name);
    SMT_CHECK(p != nullptr, "unknown parameter --", name);
    if (settable(o.command, p->scope)) continue;
    if (p->scope == ParamScope::kModel)
      SMT_THROW(smt::param(name), " is fixed by the model file (it was fitted with ",
                shown(p->get(base)), "); fit a new model with smt fit to change it");
    SMT_THROW(smt::param(name), " applies only to the k-NN evaluation (smt run, smt eval); smt ",
              command_name(o.command), " does not use it");
  }
  smt::Config c = base;
  if (!o.config_file.empty()) {
    c.load_file(o.config_file);
    // A file shared with smt fit may repeat the model's values, not change them.
    if (from_model(o.command)) {
      for (const auto& p : smt::param_specs()) {
        if (p.scope != ParamScope::kModel) continue;
        const json fitted = p.get(base), given = p.get(c);
        SMT_CHECK(given == fitted, "config file '", o.config_file, "': ", smt::param(p.name), " = ",
                  shown(given), " differs from the model file, which fixes it (it was fitted with ",
                  shown(fitted),
                  "); fit a new model with smt fit to change it, or leave it out of "
                  "the file");
      }
    }
  }
  json overrides = json::object();
  for (const auto& [name, text] : o.params)
    overrides[name] = smt::param_value_from_text(*smt::find_param(name), text);
  c.update_from_json(overrides, "command line");
  c.validate();
  return c;
}

}  // namespace smt_cli
