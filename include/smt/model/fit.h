// Fitting a model on training images (docs/algorithm.md steps 1-9):
// whitening, dictionary, codes streamed into the statistics, the eigenproblem.
#pragma once

#include <cstddef>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/model/checkpoint.h"
#include "smt/model/model.h"
#include "smt/model/run_metrics.h"
#include "smt/model/train_codes.h"
#include "smt/stages/eigen_solver.h"

namespace smt {

struct FitOptions {
  EigenMethod eigen_method = EigenMethod::kAuto;
  std::size_t code_cache_bytes = std::size_t{3} << 30;  // 0: never keep training codes
  // Saves the fit's state as it goes and resumes from what it read
  // (model/checkpoint.h); null or disabled: no checkpoints. A fit resumed
  // inside the coding pass keeps no training codes (they are recoded).
  FitCheckpoint* checkpoint = nullptr;
};

// Fits whitening, dictionary, statistics and P on the training images
// (augmented with flips when config.flip); labels are not used. Adds stage
// times and measurements to `metrics`; keeps the training codes in
// `keep_codes` (if given) as far as options.code_cache_bytes allows.
SmtModel fit_model(const ImageSet& train, const Config& config, const Context& ctx,
                   RunMetrics& metrics, TrainCodes* keep_codes = nullptr,
                   const FitOptions& options = {});

}  // namespace smt
