// The same seed gives the same model file bytes whatever the thread count
// (README "Reproducibility"): 1 thread, 2, 3 and more threads than this
// machine's cores, on grayscale digit-like and colour CIFAR-shaped generated
// images, through every dictionary method, both eigensolver paths, flips,
// luma views and joint contexts; and on a few hundred real MNIST digits when
// SMT_DATA_DIR is set.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/io/dataset.h"
#include "smt/model/fit.h"
#include "smt/model/model.h"
#include "smt/model/run_metrics.h"
#include "test_util.h"

namespace {

smt::Config base_config() {
  smt::Config c;
  c.patch_size = 4;
  c.whiten_tol = 1e-2;
  c.dict_size = 96;
  c.dict_threshold = 0.6;
  c.threshold = 1.0;
  c.flip = false;
  c.embed_dim = 6;
  c.pool_window = 4;
  c.pool_stride = 3;
  c.kmeans_iters = 4;
  c.kmeans_batch = 3000;
  c.seed = 11;
  c.batch_images = 24;  // several streaming batches
  return c;
}

std::string model_bytes(const smt::ImageSet& train, smt::Config c, int threads,
                        smt::EigenMethod method) {
  c.threads = threads;
  smt::Context ctx;
  ctx.threads = threads;
  ctx.seed = c.seed;
  const smt::ScopedThreadLimit limit(threads);  // as the CLI and Python do
  smt::RunMetrics metrics;
  smt::FitOptions options;
  options.eigen_method = method;
  const smt::SmtModel model = smt::fit_model(train, c, ctx, metrics, nullptr, options);
  std::ostringstream out;
  model.save(out);
  return out.str();
}

struct Case {
  std::string name;
  int channels;
  smt::EigenMethod method;
  std::function<void(smt::Config&)> tweak;
};

void expect_thread_independent(const smt::ImageSet& train, const Case& k) {
  smt::Config c = base_config();
  k.tweak(c);
  const std::string one = model_bytes(train, c, 1, k.method);
  for (int threads : {2, 3, 8}) {
    EXPECT_TRUE(model_bytes(train, c, threads, k.method) == one)
        << k.name << ": the model file differs between 1 and " << threads << " threads";
  }
  // A test that cannot fail is no test: another seed changes the bytes.
  c.seed += 1;
  EXPECT_FALSE(model_bytes(train, c, 2, k.method) == one) << k.name << ": the seed has no effect";
}

TEST(Reproducibility, ModelBytesDoNotDependOnTheThreadCount) {
  using smt::EigenMethod;
  const std::vector<Case> cases = {
      {"grayscale, vector quantisation, greedy, 3x3 window", 1, EigenMethod::kDense,
       [](smt::Config& c) { c.neighborhood = 1; }},
      {"grayscale, vector quantisation, subspace eigensolver", 1, EigenMethod::kSubspace,
       [](smt::Config& c) { c.eigen_tol = 1e-9; }},
      {"colour, flips, threshold 0.3, k-means, cosine values (dense V)", 3, EigenMethod::kDense,
       [](smt::Config& c) {
         c.flip = true;
         c.threshold = 0.3;
         c.dict_method = smt::DictMethod::kKMeans;
         c.code_values = smt::CodeValues::kVariable;
       }},
      {"colour, threshold 0.3, subspace eigensolver in single precision", 3, EigenMethod::kSubspace,
       [](smt::Config& c) { c.threshold = 0.3; }},
      {"colour, flips and luma views in one joint context, online dictionary", 3,
       EigenMethod::kDense,
       [](smt::Config& c) {
         c.flip = true;
         c.gray_view = true;
         c.view_context = smt::ViewContext::kJoint;
         c.dict_method = smt::DictMethod::kOnline;
         c.threshold = 0.4;
       }},
  };
  const smt::ImageSet gray = smt::testing::blobs(60, 12, 1, 1),
                      colour = smt::testing::blobs(40, 12, 3, 2);
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    expect_thread_independent(k.channels == 1 ? gray : colour, k);
  }
}

TEST(Reproducibility, RealMnistModelBytesDoNotDependOnTheThreadCount) {
  const char* dir = std::getenv("SMT_DATA_DIR");
  if (!dir) GTEST_SKIP() << "SMT_DATA_DIR not set";
  smt::ImageSet train = smt::load_split(dir, true);
  train.truncate(200);
  const Case k{"MNIST, configs/mnist.json with 512 atoms", 1, smt::EigenMethod::kAuto,
               [](smt::Config& c) {
                 c.patch_size = 6;
                 c.whiten_tol = 1.0;
                 c.dict_size = 512;
                 c.dict_threshold = 0.9;
                 c.neighborhood = 3;
                 c.embed_dim = 32;
                 c.pool_window = 4;
                 c.pool_stride = 2;
               }};
  expect_thread_independent(train, k);
}

}  // namespace
