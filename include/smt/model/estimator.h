// The library's front door: a fit/transform estimator over images held in
// memory. Construct it from a Config, fit it on an ImageView (labels not
// needed), then transform images into a buffer the caller owns. The fitted
// model saves to and loads from files or streams in the versioned model
// format that `smt fit` writes, and the features equal `smt embed`'s bit for
// bit for the same model and images.
//
//   smt::Config config;            // every field: core/config.h
//   config.dict_size = 1024;
//   smt::Estimator est(config);
//   est.fit(smt::ImageView{pixels, n, 28, 28, 1});
//   std::vector<float> f(m * est.feature_dim());
//   est.transform(smt::ImageView{test_pixels, m, 28, 28, 1}, f.data(), f.size());
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "smt/core/config.h"
#include "smt/core/image_view.h"
#include "smt/core/observer.h"
#include "smt/model/feature_encoder.h"
#include "smt/model/model.h"

namespace smt {

class Estimator {
 public:
  // Validates the configuration (smt::Error naming the parameter).
  explicit Estimator(Config config = {});

  // Progress, log lines and cancellation of later fit/transform calls; null
  // (the default): silent.
  void set_observer(std::shared_ptr<Observer> observer) { observer_ = std::move(observer); }

  // Fits whitening, dictionary, statistics and the embedding on the images
  // (with their horizontal flips when config.flip). Replaces an earlier fit.
  // `name` stands for the images in error messages.
  Estimator& fit(const ImageView& images, const std::string& name = "fit images");

  // Features of the images (count x feature_dim(), row-major) into out, which
  // holds out_size floats. Needs a fitted model whose image shape they have.
  void transform(const ImageView& images, float* out, std::size_t out_size,
                 const std::string& name = "transform images") const;

  bool fitted() const { return encoder_ != nullptr; }
  std::size_t feature_dim() const;  // throws when not fitted
  const Config& config() const { return config_; }
  const SmtModel& model() const;  // throws when not fitted
  // What the last fit measured: stage seconds, sizes, eigenvalues (metrics JSON form).
  const nlohmann::json& fit_metrics() const { return fit_metrics_; }

  void save(const std::string& path) const;  // atomic: temporary file, then rename
  void save(std::ostream& out) const;
  static Estimator load(const std::string& path);
  static Estimator load(std::istream& in, const std::string& name = "model stream");
  // A fitted estimator around a model (e.g. one from SmtModel::load).
  static Estimator from_model(SmtModel model);

 private:
  Context context() const;
  void adopt(SmtModel model);

  Config config_;
  std::shared_ptr<Observer> observer_;
  std::shared_ptr<const FeatureEncoder> encoder_;  // owns the model; null until fitted
  nlohmann::json fit_metrics_ = nlohmann::json::object();
};

}  // namespace smt
