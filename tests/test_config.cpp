// The parameter table (param_table.h) and the pipeline's parameters
// (config.h): defaults in the help come from the struct, every parameter has
// a scope, JSON round-trips, and errors name the parameter in the spelling
// the front end asks for.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "smt/core/config.h"
#include "smt/core/error.h"
#include "smt/core/param_table.h"
#include "test_util.h"

namespace smt {
namespace {

using json = nlohmann::json;

// The smt::Error that f throws (fails the test when it throws none).
Error error_from(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no smt::Error thrown";
  return Error("<no error>");
}

void update(Config& c, const json& j) {
  c.update_from_json(j, "test");
}

// The error names `name` as --name on the CLI, name_with_underscores in
// Python and by its table name in what().
void expect_names(const Error& e, const std::string& name) {
  std::string python = name;
  for (char& ch : python)
    if (ch == '-') ch = '_';
  EXPECT_NE(e.message(Spelling::kCli).find("--" + name), std::string::npos)
      << e.message(Spelling::kCli);
  EXPECT_NE(e.message(Spelling::kPython).find(python), std::string::npos)
      << e.message(Spelling::kPython);
  if (python != name) {
    EXPECT_EQ(e.message(Spelling::kPython).find(name), std::string::npos)
        << e.message(Spelling::kPython);
  }
  EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("--" + name), std::string::npos) << e.what();
}

TEST(ParamTable, HelpShowsTheDefaultOfConfig) {
  const Config defaults;
  for (const auto& p : param_specs()) {
    SCOPED_TRACE(p.name);
    const std::string suffix = " (default " + p.default_text + ")";
    ASSERT_GE(p.help.size(), suffix.size());
    EXPECT_EQ(p.help.substr(p.help.size() - suffix.size()), suffix);
    EXPECT_EQ(p.help, p.description + suffix);
    // Defaults are written once, in Config's initialisers, not in the help.
    EXPECT_EQ(p.description.find("default"), std::string::npos) << p.description;
    // The text reads back as Config{}'s value, from a Config that differs.
    Config c;
    if (p.is_number()) {
      const double d = p.get(defaults).get<double>();
      p.set(c, json(d == p.max ? p.min : p.max));
    } else if (p.type == "bool") {
      p.set(c, json(!p.get(defaults).get<bool>()));
    } else {
      ASSERT_GE(p.choices.size(), 2u);
      p.set(c, json(p.get(defaults) == p.choices[0] ? p.choices[1] : p.choices[0]));
    }
    ASSERT_NE(p.get(c), p.get(defaults));
    p.set(c, param_value_from_text(p, p.default_text));
    EXPECT_EQ(p.get(c), p.get(defaults)) << p.default_text;
  }
  EXPECT_EQ(find_param("dict-size")->default_text, "8192");
  EXPECT_EQ(find_param("whiten-tol")->default_text, "0.001");
  EXPECT_EQ(find_param("v-reg")->default_text, "1e-6");
  EXPECT_EQ(find_param("eigen-tol")->default_text, "1e-5");
  EXPECT_EQ(find_param("knn-temperature")->default_text, "0.03");
  EXPECT_EQ(find_param("operator")->default_text, "two");
  EXPECT_EQ(find_param("context-mean")->default_text, "all");
  EXPECT_EQ(find_param("flip")->default_text, "true");
  EXPECT_EQ(find_param("context")->default_text, "-1");
}

TEST(ParamTable, EveryParameterHasItsScope) {
  const std::set<std::string> model = {"patch-size",     "stride",
                                       "context",        "context-mean",
                                       "grayscale",      "whiten-tol",
                                       "dict-size",      "dict-method",
                                       "dict-threshold", "dict-max-candidates",
                                       "kmeans-iters",   "kmeans-batch",
                                       "threshold",      "code-values",
                                       "zero-code",      "operator",
                                       "neighborhood",   "embed-dim",
                                       "skip",           "v-reg",
                                       "eigen-tol",      "pool-window",
                                       "pool-stride",    "flip",
                                       "gray-view",      "gray-view-prep",
                                       "view-context",   "dict-samples"};
  const std::set<std::string> eval = {"knn-k", "knn-temperature", "knn-gray-views"};
  const std::set<std::string> exec = {"seed", "threads", "batch-images"};
  const std::set<std::string> run = {"train-limit", "test-limit", "validation", "resize",
                                     "memory-limit", "shard-block"};
  std::set<std::string> seen;
  for (const auto& p : param_specs()) {
    SCOPED_TRACE(p.name);
    EXPECT_TRUE(seen.insert(p.name).second) << "declared twice";
    switch (p.scope) {
      case ParamScope::kModel:
        EXPECT_TRUE(model.count(p.name)) << "is not fixed by a model";
        break;
      case ParamScope::kEval:
        EXPECT_TRUE(eval.count(p.name)) << "is not an evaluation parameter";
        break;
      case ParamScope::kExec:
        EXPECT_TRUE(exec.count(p.name)) << "is not an execution parameter";
        break;
      case ParamScope::kRun:
        EXPECT_TRUE(run.count(p.name)) << "is not a run parameter";
        break;
      default:
        ADD_FAILURE() << "no valid scope";
    }
    EXPECT_EQ(param_scope(p.name), p.scope);
  }
  EXPECT_EQ(seen.size(), model.size() + eval.size() + exec.size() + run.size()) << "a scope list is stale";
  EXPECT_EQ(param_scope("context-mean"), ParamScope::kModel);
  EXPECT_EQ(param_scope("operator"), ParamScope::kModel);
  EXPECT_EQ(param_scope("knn-k"), ParamScope::kEval);
  EXPECT_EQ(param_scope("memory-limit"), ParamScope::kRun);
  EXPECT_STREQ(scope_name(ParamScope::kModel), "model");
  EXPECT_STREQ(scope_name(ParamScope::kEval), "eval");
  EXPECT_STREQ(scope_name(ParamScope::kExec), "exec");
  EXPECT_STREQ(scope_name(ParamScope::kRun), "run");
  EXPECT_EQ(param_scope("threads"), ParamScope::kExec);
  EXPECT_THROW(param_scope("no-such-parameter"), Error);
}

// Metrics and model files contain Config::to_json: its keys and values must
// not change.
TEST(ParamTable, DefaultConfigJsonIsUnchanged) {
  EXPECT_EQ(
      Config{}.to_json().dump(),
      R"({"batch-images":512,"code-values":"binary","context":-1,"context-mean":"all",)"
      R"("dict-max-candidates":0,"dict-method":"greedy","dict-samples":0,"dict-size":8192,)"
      R"("dict-threshold":0.35,"eigen-tol":1e-05,"embed-dim":384,"flip":true,"gray-view":false,)"
      R"("gray-view-prep":true,"grayscale":false,"kmeans-batch":50000,)"
      R"("kmeans-iters":100,"knn-gray-views":true,"knn-k":30,"knn-temperature":0.03,)"
      R"("memory-limit":0.0,)"
      R"("neighborhood":-1,"operator":"two","patch-size":6,"pool-stride":2,"pool-window":4,)"
      R"("resize":0,"seed":0,"shard-block":512,"skip":1,"stride":1,"test-limit":0,"threads":0,"threshold":0.3,)"
      R"("train-limit":0,"v-reg":1e-06,"validation":0,"view-context":"separate",)"
      R"("whiten-tol":0.001,"zero-code":"drop"})");
  for (const auto& p : param_specs()) EXPECT_TRUE(Config{}.to_json().contains(p.name)) << p.name;
  EXPECT_EQ(Config{}.to_json().size(), param_specs().size());
}

TEST(ParamTable, JsonRoundTrip) {
  Config c;
  c.flip = false;
  c.patch_size = 4;
  c.context = 3;
  c.context_mean = ContextMean::kChannel;
  c.whiten_tol = 1.5e-7;
  c.dict_size = 64;
  c.embed_dim = 8;
  c.dict_method = DictMethod::kKMeans;
  c.dict_max_candidates = 123456789012;
  c.code_values = CodeValues::kVariable;
  c.zero_code = ZeroCode::kArgmax;
  c.op = Operator::kFirst;
  c.knn_temperature = 0.07;
  c.seed = 9007199254740991ull;
  c.memory_limit_gb = 2.5;
  const json j = c.to_json();
  EXPECT_EQ(j.at("operator"), "one");
  EXPECT_EQ(j.at("context-mean"), "channel");
  EXPECT_EQ(j.at("seed"), 9007199254740991ull);
  Config d;
  update(d, j);
  EXPECT_EQ(d.to_json(), j);
  EXPECT_EQ(d.op, Operator::kFirst);
  EXPECT_EQ(d.context_mean, ContextMean::kChannel);
  EXPECT_EQ(d.dict_max_candidates, 123456789012);
  EXPECT_EQ(d.seed, 9007199254740991ull);
  EXPECT_DOUBLE_EQ(d.whiten_tol, 1.5e-7);
  EXPECT_FALSE(d.flip);
  EXPECT_NO_THROW(d.validate());
  // A subset changes only its keys; strings are accepted for booleans.
  Config e;
  update(e, {{"knn-k", 7}, {"grayscale", "on"}, {"_comment", "ignored"}});
  EXPECT_EQ(e.knn_k, 7);
  EXPECT_TRUE(e.grayscale);
  json expected = Config{}.to_json();
  expected["knn-k"] = 7;
  expected["grayscale"] = true;
  EXPECT_EQ(e.to_json(), expected);
}

TEST(ParamTable, OutOfRangeAndWrongTypesNameTheParameter) {
  const std::pair<json, std::string> bad[] = {
      {{{"dict-size", 1}}, "dict-size"},      // below the bound
      {{{"dict-size", 70000}}, "dict-size"},  // above
      {{{"dict-size", 64.5}}, "dict-size"},   // not an integer
      {{{"dict-size", "big"}}, "dict-size"},  // not a number
      {{{"whiten-tol", 0}}, "whiten-tol"},    // below 1e-12
      {{{"knn-temperature", -1}}, "knn-temperature"},
      {{{"memory-limit", -0.5}}, "memory-limit"},
      {{{"flip", 3}}, "flip"},  // not a boolean
      {{{"flip", "maybe"}}, "flip"},
      {{{"operator", "second"}}, "operator"},   // not a choice
      {{{"context-mean", 1}}, "context-mean"},  // not a string
      {{{"patch-size", nullptr}}, "patch-size"},
  };
  for (const auto& [j, name] : bad) {
    SCOPED_TRACE(j.dump());
    Config c;
    const Error e = error_from([&] { update(c, j); });
    expect_names(e, name);
    // The origin is kept in front, with the parameter markers.
    EXPECT_EQ(e.message(Spelling::kCli).rfind("test: ", 0), 0u) << e.message(Spelling::kCli);
  }
  // Non-finite values from text.
  Config c;
  expect_names(
      error_from([&] {
        c.update_from_json({{"v-reg", param_value_from_text(*find_param("v-reg"), "inf")}}, "test");
      }),
      "v-reg");
  expect_names(error_from([&] { param_value_from_text(*find_param("dict-size"), "12abc"); }),
               "dict-size");
  expect_names(error_from([&] { param_value_from_text(*find_param("knn-k"), ""); }), "knn-k");
  EXPECT_EQ(param_value_from_text(*find_param("knn-k"), "12"), json(12.0));
  EXPECT_EQ(param_value_from_text(*find_param("operator"), "one"), json("one"));
  // Values set in code are checked by validate().
  Config v;
  v.dict_size = 1;
  expect_names(error_from([&] { v.validate(); }), "dict-size");
  v = Config{};
  v.kmeans_batch = 0;
  expect_names(error_from([&] { v.validate(); }), "kmeans-batch");
  v = Config{};
  v.embed_dim = 100;
  v.dict_size = 100;
  const Error sum = error_from([&] { v.validate(); });
  expect_names(sum, "embed-dim");
  expect_names(sum, "skip");
  expect_names(sum, "dict-size");
}

TEST(ParamTable, UnknownKeysAndNonObjectsAreRejected) {
  Config c;
  const Error e = error_from([&] { update(c, {{"no-such-key", 1}}); });
  EXPECT_NE(std::string(e.what()).find("no-such-key"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("unknown parameter"), std::string::npos) << e.what();
  EXPECT_THROW(update(c, {{"dict_size", 64}}), Error);  // the Python spelling is not a key
  EXPECT_THROW(update(c, json::array({1, 2})), Error);
  EXPECT_THROW(update(c, json(3)), Error);
  EXPECT_EQ(c.to_json(), Config{}.to_json()) << "a rejected update changed the configuration";
  smt::testing::TempDir dir;
  ASSERT_TRUE(smt::testing::write_bytes(dir.file("c.json"), R"({"dict-size": 1})"));
  const Error f = error_from([&] { c.load_file(dir.file("c.json")); });
  EXPECT_NE(e.message(Spelling::kCli).find("no-such-key"), std::string::npos);
  EXPECT_NE(f.message(Spelling::kCli).find("config file '"), std::string::npos);
  expect_names(f, "dict-size");
}

TEST(ParamTable, ToStringUsesTheTableNames) {
  EXPECT_EQ(to_string(Operator::kSecond), "two");
  EXPECT_EQ(to_string(Operator::kFirst), "one");
  EXPECT_EQ(to_string(CodeValues::kBinary), "binary");
  EXPECT_EQ(to_string(CodeValues::kVariable), "variable");
}

// The template on an options struct of its own.
enum class Shape { kRound, kSquare };
struct Options {
  int size = 8;
  std::int64_t count = 3;
  double tol = 2.5e-4;
  bool on = false;
  Shape shape = Shape::kSquare;
};

const ParamTable<Options>& options_params() {
  static const ParamTable<Options> table = [] {
    ParamTable<Options> t;
    t.integer("size", &Options::size, 1, 64, ParamScope::kModel, "side")
        .integer("count", &Options::count, 0, 1e12, ParamScope::kRun, "how many")
        .real("tol", &Options::tol, 0, 1, ParamScope::kEval, "tolerance")
        .boolean("on", &Options::on, ParamScope::kRun, "switch")
        .choice<Shape>("shape", &Options::shape,
                       {{"round", Shape::kRound}, {"square", Shape::kSquare}}, ParamScope::kModel,
                       "outline");
    return t;
  }();
  return table;
}

TEST(ParamTable, WorksForAnyOptionsStruct) {
  const auto& t = options_params();
  ASSERT_EQ(t.specs().size(), 5u);
  EXPECT_EQ(t.specs()[0].name, "size");
  EXPECT_EQ(t.find("size")->help, "side (default 8)");
  EXPECT_EQ(t.find("tol")->help, "tolerance (default 0.00025)");
  EXPECT_EQ(t.find("on")->help, "switch (default false)");
  EXPECT_EQ(t.find("shape")->help, "outline (default square)");
  EXPECT_EQ(t.find("shape")->choices, (std::vector<std::string>{"round", "square"}));
  EXPECT_EQ(t.find("tol")->scope, ParamScope::kEval);
  EXPECT_EQ(t.find("missing"), nullptr);
  Options o;
  t.update_from_json(o, {{"size", 12}, {"shape", "round"}, {"on", true}, {"count", 1e10}}, "x");
  EXPECT_EQ(o.size, 12);
  EXPECT_EQ(o.shape, Shape::kRound);
  EXPECT_TRUE(o.on);
  EXPECT_EQ(o.count, 10000000000);
  EXPECT_EQ(t.to_json(o), (json{{"size", 12},
                                {"count", 10000000000},
                                {"tol", 2.5e-4},
                                {"on", true},
                                {"shape", "round"}}));
  Options bad;
  bad.size = 0;
  expect_names(error_from([&] { t.check_bounds(bad); }), "size");
  const Error e = error_from([&] { t.update_from_json(o, {{"tol", 2}}, "x"); });
  expect_names(e, "tol");
  EXPECT_NE(std::string(e.what()).find("out of range [0, 1]"), std::string::npos) << e.what();
  const Error u = error_from([&] { t.update_from_json(o, {{"nope", 1}}, "x", "(see the docs)"); });
  EXPECT_NE(std::string(u.what()).find("(see the docs)"), std::string::npos) << u.what();
}

// The command line shows the generated defaults, and `smt demo` spells the
// operator like the pipeline.
struct Shell {
  int exit_code = -1;
  std::string output;
};

Shell smt_binary(const smt::testing::TempDir& dir, const std::string& args) {
  const std::string log = dir.file("log");
  const std::string cmd = std::string(SMT_BINARY) + " " + args + " > " + log + " 2>&1";
  const int status = std::system(cmd.c_str());
  Shell r;
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.output = smt::testing::read_bytes(log);
  return r;
}

TEST(ParamTableCli, HelpShowsGeneratedDefaultsAndScopes) {
  smt::testing::TempDir dir;
  const Shell run = smt_binary(dir, "run --help");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const char* s : {"(default 8192)", "(default 0.001)", "(default two) {two,one}",
                        "Model parameters", "Evaluation parameters", "Execution parameters",
                        "Run parameters"})
    EXPECT_NE(run.output.find(s), std::string::npos) << s << "\n" << run.output;
  const Shell eval = smt_binary(dir, "eval --help");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("Fixed by the model file"), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find("--context-mean"), std::string::npos) << eval.output;
  const Shell embed = smt_binary(dir, "embed --help");
  ASSERT_EQ(embed.exit_code, 0) << embed.output;
  for (const auto& p : param_specs())
    EXPECT_NE(embed.output.find("--" + p.name + " "), std::string::npos) << p.name;
  const Shell demo = smt_binary(dir, "demo --help");
  ASSERT_EQ(demo.exit_code, 0) << demo.output;
  for (const char* s : {"(default two) {two,one}", "(default 300)", "(default 400)",
                        "(default 2500)", "(default 120)", "(default 1e-6)"})
    EXPECT_NE(demo.output.find(s), std::string::npos) << s << "\n" << demo.output;
}

TEST(ParamTableCli, DemoRejectsTheOldOperatorSpellingNamingTheOption) {
  smt::testing::TempDir dir;
  const Shell r = smt_binary(dir, "demo circle -q --operator first --out " + dir.file("out"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--operator"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("two, one"), std::string::npos) << r.output;
  const Shell range = smt_binary(dir, "demo circle -q --panel 8 --out " + dir.file("out"));
  EXPECT_EQ(range.exit_code, 1) << range.output;
  EXPECT_NE(range.output.find("--panel"), std::string::npos) << range.output;
}

}  // namespace
}  // namespace smt
