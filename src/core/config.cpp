#include "smt/core/config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "smt/core/error.h"

namespace smt {

namespace {

using json = nlohmann::json;
constexpr ParamScope kModel = ParamScope::kModel;
constexpr ParamScope kEval = ParamScope::kEval;
constexpr ParamScope kExec = ParamScope::kExec;
constexpr ParamScope kRun = ParamScope::kRun;

// The defaults are Config's member initialisers; the help text's
// "(default X)" is generated from them. The order is that of
// Config::to_json, which metrics and model files contain: keep it.
ParamTable<Config> make_table() {
  ParamTable<Config> t;
  // Data
  t.boolean("flip", &Config::flip, kModel, "append the horizontal flip of every training image");
  t.boolean("gray-view", &Config::gray_view, kModel,
            "append the luma (BT.601) copy of every training view, written to each colour "
            "channel so that patches keep their size (colour images only)");
  t.boolean("gray-view-prep", &Config::gray_view_prep, kModel,
            "with gray-view: the luma copies feed the whitening and the dictionary too; false: "
            "only the statistics V and L (whitening and atoms come from the colour views)");
  t.choice<ViewContext>("view-context", &Config::view_context,
                        {{"separate", ViewContext::kSeparate},
                         {"joint", ViewContext::kJoint},
                         {"luma", ViewContext::kLuma}},
                        kModel,
                        "the augmented views of a training image (flip, gray-view) under the "
                        "operator: separate images; one joint context of all of them; or luma, "
                        "each view in one context with its luma copy (flips separate). A context's "
                        "patches are all neighbours under the whole-image operator (joint and luma "
                        "need neighborhood -1)");
  t.integer("train-limit", &Config::train_limit, 0, 1e9, kRun,
            "use only this many training images (before flips); 0 = all");
  t.integer("test-limit", &Config::test_limit, 0, 1e9, kRun,
            "evaluate on only this many test images; 0 = all");
  t.integer("validation", &Config::validation, 0, 1e9, kRun,
            "hold out N training images (seeded, class-balanced) and evaluate on them instead of "
            "the test split: for choosing settings without touching the test set; 0 = off");
  t.integer("resize", &Config::resize, 0, 65536, kRun,
            "image folders only: scale every image's shorter side to S pixels with the "
            "antialiased bilinear (triangle) filter, then crop the centre S x S, so that images of "
            "different sizes form one set; 0 = off (all images must share one size)");
  t.integer("shard-block", &Config::shard_block, 32, 1 << 20, kRun,
            "the distributed mode deals the training and the test images to the processes in "
            "blocks of this many, round-robin (a multiple of 32). The k-NN's reference chunks "
            "never straddle a block, in one process too, so predictions are the same for any "
            "process count at one value");
  // Patches
  t.boolean("grayscale", &Config::grayscale, kModel,
            "convert colour images to luma (BT.601) before extracting patches");
  t.integer("patch-size", &Config::patch_size, 1, 64, kModel, "patch side in pixels");
  t.integer("stride", &Config::stride, 1, 64, kModel, "patch stride in pixels");
  t.integer("context", &Config::context, -1, 1e6, kModel,
            "context-mean removal: half-size c of the window of patches whose mean is "
            "subtracted; -1 = whole image");
  t.choice<ContextMean>("context-mean", &Config::context_mean,
                        {{"all", ContextMean::kAll}, {"channel", ContextMean::kChannel}}, kModel,
                        "context-mean removal: one mean over all channels of the window, or one "
                        "per colour channel (which also removes the window's colour cast)");
  // Whitening
  t.real("whiten-tol", &Config::whiten_tol, 1e-12, 1e6, kModel,
         "whitening tolerance tau in (Sigma + tau I)^(-1/2)");
  // Dictionary
  t.integer("dict-size", &Config::dict_size, 2, 65536, kModel, "number of dictionary atoms K");
  t.choice<DictMethod>("dict-method", &Config::dict_method,
                       {{"greedy", DictMethod::kGreedy},
                        {"kmeans", DictMethod::kKMeans},
                        {"online", DictMethod::kOnline}},
                       kModel,
                       "dictionary learning: greedy cosine-threshold patch selection, "
                       "spherical k-means started from it, or the online 1-sparse heuristic "
                       "(random patches refined by running means of the patches they win)");
  t.real("dict-threshold", &Config::dict_threshold, -1, 1, kModel,
         "greedy dictionary (and the start of k-means): accept a patch whose cosine with every "
         "accepted atom is <= this");
  t.integer("dict-max-candidates", &Config::dict_max_candidates, 0, 1e12, kModel,
            "greedy dictionary: give up after this many candidate patches; 0 = 200 x dict-size");
  t.integer("kmeans-iters", &Config::kmeans_iters, 1, 1e6, kModel,
            "spherical k-means: mini-batch iterations");
  t.integer("kmeans-batch", &Config::kmeans_batch, 1, 1e8, kModel,
            "spherical k-means and online dictionary: patches per mini-batch");
  t.integer("dict-samples", &Config::dict_samples, 0, 1e12, kModel,
            "online dictionary: training patches visited (seeded draws over all views); "
            "0 = 500 x dict-size");
  // Coding
  t.real("threshold", &Config::threshold, -1, 1e6, kModel,
         "sparse coding threshold t: atoms with cosine >= t are on; t >= 1 means vector "
         "quantisation (argmax)");
  t.choice<CodeValues>("code-values", &Config::code_values,
                       {{"binary", CodeValues::kBinary}, {"variable", CodeValues::kVariable}},
                       kModel, "code values before normalisation: 1 per active atom or its cosine");
  t.choice<ZeroCode>("zero-code", &Config::zero_code,
                     {{"drop", ZeroCode::kDrop}, {"argmax", ZeroCode::kArgmax}}, kModel,
                     "training patches with no atom over the threshold: drop them from the "
                     "statistics or code them by their argmax atom");
  // Operator / embedding
  t.choice<Operator>("operator", &Config::op,
                     {{"two", Operator::kSecond}, {"one", Operator::kFirst}}, kModel,
                     "differential operator: second or first derivative");
  t.integer("neighborhood", &Config::neighborhood, -1, 1e6, kModel,
            "operator window half-size in patches; -1 = whole image");
  t.integer("embed-dim", &Config::embed_dim, 1, 65536, kModel, "embedding dimension d");
  t.integer("skip", &Config::skip, 0, 65536, kModel,
            "eigenvectors with the smallest eigenvalues to skip");
  t.real("v-reg", &Config::v_reg, 0, 1, kModel, "regularisation of V, relative to trace(V)/K");
  t.real("eigen-tol", &Config::eigen_tol, 1e-12, 1e-2, kModel,
         "relative residual |Cu - lambda u| / |C| at which the subspace eigensolver stops; from "
         "1e-5 up its block products run in single precision (2x faster; their rounding floor is "
         "~5e-7), below in double");
  // Pooling / k-NN
  t.integer("pool-window", &Config::pool_window, 1, 1024, kModel,
            "average-pooling window in patches");
  t.integer("pool-stride", &Config::pool_stride, 1, 1024, kModel,
            "average-pooling stride in patches");
  t.integer("knn-k", &Config::knn_k, 1, 1e6, kEval, "k of the weighted k-NN");
  t.real("knn-temperature", &Config::knn_temperature, 1e-6, 1e6, kEval,
         "temperature T of the k-NN votes exp(cos/T)");
  t.boolean("knn-gray-views", &Config::knn_gray_views, kEval,
            "with gray-view: the luma copies of the training images are k-NN references too");
  // Execution
  t.integer("seed", &Config::seed, 0, 9007199254740992.0, kExec, "random seed");
  t.integer("threads", &Config::threads, 0, 4096, kExec, "worker threads; 0 = all cores");
  t.integer("batch-images", &Config::batch_images, 1, 1e6, kExec, "images per streaming batch");
  t.real("memory-limit", &Config::memory_limit_gb, 0, 1e6, kRun,
         "memory budget in GiB: sets how many training codes are kept for the k-NN and the k-NN "
         "block size; 0 = 60 % of physical memory");
  return t;
}

}  // namespace

const ParamTable<Config>& config_params() {
  static const ParamTable<Config> table = make_table();  // immutable after init
  return table;
}

const std::vector<ParamSpec>& param_specs() {
  return config_params().specs();
}

const ParamSpec* find_param(const std::string& name) {
  return config_params().find(name);
}

ParamScope param_scope(std::string_view name) {
  const ParamSpec* p = config_params().find(name);
  SMT_CHECK(p != nullptr, "unknown parameter '", name, "'");
  return p->scope;
}

json Config::to_json() const {
  return config_params().to_json(*this);
}

void Config::update_from_json(const json& j, const std::string& origin) {
  config_params().update_from_json(*this, j, origin, "(see `smt run --help` for the list)");
}

void Config::load_file(const std::string& path) {
  std::ifstream in(path);
  SMT_CHECK(in.good(), "cannot open config file '", path, "'");
  load_json(in, path);
}

void Config::load_json(std::istream& in, const std::string& path) {
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
  config_params().check_bounds(*this);
  SMT_CHECK(embed_dim + skip < dict_size, param("embed-dim"), " (", embed_dim, ") + ",
            param("skip"), " (", skip, ") must be smaller than ", param("dict-size"), " (",
            dict_size,
            "): the embedding keeps eigenvectors of a K x K problem, K the number of atoms");
  SMT_CHECK(!(gray_view && grayscale), param("gray-view"),
            " adds luma copies of colour images, but ", param("grayscale"),
            " already makes every patch luma: use one of them");
  SMT_CHECK(view_context == ViewContext::kSeparate || neighborhood == -1, param("view-context"),
            " joint and luma put views of an image into one context of the whole-image "
            "operator; they need ",
            param("neighborhood"), " -1 (got ", neighborhood, ")");
}

// Spelled by the table, like the command line and the JSON files.
std::string to_string(CodeValues v) {
  Config c;
  c.code_values = v;
  return find_param("code-values")->get(c).get<std::string>();
}
std::string to_string(Operator o) {
  Config c;
  c.op = o;
  return find_param("operator")->get(c).get<std::string>();
}

}  // namespace smt
