#include "cli_params.h"

#include <nlohmann/json.hpp>

#include "smt/core/error.h"

namespace smt_cli {

using json = nlohmann::json;

void add_param_options(CLI::App* cmd, CommonOptions& o, bool model_params) {
  cmd->add_option("--config", o.config_file, "JSON file of parameters (command-line values win)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--quiet,-q", o.quiet, "no progress on stderr");
  for (const auto& p : smt::param_specs()) {
    const bool run_level = p.name == "threads" || p.name == "batch-images" ||
                           p.name == "train-limit" || p.name == "test-limit" ||
                           p.name == "validation" || p.name == "seed";
    if (!model_params && !run_level) continue;
    std::string help = p.help;
    if (!p.choices.empty()) {
      help += " {";
      for (std::size_t i = 0; i < p.choices.size(); ++i) help += (i ? "," : "") + p.choices[i];
      help += "}";
    }
    // Stored as text and converted through the parameter table, so bounds and
    // types are checked in one place for CLI, config files and library users.
    auto* opt = cmd->add_option_function<std::string>(
        "--" + p.name, [&o, name = p.name](const std::string& v) { o.params[name] = v; }, help);
    opt->type_name(p.type == "choice" ? "CHOICE"
                   : p.type == "bool" ? "BOOL"
                   : p.type == "int"  ? "INT"
                                      : "FLOAT");
    opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last value wins
  }
}

smt::Config resolve_config(const CommonOptions& o, const smt::Config& base) {
  smt::Config c = base;
  if (!o.config_file.empty()) c.load_file(o.config_file);
  json overrides = json::object();
  for (const auto& [name, text] : o.params) {
    const smt::ParamSpec* p = smt::find_param(name);
    json v;
    if (p->type == "int" || p->type == "float") {
      try {
        std::size_t used = 0;
        double x = std::stod(text, &used);
        SMT_CHECK(used == text.size(), "");
        v = x;
      } catch (...) {
        SMT_THROW("option --", name, " expects a number, got '", text, "'");
      }
    } else {
      v = text;
    }
    overrides[name] = v;
  }
  c.update_from_json(overrides, "command line");
  c.validate();
  return c;
}

}  // namespace smt_cli
