#include "smt/core/config.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "smt/core/error.h"

namespace smt {

namespace {

using json = nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string bound_str(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return str_cat(v);
}

void check_range(const std::string& name, double v, double lo, double hi) {
  SMT_CHECK(std::isfinite(v), "parameter --", name, " must be a finite number, got ", v);
  SMT_CHECK(v >= lo && v <= hi, "parameter --", name, " = ", v, " is out of range [", bound_str(lo),
            ", ", bound_str(hi), "]");
}

template <typename T>
ParamSpec integer(std::string name, T Config::*member, double lo, double hi, std::string help) {
  ParamSpec p;
  p.name = name;
  p.type = "int";
  p.min = lo;
  p.max = hi;
  p.help = std::move(help);
  p.get = [member](const Config& c) { return json(c.*member); };
  p.set = [member, name, lo, hi](Config& c, const json& j) {
    SMT_CHECK(j.is_number(), "parameter ", name, " must be a number, got ", j.dump());
    double v = j.get<double>();
    check_range(name, v, lo, hi);
    SMT_CHECK(v == std::floor(v), "parameter --", name, " must be an integer, got ", v);
    c.*member = static_cast<T>(v);
  };
  return p;
}

ParamSpec real(std::string name, double Config::*member, double lo, double hi, std::string help) {
  ParamSpec p;
  p.name = name;
  p.type = "float";
  p.min = lo;
  p.max = hi;
  p.help = std::move(help);
  p.get = [member](const Config& c) { return json(c.*member); };
  p.set = [member, name, lo, hi](Config& c, const json& j) {
    SMT_CHECK(j.is_number(), "parameter ", name, " must be a number, got ", j.dump());
    double v = j.get<double>();
    check_range(name, v, lo, hi);
    c.*member = v;
  };
  return p;
}

ParamSpec boolean(std::string name, bool Config::*member, std::string help) {
  ParamSpec p;
  p.name = name;
  p.type = "bool";
  p.help = std::move(help);
  p.get = [member](const Config& c) { return json(c.*member); };
  p.set = [member, name](Config& c, const json& j) {
    if (j.is_boolean()) {
      c.*member = j.get<bool>();
    } else if (j.is_string() && (j == "true" || j == "1" || j == "on")) {
      c.*member = true;
    } else if (j.is_string() && (j == "false" || j == "0" || j == "off")) {
      c.*member = false;
    } else {
      SMT_THROW("parameter --", name, " must be true or false, got ", j.dump());
    }
  };
  return p;
}

template <typename E>
ParamSpec choice(std::string name, E Config::*member,
                 std::vector<std::pair<std::string, E>> options, std::string help) {
  ParamSpec p;
  p.name = name;
  p.type = "choice";
  for (auto& o : options) p.choices.push_back(o.first);
  p.help = std::move(help);
  p.get = [member, options](const Config& c) {
    for (auto& o : options)
      if (o.second == c.*member) return json(o.first);
    return json(nullptr);
  };
  p.set = [member, name, options](Config& c, const json& j) {
    SMT_CHECK(j.is_string(), "parameter --", name, " must be a string, got ", j.dump());
    std::string s = j.get<std::string>();
    std::string valid;
    for (auto& o : options) {
      if (o.first == s) {
        c.*member = o.second;
        return;
      }
      valid += (valid.empty() ? "" : ", ") + o.first;
    }
    SMT_THROW("parameter --", name, " = '", s, "' is not one of: ", valid);
  };
  return p;
}

std::vector<ParamSpec> make_specs() {
  std::vector<ParamSpec> s;
  // Data
  s.push_back(boolean("flip", &Config::flip,
                      "append the horizontal flip of every training image (default true)"));
  s.push_back(integer("train-limit", &Config::train_limit, 0, 1e9,
                      "use only this many training images (before flips); 0 = all"));
  s.push_back(integer("test-limit", &Config::test_limit, 0, 1e9,
                      "evaluate on only this many test images; 0 = all"));
  s.push_back(integer("validation", &Config::validation, 0, 1e9,
                      "hold out N training images (seeded, class-balanced) and evaluate on them "
                      "instead of the test split: for choosing settings without touching the "
                      "test set; 0 = off"));
  // Patches
  s.push_back(boolean("grayscale", &Config::grayscale,
                      "convert colour images to luma (BT.601) before extracting patches "
                      "(default false)"));
  s.push_back(
      integer("patch-size", &Config::patch_size, 1, 64, "patch side in pixels (default 6)"));
  s.push_back(integer("stride", &Config::stride, 1, 64, "patch stride in pixels (default 1)"));
  s.push_back(integer("context", &Config::context, -1, 1e6,
                      "context-mean removal: half-size c of the window of patches whose mean is "
                      "subtracted; -1 = whole image (default -1)"));
  s.push_back(choice<ContextMean>(
      "context-mean", &Config::context_mean,
      {{"all", ContextMean::kAll}, {"channel", ContextMean::kChannel}},
      "context-mean removal: one mean over all channels of the window, or one per colour "
      "channel (which also removes the window's colour cast) (default all)"));
  // Whitening
  s.push_back(real("whiten-tol", &Config::whiten_tol, 1e-12, 1e6,
                   "whitening tolerance tau in (Sigma + tau I)^(-1/2) (default 1e-3)"));
  // Dictionary
  s.push_back(integer("dict-size", &Config::dict_size, 2, 65536,
                      "number of dictionary atoms K (default 8192)"));
  s.push_back(choice<DictMethod>("dict-method", &Config::dict_method,
                                 {{"greedy", DictMethod::kGreedy}, {"kmeans", DictMethod::kKMeans}},
                                 "dictionary learning: greedy cosine-threshold patch selection or "
                                 "spherical k-means (default greedy)"));
  s.push_back(real("dict-threshold", &Config::dict_threshold, -1, 1,
                   "greedy dictionary (and the start of k-means): accept a patch whose cosine "
                   "with every accepted atom is <= this (default 0.35)"));
  s.push_back(integer("dict-max-candidates", &Config::dict_max_candidates, 0, 1e12,
                      "greedy dictionary: give up after this many candidate patches; "
                      "0 = 200 x dict-size"));
  s.push_back(integer("kmeans-iters", &Config::kmeans_iters, 1, 1e6,
                      "spherical k-means: mini-batch iterations (default 100)"));
  s.push_back(integer("kmeans-batch", &Config::kmeans_batch, 1, 1e8,
                      "spherical k-means: patches per mini-batch (default 50000)"));
  // Coding
  s.push_back(real("threshold", &Config::threshold, -1, 1e6,
                   "sparse coding threshold t: atoms with cosine >= t are on; t >= 1 means "
                   "vector quantisation (argmax) (default 0.3)"));
  s.push_back(
      choice<CodeValues>("code-values", &Config::code_values,
                         {{"binary", CodeValues::kBinary}, {"variable", CodeValues::kVariable}},
                         "code values before normalisation: 1 per active atom or its "
                         "cosine (default binary)"));
  s.push_back(choice<ZeroCode>("zero-code", &Config::zero_code,
                               {{"drop", ZeroCode::kDrop}, {"argmax", ZeroCode::kArgmax}},
                               "training patches with no atom over the threshold: drop them from "
                               "the statistics or code them by their argmax atom (default drop)"));
  // Operator / embedding
  s.push_back(choice<Operator>("operator", &Config::op,
                               {{"two", Operator::kSecond}, {"one", Operator::kFirst}},
                               "differential operator: second or first derivative (default two)"));
  s.push_back(integer("neighborhood", &Config::neighborhood, -1, 1e6,
                      "operator window half-size in patches; -1 = whole image (default -1)"));
  s.push_back(
      integer("embed-dim", &Config::embed_dim, 1, 65536, "embedding dimension d (default 384)"));
  s.push_back(integer("skip", &Config::skip, 0, 65536,
                      "eigenvectors with the smallest eigenvalues to skip (default 1)"));
  s.push_back(real("v-reg", &Config::v_reg, 0, 1,
                   "regularisation of V, relative to trace(V)/K (default 1e-6)"));
  s.push_back(real("eigen-tol", &Config::eigen_tol, 1e-12, 1e-2,
                   "relative residual |Cu - lambda u| / |C| at which the subspace eigensolver "
                   "stops (default 1e-5); from 1e-5 up its block products run in single "
                   "precision (2x faster; their rounding floor is ~5e-7), below in double"));
  // Pooling / k-NN
  s.push_back(integer("pool-window", &Config::pool_window, 1, 1024,
                      "average-pooling window in patches (default 4)"));
  s.push_back(integer("pool-stride", &Config::pool_stride, 1, 1024,
                      "average-pooling stride in patches (default 2)"));
  s.push_back(integer("knn-k", &Config::knn_k, 1, 1e6, "k of the weighted k-NN (default 30)"));
  s.push_back(real("knn-temperature", &Config::knn_temperature, 1e-6, 1e6,
                   "temperature T of the k-NN votes exp(cos/T) (default 0.03)"));
  // Execution
  s.push_back(integer("seed", &Config::seed, 0, 9007199254740992.0, "random seed (default 0)"));
  s.push_back(
      integer("threads", &Config::threads, 0, 4096, "worker threads; 0 = all cores (default 0)"));
  s.push_back(integer("batch-images", &Config::batch_images, 1, 1e6,
                      "images per streaming batch (default 512)"));
  s.push_back(real("memory-limit", &Config::memory_limit_gb, 0, 1e6,
                   "memory budget in GiB: sets how many training codes are kept for the k-NN "
                   "and the k-NN block size; 0 = 60 % of physical memory (default 0)"));
  return s;
}

}  // namespace

const std::vector<ParamSpec>& param_specs() {
  static const std::vector<ParamSpec> specs = make_specs();  // immutable after init
  return specs;
}

const ParamSpec* find_param(const std::string& name) {
  for (const auto& p : param_specs())
    if (p.name == name) return &p;
  return nullptr;
}

json Config::to_json() const {
  json j = json::object();
  for (const auto& p : param_specs()) j[p.name] = p.get(*this);
  return j;
}

void Config::update_from_json(const json& j, const std::string& origin) {
  SMT_CHECK(j.is_object(), origin, ": a configuration must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key().rfind("_", 0) == 0) continue;  // "_comment" and similar annotations
    const ParamSpec* p = find_param(it.key());
    SMT_CHECK(p != nullptr, origin, ": unknown parameter '", it.key(),
              "' (see `smt run --help` for the list)");
    try {
      p->set(*this, it.value());
    } catch (const Error& e) {
      throw Error(origin + ": " + e.what());  // keeps the original location, adds where
    }
  }
}

void Config::load_file(const std::string& path) {
  std::ifstream in(path);
  SMT_CHECK(in.good(), "cannot open config file '", path, "'");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    SMT_THROW("config file '", path, "' is not valid JSON: ", e.what());
  }
  update_from_json(j, "config file '" + path + "'");
}

void Config::validate() const {
  // Bounds are checked by each ParamSpec on set; re-check them here so a
  // Config built in code gets the same guarantees.
  for (const auto& p : param_specs()) {
    json v = p.get(*this);
    if (p.type == "int" || p.type == "float") {
      double x = v.get<double>();
      check_range(p.name, x, p.min, p.max);
    }
  }
  SMT_CHECK(embed_dim + skip < dict_size, "--embed-dim (", embed_dim, ") + --skip (", skip,
            ") must be smaller than --dict-size (", dict_size,
            "): the embedding keeps eigenvectors of a dict-size x dict-size problem");
}

std::string to_string(DictMethod m) {
  return m == DictMethod::kGreedy ? "greedy" : "kmeans";
}
std::string to_string(CodeValues v) {
  return v == CodeValues::kBinary ? "binary" : "variable";
}
std::string to_string(ZeroCode z) {
  return z == ZeroCode::kDrop ? "drop" : "argmax";
}
std::string to_string(Operator o) {
  return o == Operator::kSecond ? "two" : "one";
}

}  // namespace smt
