// The parameter table as Python sees it: one dict per parameter (name in
// the table and as a keyword argument, type, default, bounds, choices, scope,
// help), so the Python layer declares nothing a second time.
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include "py_bindings.h"
#include "smt/core/config.h"

namespace py = pybind11;

namespace smt_py {

namespace {

std::string python_name(const std::string& table_name) {
  std::string s = table_name;
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

}  // namespace

void bind_params(py::module_& m) {
  m.def(
      "param_table",
      [] {
        const smt::Config defaults;
        py::list out;
        for (const auto& p : smt::param_specs()) {
          py::dict d;
          d["name"] = python_name(p.name);
          d["table_name"] = p.name;
          d["type"] = p.type;
          d["scope"] = smt::scope_name(p.scope);
          d["description"] = p.description;
          d["help"] = p.help;
          d["choices"] = p.choices;
          // Defaults travel as JSON text: exact for every integer and double.
          d["default_json"] = p.get(defaults).dump();
          if (p.is_number()) {
            d["min"] = p.min;
            d["max"] = p.max;
          } else {
            d["min"] = py::none();
            d["max"] = py::none();
          }
          out.append(d);
        }
        return out;
      },
      "Every parameter of the C++ table (src/core/config.cpp), in table order.");
  m.def(
      "check_params",
      [](const std::string& params_json) {
        smt::Config c;
        c.update_from_json(nlohmann::json::parse(params_json), "parameters");
        c.validate();
        return c.to_json().dump();
      },
      "Validates a JSON object of parameters (table names) and returns the full resolved "
      "configuration as JSON; raises smt.Error naming the parameter.");
}

}  // namespace smt_py
