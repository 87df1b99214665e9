#include "smt/model/estimator.h"

#include "smt/core/error.h"
#include "smt/model/fit.h"
#include "smt/model/run_metrics.h"

namespace smt {

Estimator::Estimator(Config config) : config_(std::move(config)) {
  config_.validate();
}

Context Estimator::context() const {
  Context ctx;
  ctx.threads = config_.threads;
  ctx.seed = config_.seed;
  ctx.observer = observer_;
  return ctx;
}

void Estimator::adopt(SmtModel model) {
  config_ = model.config;
  encoder_ =
      std::make_shared<const FeatureEncoder>(std::make_shared<const SmtModel>(std::move(model)));
}

Estimator& Estimator::fit(const ImageView& images, const std::string& name) {
  const ImageSet train = to_image_set(images, name.c_str());
  const Context ctx = context();
  const ScopedThreadLimit threads(config_.threads);
  RunMetrics metrics;
  Timer total;
  SmtModel model = fit_model(train, config_, ctx, metrics);
  fit_metrics_ = metrics.to_json(total.seconds());
  adopt(std::move(model));
  return *this;
}

void Estimator::transform(const ImageView& images, float* out, std::size_t out_size,
                          const std::string& name) const {
  SMT_CHECK(fitted(), "transform needs a fitted model: call fit() or load() first");
  const std::size_t need = images.count * encoder_->feature_dim();
  SMT_CHECK(out != nullptr && out_size == need, "transform of ", images.count,
            " images needs an output buffer of ", images.count, " x ", encoder_->feature_dim(),
            " = ", need, " floats, got ", out_size);
  // The image shape is checked against the model where the patches are made
  // (PatchSource), for transform as for every other caller.
  const ImageSet set = to_image_set(images, name.c_str());
  const ScopedThreadLimit threads(config_.threads);
  encoder_->encode_in_batches(set, ViewSet(), 0, set.size(), out, context(), nullptr,
                              "embedding images");
}

std::size_t Estimator::feature_dim() const {
  return model().feature_dim();
}

const SmtModel& Estimator::model() const {
  SMT_CHECK(fitted(), "the estimator is not fitted: call fit() or load() first");
  return encoder_->model();
}

void Estimator::save(const std::string& path) const {
  model().save(path);
}
void Estimator::save(std::ostream& out) const {
  model().save(out);
}

Estimator Estimator::from_model(SmtModel model) {
  Estimator e(model.config);
  e.adopt(std::move(model));
  return e;
}

Estimator Estimator::load(const std::string& path) {
  return from_model(SmtModel::load(path));
}

Estimator Estimator::load(std::istream& in, const std::string& name) {
  return from_model(SmtModel::load(in, name));
}

}  // namespace smt
