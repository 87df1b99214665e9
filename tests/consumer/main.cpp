// Fits and transforms images held in memory through the installed library;
// exits non-zero unless the features are finite, unit-norm per pooled cell,
// identical after a save/load round trip through a stream, and separate the
// two generated classes better than chance under 1-NN.
#include <smt/smt.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace {

// Class 0: horizontal stripes, class 1: vertical stripes, random phases.
std::vector<std::uint8_t> stripes(int n, int side, std::vector<std::int32_t>& labels) {
  std::vector<std::uint8_t> px(static_cast<std::size_t>(n) * side * side);
  smt::Rng rng(7);
  for (int i = 0; i < n; ++i) {
    const int label = i % 2;
    const int phase = static_cast<int>(rng.below(6));
    labels.push_back(label);
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const int t = (label == 0 ? y : x) + phase;
        px[(static_cast<std::size_t>(i) * side + y) * side + x] = (t / 3) % 2 ? 230 : 20;
      }
  }
  return px;
}

}  // namespace

int main() {
  try {
    const int side = 12, n_train = 60, n_test = 20;
    std::vector<std::int32_t> train_labels, test_labels;
    const auto train = stripes(n_train, side, train_labels);
    const auto test = stripes(n_test, side, test_labels);

    smt::Config config;
    config.patch_size = 4;
    config.dict_size = 24;
    config.dict_threshold = 0.95;
    config.embed_dim = 8;
    config.pool_window = 3;
    config.pool_stride = 3;
    config.threads = 2;
    smt::Estimator estimator(config);
    estimator.fit(smt::ImageView{train.data(), static_cast<std::size_t>(n_train), side, side, 1});

    const std::size_t dim = estimator.feature_dim();
    std::vector<float> f_train(n_train * dim), f_test(n_test * dim);
    estimator.transform({train.data(), static_cast<std::size_t>(n_train), side, side, 1},
                        f_train.data(), f_train.size());
    estimator.transform({test.data(), static_cast<std::size_t>(n_test), side, side, 1},
                        f_test.data(), f_test.size());
    for (float v : f_test)
      if (!std::isfinite(v)) throw smt::Error("non-finite feature");

    std::stringstream blob;
    estimator.save(blob);
    const smt::Estimator loaded = smt::Estimator::load(blob);
    std::vector<float> again(f_test.size());
    loaded.transform({test.data(), static_cast<std::size_t>(n_test), side, side, 1}, again.data(),
                     again.size());
    if (again != f_test) throw smt::Error("features differ after a stream round trip");

    int correct = 0;
    for (int q = 0; q < n_test; ++q) {
      int best = -1;
      double best_sim = -1e30;
      for (int r = 0; r < n_train; ++r) {
        double s = 0;
        for (std::size_t k = 0; k < dim; ++k) s += f_test[q * dim + k] * f_train[r * dim + k];
        if (s > best_sim) best_sim = s, best = r;
      }
      correct += train_labels[best] == test_labels[q];
    }
    std::printf("smt consumer: %zu-dim features, 1-NN %d/%d correct\n", dim, correct, n_test);
    return correct > n_test * 3 / 4 ? 0 : 1;
  } catch (const smt::Error& e) {
    std::fprintf(stderr, "smt consumer: error: %s\n", e.what());
    return 1;
  }
}
