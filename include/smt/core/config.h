// Every hyper-parameter of the pipeline, declared once: the default in
// Config's member initialisers, the rest (name, bounds, help, scope) in its
// parameter table (param_table.h, config.cpp). The same table feeds the CLI,
// JSON config files, validation and the resolved configuration written into
// metrics and model files.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "smt/core/param_table.h"

namespace smt {

enum class DictMethod { kGreedy, kKMeans, kOnline };
enum class ViewContext { kSeparate, kJoint, kLuma };
enum class CodeValues { kBinary, kVariable };
enum class ZeroCode { kDrop, kArgmax };
enum class Operator { kSecond, kFirst };
enum class ContextMean { kAll, kChannel };

struct Config {
  // Data
  bool flip = true;              // append horizontal flips of the training images
  bool gray_view = false;        // append luma copies (in every channel) of the training views
  bool gray_view_prep = true;    // the luma copies feed whitening and dictionary too
  ViewContext view_context = ViewContext::kSeparate;  // views: separate images or one context
  std::int64_t train_limit = 0;  // 0: all
  std::int64_t test_limit = 0;   // 0: all
  std::int64_t validation = 0;   // >0: evaluate on the last N training images instead
  int resize = 0;                // image folders: > 0 scales to S x S (image_resize.h)
  int shard_block = 512;         // images per block dealt to processes (core/shard_layout.h)
  // Patches
  bool grayscale = false;  // convert RGB images to luma before extracting patches
  int patch_size = 6;
  int stride = 1;
  int context = -1;  // context-mean window half-size in patches; -1: whole image
  ContextMean context_mean = ContextMean::kAll;  // one mean over all channels, or one per channel
  // Whitening
  double whiten_tol = 1e-3;
  // Dictionary
  int dict_size = 8192;
  DictMethod dict_method = DictMethod::kGreedy;
  double dict_threshold = 0.35;
  std::int64_t dict_max_candidates = 0;  // greedy: 0 = 200 x dict_size
  int kmeans_iters = 100;
  int kmeans_batch = 50000;
  std::int64_t dict_samples = 0;  // online dictionary: patches visited; 0 = 500 x dict_size
  // Sparse coding
  double threshold = 0.3;  // >= 1: vector quantisation
  CodeValues code_values = CodeValues::kBinary;
  ZeroCode zero_code = ZeroCode::kDrop;
  // Differential operator and embedding
  Operator op = Operator::kSecond;
  int neighborhood = -1;  // half-size of the operator's window in patches; -1: whole image
  int embed_dim = 384;
  int skip = 1;
  double v_reg = 1e-6;      // V + v_reg * trace(V)/K * I
  double eigen_tol = 1e-5;  // subspace eigensolver's stopping residual
  // Pooling and k-NN
  int pool_window = 4;
  int pool_stride = 2;
  int knn_k = 30;
  double knn_temperature = 0.03;
  bool knn_gray_views = true;  // the luma copies are k-NN references too
  // Execution
  std::uint64_t seed = 0;
  int threads = 0;             // 0: all cores
  int batch_images = 512;      // images per streaming batch
  double memory_limit_gb = 0;  // 0: 60 % of physical memory

  bool vector_quantization() const { return threshold >= 1.0; }

  // Throws smt::Error naming the parameter when a value is out of range or
  // parameters are inconsistent.
  void validate() const;

  nlohmann::json to_json() const;
  // Sets every key present in j; unknown keys are an error naming the key.
  void update_from_json(const nlohmann::json& j, const std::string& origin);
  void load_file(const std::string& path);
  // The same from a stream holding a JSON config file; `name` stands for the
  // file in messages.
  void load_json(std::istream& in, const std::string& name);
};

// One declared parameter of Config (param_table.h): name, help, bounds,
// scope and how to read/write it.
using ParamSpec = ParamSpecT<Config>;

// The table: parameters in the order of Config::to_json.
const ParamTable<Config>& config_params();
const std::vector<ParamSpec>& param_specs();
const ParamSpec* find_param(const std::string& name);
// The scope of a parameter; throws smt::Error for an unknown name.
ParamScope param_scope(std::string_view name);

// The table's names of these values ("binary", "two", ...).
std::string to_string(CodeValues v);
std::string to_string(Operator o);

}  // namespace smt
