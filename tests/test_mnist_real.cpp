// The pipeline's invariants on a few hundred real MNIST images (skipped when
// SMT_DATA_DIR is not set): whitened patches have covariance ~ I, the fitted P
// satisfies P V P^T = I and tr(P L P^T) = sum of the kept eigenvalues for the
// statistics of these very images, and the features separate the digits far
// better than chance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "smt/eval/knn.h"
#include "smt/io/dataset.h"
#include "smt/smt.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/statistics.h"

namespace {

std::string mnist_dir() {
  const char* env = std::getenv("SMT_DATA_DIR");
  return env ? env : "";
}

smt::Config small_config(int neighborhood) {
  smt::Config c;
  c.flip = false;
  c.dict_size = 512;
  c.dict_threshold = 0.7;
  c.threshold = 1.0;
  c.embed_dim = 8;
  c.neighborhood = neighborhood;
  c.v_reg = 1e-9;
  c.threads = 2;
  return c;
}

class MnistReal : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (mnist_dir().empty()) GTEST_SKIP() << "SMT_DATA_DIR not set";
    train_ = smt::load_split(mnist_dir(), true);
    train_.truncate(300);
  }
  smt::ImageSet train_;
};

TEST_P(MnistReal, ProjectionWhitensTheTrainingStatistics) {
  const smt::Config c = small_config(GetParam());
  smt::Context ctx;
  ctx.threads = 2;
  smt::RunMetrics metrics;
  const smt::SmtModel model = smt::fit_model(train_, c, ctx, metrics);

  // Whitened (unnormalised) patch covariance: W Sigma W = I - tau W^2, i.e.
  // ~I wherever the variance is well above tau.
  const smt::PatchExtractor ex = model.extractor();
  const smt::PatchSource raw(train_, ex, nullptr, smt::ViewSet());
  smt::MomentAccumulator moments(ex.dim());
  std::vector<float> buf(static_cast<std::size_t>(ex.num_patches()) * ex.dim()), scratch;
  for (std::size_t i = 0; i < raw.num_images(); ++i) {
    raw.patches(i, buf.data(), scratch);
    moments.add(buf.data(), ex.num_patches());
  }
  const auto cov = moments.covariance();
  const auto& w = model.whitener.matrix();
  const int d = ex.dim();
  int near_identity = 0;
  for (int a = 0; a < d; ++a) {
    for (int b = 0; b < d; ++b) {
      double wsw = 0, ww = 0;
      for (int i = 0; i < d; ++i) {
        ww += static_cast<double>(w[a * d + i]) * w[i * d + b];
        for (int j = 0; j < d; ++j) wsw += w[a * d + i] * cov[i * d + j] * w[j * d + b];
      }
      EXPECT_NEAR(wsw + c.whiten_tol * ww, a == b ? 1.0 : 0.0, 1e-3) << a << "," << b;
      if (a == b) near_identity += wsw > 0.9;
    }
  }
  EXPECT_GE(near_identity, d / 2) << "most whitened directions should have unit variance";

  // Recompute V and L for the same images and check P against them.
  const smt::PatchSource src(train_, ex, &model.whitener, smt::ViewSet());
  const smt::SparseCoder coder = model.coder();
  smt::SmtStatistics stats(c.dict_size, true, {c.op, c.neighborhood, c.zero_code});
  std::vector<smt::PatchCodes> codes(src.num_images());
  std::vector<const smt::PatchCodes*> ptrs;
  smt::SparseCoder::Scratch cs;
  for (std::size_t i = 0; i < src.num_images(); ++i) {
    src.patches(i, buf.data(), scratch);
    coder.encode(buf.data(), ex.num_patches(), codes[i], cs);
    ptrs.push_back(&codes[i]);
  }
  stats.add_images(ptrs, ex.grid_h(), ex.grid_w(), ctx);
  const auto v = stats.dense_v();
  const auto l = stats.dense_l();
  const int k = c.dict_size, e = c.embed_dim;
  const auto& p = model.projection.by_atom();  // k x e
  double trace_plp = 0, eig_sum = 0;
  for (int i = 0; i < e; ++i) {
    for (int j = 0; j < e; ++j) {
      double pvp = 0, plp = 0;
      for (int a = 0; a < k; ++a) {
        const double pa = p[static_cast<std::size_t>(a) * e + i];
        if (pa == 0) continue;
        for (int b = 0; b < k; ++b) {
          const double pb = p[static_cast<std::size_t>(b) * e + j];
          pvp += pa * v[static_cast<std::size_t>(a) * k + b] * pb;
          plp += pa * l[static_cast<std::size_t>(a) * k + b] * pb;
        }
      }
      EXPECT_NEAR(pvp, i == j ? 1.0 : 0.0, 2e-4) << i << "," << j;
      if (i == j) trace_plp += plp;
    }
    eig_sum += model.projection.eigenvalues()[i];
  }
  EXPECT_NEAR(trace_plp, eig_sum, 1e-4 * std::abs(eig_sum));

  // Features of held-out digits: far better than the 10 % of chance.
  smt::ImageSet test = smt::load_split(mnist_dir(), false);
  test.truncate(200);
  const std::size_t f = model.feature_dim();
  std::vector<float> tr(train_.size() * f), te(test.size() * f);
  smt::compute_features(model, train_, smt::ViewSet(), 0, train_.size(), tr.data(), ctx);
  smt::compute_features(model, test, smt::ViewSet(), 0, test.size(), te.data(), ctx);
  smt::KnnAccumulator knn(te.data(), test.size(), f, 10);
  knn.add_references(tr.data(), train_.labels.data(), train_.size());
  const smt::KnnResult r = knn.classify(10, 0.03f, test.labels);
  EXPECT_GT(r.top1_accuracy, 0.6);
}

INSTANTIATE_TEST_SUITE_P(Windows, MnistReal, ::testing::Values(-1, 2));

}  // namespace
