// The evaluation protocol (docs/algorithm.md step 12): a fitted model's
// features of the training and the evaluation images, classified by the
// weighted cosine k-NN with one side streamed in blocks, so the larger
// feature matrix never exists.
#pragma once

#include <cstddef>
#include <vector>

#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/eval/knn.h"
#include "smt/model/feature_encoder.h"
#include "smt/model/memory_plan.h"
#include "smt/model/run_metrics.h"
#include "smt/model/train_codes.h"

namespace smt {

struct EvalOptions {
  std::size_t block_images = 0;  // streamed images per k-NN block; 0: config.batch_images
  KnnStreaming streaming = KnnStreaming::kAuto;
};

struct EvalResult {
  double top1 = 0, top5 = 0;
  std::vector<int> predictions;
};

// Streaming the training side: test features in memory, training features
// produced in blocks. Streaming the test side (small training sets): training
// features in memory, test images embedded and classified block by block.
// `cached` codes are used for the training features; when streaming the test
// side they are released (cleared) once the training features exist.
EvalResult evaluate_knn(const FeatureEncoder& encoder, const ImageSet& train,
                        const ImageSet& test, const Context& ctx, RunMetrics& metrics,
                        TrainCodes* cached = nullptr, const EvalOptions& options = {});
// How the k-NN's references (the reference views of `train`, each image's
// together) are laid out: train's shard layout, or for a whole set one
// process with the same blocks (config.shard_block), so that one process and
// any number of them score every reference in the same chunk column.
ShardLayout reference_layout(const ImageSet& train, const Config& config);

// Embeds the reference views of `train` (all of its images, a shard's in a
// distributed run) block by block and streams them into knn; returns the
// seconds spent embedding.
double stream_references(const FeatureEncoder& encoder, const ImageSet& train,
                         KnnAccumulator& knn, std::size_t block, const Context& ctx,
                         const TrainCodes* cached);

// One-off form for a model the caller holds (builds an encoder from a copy).
EvalResult evaluate_knn(const SmtModel& model, const ImageSet& train, const ImageSet& test,
                        const Context& ctx, RunMetrics& metrics, TrainCodes* cached = nullptr,
                        const EvalOptions& options = {});

}  // namespace smt
