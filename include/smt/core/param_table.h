// A table of the parameters of an options struct: each declared once with its
// kebab-case name, bounds, choices, help and scope; the default is read from
// a default-constructed struct (its member initialisers), so it is written
// once and the help text's "(default X)" is generated from it. The table
// reads and writes the struct as JSON with type and bound checks, and feeds
// the command line (apps/cli_params.h), config files and validation.
//
//   struct Opts { int size = 8; double tol = 1e-3; Mode mode = Mode::kA; };
//   const smt::ParamTable<Opts>& opts_params() {
//     static const auto table = smt::ParamTable<Opts>()
//         .integer("size", &Opts::size, 1, 64, smt::ParamScope::kModel, "side in pixels")
//         .real("tol", &Opts::tol, 1e-12, 1, smt::ParamScope::kModel, "tolerance")
//         .choice<Mode>("mode", &Opts::mode, {{"a", Mode::kA}, {"b", Mode::kB}},
//                       smt::ParamScope::kRun, "the mode");
//     return table;
//   }
//
// The header needs only nlohmann/json_fwd.hpp; a table is instantiated where
// <nlohmann/json.hpp> is included (the class bodies use JSON through the
// defaulted template parameter Json, so they are compiled there).
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smt {

// What a parameter belongs to, which decides where it may change:
// kModel: fixed by a fitted model (changing it needs a new fit);
// kEval: applies when a model is evaluated (k-NN), may differ per evaluation;
// kExec: how a fit or transform executes (seed, threads, batch size): every
//        front end that fits or transforms takes them, the Python estimator too;
// kRun: a property of one command-line run over dataset files (which images
//       are read, the k-NN's memory budget).
enum class ParamScope { kModel, kEval, kExec, kRun };

// "model", "eval", "exec", "run".
const char* scope_name(ParamScope scope);

// What every parameter declares, independent of the struct it belongs to.
struct ParamInfo {
  std::string name;          // kebab-case, as on the command line and in JSON
  std::string description;   // hand-written, one line, without the default
  std::string help;          // description + " (default X)", X from the default struct
  std::string default_text;  // X
  std::string type;          // "int", "float", "bool", "choice"
  std::vector<std::string> choices;
  double min = 0, max = 0;  // inclusive bounds for numbers
  ParamScope scope = ParamScope::kRun;

  bool is_number() const { return type == "int" || type == "float"; }
};

// A parameter of an options struct T: how to read and write it as JSON.
template <class T>
struct ParamSpecT : ParamInfo {
  std::function<nlohmann::json(const T&)> get;
  std::function<void(T&, const nlohmann::json&)> set;  // checks type and bounds
};

namespace detail {
// The checks behind the table (param_table.cpp), throwing smt::Error that
// names the parameter with smt::param(p.name).
double number_from_json(const ParamInfo& p, const nlohmann::json& j);
bool bool_from_json(const ParamInfo& p, const nlohmann::json& j);
std::size_t choice_from_json(const ParamInfo& p, const nlohmann::json& j);  // index in choices
void check_number(const ParamInfo& p, double v);
// How the help text writes a value: 8192, 0.001, 1e-6, true, all.
std::string value_text(const nlohmann::json& v);
[[noreturn]] void unknown_parameter(const std::string& origin, const std::string& key,
                                    std::string_view hint);
[[noreturn]] void not_an_object(const std::string& origin);
// Runs f; an smt::Error it throws is rethrown with "origin: " in front.
void rethrow_with_origin(const std::string& origin, const std::function<void()>& f);
}  // namespace detail

// The text of a value as the command line gives it, as JSON of the
// parameter's type (numbers parsed, the rest kept as text for set() to
// check); throws smt::Error naming the parameter.
nlohmann::json param_value_from_text(const ParamInfo& p, const std::string& text);

template <class T, class Json = nlohmann::json>
class ParamTable {
 public:
  using Spec = ParamSpecT<T>;

  // Integer member (int, std::int64_t, std::uint64_t, ...) in [lo, hi].
  template <class I>
  ParamTable& integer(std::string name, I T::*member, double lo, double hi, ParamScope scope,
                      std::string description) {
    Spec p = info(std::move(name), "int", lo, hi, scope, std::move(description));
    p.get = [member](const T& c) { return Json(c.*member); };
    p.set = [member, pi = static_cast<const ParamInfo&>(p)](T& c, const Json& j) {
      c.*member = static_cast<I>(detail::number_from_json(pi, j));
    };
    return add(std::move(p));
  }

  // Floating-point member in [lo, hi] (finite).
  ParamTable& real(std::string name, double T::*member, double lo, double hi, ParamScope scope,
                   std::string description) {
    Spec p = info(std::move(name), "float", lo, hi, scope, std::move(description));
    p.get = [member](const T& c) { return Json(c.*member); };
    p.set = [member, pi = static_cast<const ParamInfo&>(p)](T& c, const Json& j) {
      c.*member = detail::number_from_json(pi, j);
    };
    return add(std::move(p));
  }

  // true/false; also the strings "true" "1" "on" and "false" "0" "off".
  ParamTable& boolean(std::string name, bool T::*member, ParamScope scope,
                      std::string description) {
    Spec p = info(std::move(name), "bool", 0, 0, scope, std::move(description));
    p.get = [member](const T& c) { return Json(c.*member); };
    p.set = [member, pi = static_cast<const ParamInfo&>(p)](T& c, const Json& j) {
      c.*member = detail::bool_from_json(pi, j);
    };
    return add(std::move(p));
  }

  // One of named values (an enum), written as its name.
  template <class E>
  ParamTable& choice(std::string name, E T::*member, std::vector<std::pair<std::string, E>> options,
                     ParamScope scope, std::string description) {
    Spec p = info(std::move(name), "choice", 0, 0, scope, std::move(description));
    for (const auto& o : options) p.choices.push_back(o.first);
    p.get = [member, options](const T& c) {
      for (const auto& o : options)
        if (o.second == c.*member) return Json(o.first);
      return Json(nullptr);
    };
    p.set = [member, options, pi = static_cast<const ParamInfo&>(p)](T& c, const Json& j) {
      c.*member = options[detail::choice_from_json(pi, j)].second;
    };
    return add(std::move(p));
  }

  // In declaration order.
  const std::vector<Spec>& specs() const { return specs_; }

  const Spec* find(std::string_view name) const {
    for (const auto& p : specs_)
      if (p.name == name) return &p;
    return nullptr;
  }

  // Every parameter, in declaration order.
  Json to_json(const T& values) const {
    Json j = Json::object();
    for (const auto& p : specs_) j[p.name] = p.get(values);
    return j;
  }

  // Sets every key present in j; keys starting with "_" are annotations and
  // skipped; an unknown key is an error naming it (followed by `hint`). Errors
  // are prefixed with origin ("config file 'x.json'", "command line").
  void update_from_json(T& values, const Json& j, const std::string& origin,
                        std::string_view hint = {}) const {
    if (!j.is_object()) detail::not_an_object(origin);
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key().rfind('_', 0) == 0) continue;  // "_comment" and similar annotations
      const Spec* p = find(it.key());
      if (p == nullptr) detail::unknown_parameter(origin, it.key(), hint);
      detail::rethrow_with_origin(origin, [&] { p->set(values, it.value()); });
    }
  }

  // The bounds of every number (set() checks them; this is for values set in
  // code).
  void check_bounds(const T& values) const {
    for (const auto& p : specs_)
      if (p.is_number()) detail::check_number(p, p.get(values).template get<double>());
  }

 private:
  Spec info(std::string name, const char* type, double lo, double hi, ParamScope scope,
            std::string description) const {
    Spec p;
    p.name = std::move(name);
    p.type = type;
    p.min = lo;
    p.max = hi;
    p.scope = scope;
    p.description = std::move(description);
    return p;
  }

  ParamTable& add(Spec p) {
    p.default_text = detail::value_text(p.get(T{}));
    p.help = p.description + " (default " + p.default_text + ")";
    specs_.push_back(std::move(p));
    return *this;
  }

  std::vector<Spec> specs_;
};

}  // namespace smt
