// The one-layer SMT image pipeline end to end: fit a model on training images,
// turn images into features, evaluate with the weighted k-NN. Streams images in
// batches; memory is bounded by the K x K statistics, the optional cache of
// training codes and the test features the k-NN keeps.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "smt/stages/compact_codes.h"
#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/stages/eigen_solver.h"
#include "smt/core/image_set.h"
#include "smt/model/model.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

// Wall-clock seconds per stage plus other measurements, in insertion order.
class RunMetrics {
 public:
  void add_seconds(const std::string& stage, double seconds);
  double seconds(const std::string& stage) const;
  nlohmann::json& extra() { return extra_; }
  // {"seconds": {..., "total": t}, "peak_rss_bytes": ..., extra...}
  nlohmann::json to_json(double total_seconds) const;

 private:
  std::vector<std::pair<std::string, double>> seconds_;
  nlohmann::json extra_ = nlohmann::json::object();
  nlohmann::json peak_rss_after_ = nlohmann::json::object();  // stage -> peak RSS when it ended
};

// Peak and current resident set size of this process, in bytes.
std::int64_t peak_rss_bytes();
std::int64_t current_rss_bytes();

// Bytes this process has caused to be written to storage (/proc/self/io
// write_bytes; -1 where the kernel does not report it).
std::int64_t disk_write_bytes();

// Which side of the k-NN stays in memory while the other is streamed in
// blocks: the smaller one. kAuto keeps the test features unless the
// (augmented) training set is smaller.
enum class KnnStreaming { kAuto, kStreamTrain, kStreamTest };

// Resolves kAuto for the given augmented training and test image counts.
KnnStreaming resolve_streaming(KnnStreaming s, std::size_t train_images, std::size_t test_images);

// How a run spends its memory budget (--memory-limit): the fixed parts (the
// K x K statistics and the eigen solver's work during the fit; the resident
// side's features during the k-NN), what is left for keeping the training
// codes, and the number of streamed images per k-NN block.
struct MemoryPlan {
  std::size_t limit = 0;
  std::size_t base = 0;  // already resident when planned (the images)
  std::size_t fit_fixed = 0, knn_fixed = 0;
  std::size_t code_cache = 0;
  KnnStreaming streaming = KnnStreaming::kStreamTrain;
  std::size_t knn_block_images = 0;
  nlohmann::json to_json() const;
};

// train_images: augmented (with flips) training images. Throws naming
// --memory-limit when the fixed parts alone do not fit.
MemoryPlan plan_memory(const Config& config, int height, int width, std::size_t train_images,
                       std::size_t test_images);

// Codes of the augmented training images, kept between fitting and the k-NN
// so that the training set is coded once: images [0, images.size()) as far as
// the budget allows; the others are recoded when needed.
struct TrainCodes {
  std::vector<CompactCodes> images;  // packed: about half the bytes of PatchCodes
  bool valid = false;                // filled by fit_model for the training set it was given
};

struct FitOptions {
  EigenMethod eigen_method = EigenMethod::kAuto;
  std::size_t code_cache_bytes = std::size_t{3} << 30;  // 0: never keep training codes
};

struct EvalOptions {
  std::size_t block_images = 0;  // streamed images per k-NN block; 0: config.batch_images
  KnnStreaming streaming = KnnStreaming::kAuto;
};

// Fits whitening, dictionary, statistics and P on the training images
// (augmented with flips when config.flip). Fills metrics with stage times.
SmtModel fit_model(const ImageSet& train, const Config& config, const Context& ctx,
                   RunMetrics& metrics, TrainCodes* keep_codes = nullptr,
                   const FitOptions& options = {});

// Features of augmented images [begin, end) (augmented with flips when `flip`)
// into out ((end - begin) x model.feature_dim()). Uses cached codes if given.
void compute_features(const SmtModel& model, const ImageSet& images, bool flip, std::size_t begin,
                      std::size_t end, float* out, const Context& ctx,
                      const TrainCodes* cached = nullptr);

struct EvalResult {
  double top1 = 0, top5 = 0;
  std::vector<int> predictions;
};

// Weighted cosine k-NN. Streaming the training side: test features in memory,
// training features produced in blocks (the training feature matrix never
// exists). Streaming the test side (small training sets): training features in
// memory, test images embedded and classified block by block. `cached` codes
// are used for the training features; when streaming the test side they are
// released (cleared) once the training features exist.
EvalResult evaluate_knn(const SmtModel& model, const ImageSet& train, const ImageSet& test,
                        const Context& ctx, RunMetrics& metrics, TrainCodes* cached = nullptr,
                        const EvalOptions& options = {});

// Single-precision GEMM rate of this machine now (GFLOP/s), measured over
// ~`seconds` with every thread on a large square product, for reports.
double measure_sgemm_gflops(double seconds = 0.5);

}  // namespace smt
