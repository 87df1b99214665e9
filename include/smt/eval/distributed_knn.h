// The k-NN evaluation of a distributed run (ctx.comm with several
// processes; evaluate_knn calls it). Each process holds a shard of the
// training and of the evaluation images (ImageSet::shard). The training
// features stay where they are made; the evaluation features are exchanged
// so that every process scores the same query blocks as one process would,
// against its own references, with global reference indices
// (KnnAccumulator::set_reference_layout); the first process merges
// the per-shard top-k lists with the single-process tie rule and classifies.
// Predictions and accuracies are therefore those of one process, whatever
// the process count. The returned result is complete on process 0 only
// (others: accuracies NaN, no predictions).
#pragma once

#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/eval/knn_evaluation.h"
#include "smt/model/feature_encoder.h"
#include "smt/model/run_metrics.h"
#include "smt/model/train_codes.h"

namespace smt {

EvalResult evaluate_knn_distributed(const FeatureEncoder& encoder, const ImageSet& train,
                                    const ImageSet& test, const Context& ctx, RunMetrics& metrics,
                                    TrainCodes* cached, const EvalOptions& options);

}  // namespace smt
