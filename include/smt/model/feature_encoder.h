// Images to features with a fitted model (docs/algorithm.md steps 2-4, 6, 10,
// 11): patches, whitening, sparse codes, the embedding beta = P alpha and
// pooling. The encoder builds the patch extractor and the coder (with its
// packed atoms) once, so repeated calls do not rebuild them.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/model/model.h"
#include "smt/model/train_codes.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

// One worker's buffers for coding images.
struct CodingBuffers {
  std::vector<float> patches, scratch;
  SparseCoder::Scratch coder;
};

// Codes of augmented image i of `src` into out (cleared first).
void code_image(const PatchSource& src, const SparseCoder& coder, std::size_t i,
                CodingBuffers& buffers, PatchCodes& out);

class FeatureEncoder {
 public:
  explicit FeatureEncoder(std::shared_ptr<const SmtModel> model);

  const SmtModel& model() const { return *model_; }
  std::size_t feature_dim() const { return feature_dim_; }

  // Features of augmented images [begin, end) of `images` under `views`
  // into out ((end - begin) x feature_dim()), parallel over images.
  // Cached codes are used for the images they hold when they hold these views.
  void encode(const ImageSet& images, const ViewSet& views, std::size_t begin, std::size_t end,
              float* out, const Context& ctx, const TrainCodes* cached = nullptr) const;

  // The same in batches of config.batch_images, each a progress and
  // cancellation point reported under `what` (null: no progress).
  void encode_in_batches(const ImageSet& images, const ViewSet& views, std::size_t begin,
                         std::size_t end, float* out, const Context& ctx, const TrainCodes* cached,
                         const char* what) const;

 private:
  std::shared_ptr<const SmtModel> model_;
  PatchExtractor extractor_;
  SparseCoder coder_;
  std::size_t feature_dim_;
};

// One-off form for a model the caller holds: builds an encoder from a copy.
void compute_features(const SmtModel& model, const ImageSet& images, const ViewSet& views,
                      std::size_t begin, std::size_t end, float* out, const Context& ctx,
                      const TrainCodes* cached = nullptr);

}  // namespace smt
