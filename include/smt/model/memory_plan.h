// How a run spends its memory budget (memory-limit): what the fit and the
// k-NN need in any case, and what is left for keeping training codes.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "smt/core/config.h"

namespace smt {

// Which side of the k-NN stays in memory while the other is streamed in
// blocks: the smaller one. kAuto keeps the test features unless the
// (augmented) training set is smaller.
enum class KnnStreaming { kAuto, kStreamTrain, kStreamTest };

// Resolves kAuto for the given augmented training and test image counts.
KnnStreaming resolve_streaming(KnnStreaming s, std::size_t train_images, std::size_t test_images);

// The fixed parts (the K x K statistics and the eigen solver's work during
// the fit; the resident side's features during the k-NN), what is left for
// keeping the training codes, and the number of streamed images per k-NN block.
struct MemoryPlan {
  std::size_t limit = 0;
  std::size_t base = 0;  // already resident when planned (the images)
  std::size_t fit_fixed = 0, knn_fixed = 0;
  std::size_t code_cache = 0;
  KnnStreaming streaming = KnnStreaming::kStreamTrain;
  std::size_t knn_block_images = 0;
  nlohmann::json to_json() const;
};

// train_images: the k-NN's reference images (ViewSet::references). Throws naming
// memory-limit when the fixed parts alone do not fit. `process_bytes`: what
// the process holds already (by default its current RSS), so the arithmetic
// can be checked on fixed numbers.
MemoryPlan plan_memory(const Config& config, int height, int width, std::size_t train_images,
                       std::size_t test_images);
MemoryPlan plan_memory(const Config& config, int height, int width, std::size_t train_images,
                       std::size_t test_images, std::size_t process_bytes,
                       std::size_t physical_bytes);

}  // namespace smt
