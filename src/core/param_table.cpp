#include "smt/core/param_table.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "smt/core/error.h"

namespace smt {

using json = nlohmann::json;

const char* scope_name(ParamScope scope) {
  switch (scope) {
    case ParamScope::kModel:
      return "model";
    case ParamScope::kEval:
      return "eval";
    case ParamScope::kExec:
      return "exec";
    case ParamScope::kRun:
      return "run";
  }
  return "?";
}

namespace detail {

namespace {

// Shortest text that reads back as the same double, with a short exponent:
// 0.001, 1e-6, 9007199254740992.
std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  const std::size_t e = s.find('e');
  if (e != std::string::npos) {
    std::size_t digits = e + 1;
    if (digits < s.size() && (s[digits] == '-' || s[digits] == '+')) {
      if (s[digits] == '+')
        s.erase(digits, 1);
      else
        ++digits;
    }
    while (digits + 1 < s.size() && s[digits] == '0') s.erase(digits, 1);
  }
  return s;
}

}  // namespace

void check_number(const ParamInfo& p, double v) {
  SMT_CHECK(std::isfinite(v), "parameter ", param(p.name), " must be a finite number, got ", v);
  SMT_CHECK(v >= p.min && v <= p.max, "parameter ", param(p.name), " = ", number_text(v),
            " is out of range [", number_text(p.min), ", ", number_text(p.max), "]");
  SMT_CHECK(p.type != "int" || v == std::floor(v), "parameter ", param(p.name),
            " must be an integer, got ", number_text(v));
}

double number_from_json(const ParamInfo& p, const json& j) {
  SMT_CHECK(j.is_number(), "parameter ", param(p.name), " must be a number, got ", j.dump());
  const double v = j.get<double>();
  check_number(p, v);
  return v;
}

bool bool_from_json(const ParamInfo& p, const json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_string() && (j == "true" || j == "1" || j == "on")) return true;
  if (j.is_string() && (j == "false" || j == "0" || j == "off")) return false;
  SMT_THROW("parameter ", param(p.name), " must be true or false, got ", j.dump());
}

std::size_t choice_from_json(const ParamInfo& p, const json& j) {
  std::string valid;
  for (const auto& c : p.choices) valid += (valid.empty() ? "" : ", ") + c;
  SMT_CHECK(j.is_string(), "parameter ", param(p.name), " must be one of ", valid, ", got ",
            j.dump());
  const std::string s = j.get<std::string>();
  for (std::size_t i = 0; i < p.choices.size(); ++i)
    if (p.choices[i] == s) return i;
  SMT_THROW("parameter ", param(p.name), " = '", s, "' is not one of: ", valid);
}

std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return number_text(v.get<double>());
  return v.dump();  // integers, booleans
}

void unknown_parameter(const std::string& origin, const std::string& key, std::string_view hint) {
  SMT_THROW(origin, ": unknown parameter '", key, "'", hint.empty() ? "" : " ", hint);
}

void not_an_object(const std::string& origin) {
  SMT_THROW(origin, ": a configuration must be a JSON object");
}

void rethrow_with_origin(const std::string& origin, const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    throw Error(origin + ": " + e.raw());  // keeps the parameter markers and the location
  }
}

}  // namespace detail

json param_value_from_text(const ParamInfo& p, const std::string& text) {
  if (!p.is_number()) return json(text);
  double x = 0;
  std::size_t used = 0;
  try {
    x = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  SMT_CHECK(used > 0 && used == text.size(), "option ", param(p.name), " expects a number, got '",
            text, "'");
  return json(x);
}

}  // namespace smt
