#include "smt/model/feature_encoder.h"

#include <algorithm>
#include <optional>

#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/stages/pooling.h"

namespace smt {

void code_image(const PatchSource& src, const SparseCoder& coder, std::size_t i,
                CodingBuffers& buffers, PatchCodes& out) {
  buffers.patches.resize(static_cast<std::size_t>(src.patches_per_image()) * src.dim());
  src.patches(i, buffers.patches.data(), buffers.scratch);
  out.clear();
  coder.encode(buffers.patches.data(), src.patches_per_image(), out, buffers.coder);
}

namespace {

// Codes kept from the fit must fit this model before they are embedded.
void check_cached_codes(const PatchCodes& codes, std::size_t image, int patches, int atoms) {
  SMT_CHECK(codes.num_patches() == patches, "cached codes of image ", image, " hold ",
            codes.num_patches(), " patches but the model's images have ", patches,
            "; the code cache does not belong to this model");
  for (std::uint16_t a : codes.atoms)
    SMT_CHECK(a < atoms, "cached codes of image ", image, " use atom ", a, " of a ", atoms,
              "-atom dictionary; the code cache does not belong to this model");
}

}  // namespace

FeatureEncoder::FeatureEncoder(std::shared_ptr<const SmtModel> model)
    : model_(std::move(model)),
      extractor_(model_->extractor()),
      coder_(model_->coder()),
      feature_dim_(model_->feature_dim()) {}

void FeatureEncoder::encode(const ImageSet& images, const ViewSet& views, std::size_t begin,
                            std::size_t end, float* out, const Context& ctx,
                            const TrainCodes* cached) const {
  const SmtModel& model = *model_;
  const PatchSource src(images, extractor_, &model.whitener, views, model.config.grayscale);
  SMT_CHECK(end <= src.num_images() && begin <= end, "feature range [", begin, ", ", end,
            ") is outside the ", src.num_images(), " images");
  const int g = extractor_.grid_h(), d = model.projection.embed_dim();
  const std::size_t beta_size = static_cast<std::size_t>(extractor_.num_patches()) * d;
  const bool use_cache = cached && cached->valid && cached->views == views &&
                         cached->images.size() <= src.num_images();
  struct Worker {
    CodingBuffers buffers;
    std::vector<float> beta;
    PatchCodes codes;
  };
  parallel_for(
      ctx.num_threads(), begin, end, Schedule::dynamic(1),
      [&] {
        return Worker{{}, std::vector<float>(beta_size), {}};
      },
      [&](Worker& w, std::size_t i) {
        ctx.check_cancelled();
        if (use_cache && i < cached->images.size()) {
          cached->images[i].unpack(w.codes);
          check_cached_codes(w.codes, i, extractor_.num_patches(), model.projection.dict_size());
        } else {
          code_image(src, coder_, i, w.buffers, w.codes);
        }
        model.projection.embed(w.codes, w.beta.data());
        average_pool(w.beta.data(), g, d, model.config.pool_window, model.config.pool_stride,
                     out + (i - begin) * feature_dim_);
      });
}

void FeatureEncoder::encode_in_batches(const ImageSet& images, const ViewSet& views,
                                       std::size_t begin, std::size_t end, float* out,
                                       const Context& ctx, const TrainCodes* cached,
                                       const char* what) const {
  const std::size_t batch = static_cast<std::size_t>(model_->config.batch_images);
  std::optional<Progress> progress;
  if (what) progress.emplace(ctx, what, static_cast<std::int64_t>(end - begin));
  for (std::size_t b0 = begin; b0 < end; b0 += batch) {
    const std::size_t b1 = std::min(end, b0 + batch);
    // encode() is itself a cancellation point at every image.
    encode(images, views, b0, b1, out + (b0 - begin) * feature_dim_, ctx, cached);
    if (progress) progress->update(static_cast<std::int64_t>(b1 - begin));
  }
  if (progress) progress->finish();
}

void compute_features(const SmtModel& model, const ImageSet& images, const ViewSet& views,
                      std::size_t begin, std::size_t end, float* out, const Context& ctx,
                      const TrainCodes* cached) {
  FeatureEncoder(std::make_shared<const SmtModel>(model))
      .encode(images, views, begin, end, out, ctx, cached);
}

}  // namespace smt
