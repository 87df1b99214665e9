// Dictionary (docs/algorithm.md step 5) on whitened patches of small synthetic
// images: the greedy selection's guarantees (K unit atoms, each a training
// patch, pairwise cosines <= theta, a clear error when K cannot be reached),
// spherical k-means' (K unit atoms, a better fit than its greedy start), and
// determinism for both: the same seed gives the same atoms whatever the thread
// count, another seed other atoms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/patch_extractor.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/whitener.h"
#include "test_util.h"

namespace smt {
namespace {

constexpr int kSide = 16, kPatch = 4, kImages = 24;

// Grayscale images of a few random rectangles of random brightness on a noisy
// background: edges and corners of every orientation and contrast.
ImageSet synthetic_images(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 30), pos(0, kSide - 1), value(0, 255), count(2, 5);
  ImageSet set;
  set.height = set.width = kSide;
  set.channels = 1;
  set.num_classes = 2;
  set.source = "synthetic";
  set.pixels.resize(static_cast<std::size_t>(kImages) * kSide * kSide);
  for (int i = 0; i < kImages; ++i) {
    std::uint8_t* img = set.pixels.data() + static_cast<std::size_t>(i) * kSide * kSide;
    for (int p = 0; p < kSide * kSide; ++p) img[p] = static_cast<std::uint8_t>(noise(rng));
    for (int r = count(rng); r > 0; --r) {
      int y0 = pos(rng), y1 = pos(rng), x0 = pos(rng), x1 = pos(rng);
      if (y0 > y1) std::swap(y0, y1);
      if (x0 > x1) std::swap(x0, x1);
      const int v = value(rng);
      for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x)
          img[y * kSide + x] = static_cast<std::uint8_t>(std::min(255, v + noise(rng)));
    }
    set.labels.push_back(i % 2);
  }
  return set;
}

// The images, their whitener and the whitened, flipped patch source the
// pipeline would build (docs/algorithm.md steps 2-4).
struct Fixture {
  ImageSet images = synthetic_images(3);
  PatchExtractor extractor{kSide, kSide, 1, kPatch, 1, -1};
  Whitener whitener;
  std::unique_ptr<PatchSource> source;

  Fixture() {
    const PatchSource raw(images, extractor, nullptr, smt::ViewSet(true));
    MomentAccumulator moments(raw.dim());
    std::vector<float> patches(static_cast<std::size_t>(raw.patches_per_image()) * raw.dim()),
        scratch;
    for (std::size_t i = 0; i < raw.num_images(); ++i) {
      raw.patches(i, patches.data(), scratch);
      moments.add(patches.data(), raw.patches_per_image());
    }
    whitener = Whitener::fit(moments, 1e-3);
    source = std::make_unique<PatchSource>(images, extractor, &whitener, smt::ViewSet(true));
  }

  // Every whitened patch of the augmented set (num_patches x dim).
  std::vector<float> all_patches() const {
    const std::size_t per = static_cast<std::size_t>(source->patches_per_image()) * source->dim();
    std::vector<float> out(source->num_images() * per), scratch;
    for (std::size_t i = 0; i < source->num_images(); ++i)
      source->patches(i, out.data() + i * per, scratch);
    return out;
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

Context context(std::uint64_t seed, int threads) {
  Context ctx;
  ctx.seed = seed;
  ctx.threads = threads;
  return ctx;
}

double dot(const float* a, const float* b, int dim) {
  double s = 0;
  for (int d = 0; d < dim; ++d) s += static_cast<double>(a[d]) * b[d];
  return s;
}

void expect_unit_atoms(const Dictionary& dict, int size, int dim) {
  ASSERT_EQ(dict.size(), size);
  ASSERT_EQ(dict.dim(), dim);
  ASSERT_EQ(dict.atoms().size(), static_cast<std::size_t>(size) * dim);
  for (int k = 0; k < size; ++k) {
    const double norm = std::sqrt(dot(dict.atom(k), dict.atom(k), dim));
    EXPECT_NEAR(norm, 1.0, 1e-5) << "atom " << k;
  }
}

// Mean over all patches of the best cosine with an atom: how well the
// dictionary represents the data (what spherical k-means increases).
double mean_best_cosine(const Dictionary& dict, const std::vector<float>& patches) {
  const int dim = dict.dim();
  const std::size_t n = patches.size() / dim;
  double total = 0;
  for (std::size_t p = 0; p < n; ++p) {
    double best = -2;
    for (int k = 0; k < dict.size(); ++k)
      best = std::max(best, dot(patches.data() + p * dim, dict.atom(k), dim));
    total += best;
  }
  return total / static_cast<double>(n);
}

constexpr int kGreedySize = 40;
constexpr double kTheta = 0.5;

TEST(Dictionary, GreedyAtomsAreUnitTrainingPatchesAtMostThetaApart) {
  const Fixture& f = fixture();
  const int dim = f.source->dim();
  ASSERT_EQ(dim, kPatch * kPatch);
  const Dictionary dict = Dictionary::fit_greedy(*f.source, kGreedySize, kTheta, 0, context(1, 2));
  expect_unit_atoms(dict, kGreedySize, dim);
  // Pairwise cosines (the selection compares in float: allow its rounding).
  double worst = -1;
  for (int a = 0; a < kGreedySize; ++a)
    for (int b = a + 1; b < kGreedySize; ++b) {
      const double c = dot(dict.atom(a), dict.atom(b), dim);
      worst = std::max(worst, c);
      EXPECT_LE(c, kTheta + 1e-5) << "atoms " << a << " and " << b;
    }
  EXPECT_GT(worst, 0.0) << "the test data should make the threshold bind";
  // Each atom is one of the whitened training patches (flips included), up to
  // the rounding of whitening a few patches instead of a whole image.
  const std::vector<float> patches = f.all_patches();
  const std::size_t n = patches.size() / dim;
  for (int k = 0; k < kGreedySize; ++k) {
    double nearest = 2;
    for (std::size_t p = 0; p < n; ++p)
      nearest = std::min(nearest, 1.0 - dot(dict.atom(k), patches.data() + p * dim, dim));
    EXPECT_LT(nearest, 1e-5) << "atom " << k << " is not a training patch";
  }
}

TEST(Dictionary, GreedyIsDeterministicPerSeedAndThreadCount) {
  const Fixture& f = fixture();
  const Dictionary a = Dictionary::fit_greedy(*f.source, kGreedySize, kTheta, 0, context(7, 1));
  const Dictionary b = Dictionary::fit_greedy(*f.source, kGreedySize, kTheta, 0, context(7, 1));
  const Dictionary c = Dictionary::fit_greedy(*f.source, kGreedySize, kTheta, 0, context(7, 3));
  const Dictionary other = Dictionary::fit_greedy(*f.source, kGreedySize, kTheta, 0, context(8, 1));
  EXPECT_EQ(a.atoms(), b.atoms()) << "the same seed gave different atoms";
  EXPECT_EQ(a.atoms(), c.atoms()) << "the thread count changed the atoms";
  EXPECT_NE(a.atoms(), other.atoms()) << "another seed gave the same atoms";
  // Dictionary::fit dispatches to the same selection.
  Config config;
  config.dict_size = kGreedySize;
  config.dict_method = DictMethod::kGreedy;
  config.dict_threshold = kTheta;
  EXPECT_EQ(Dictionary::fit(*f.source, config, context(7, 2)).atoms(), a.atoms());
}

TEST(Dictionary, GreedyFailsClearlyWhenThetaCannotBeMet) {
  const Fixture& f = fixture();
  // At most dim + 1 unit vectors can have pairwise cosines <= -1/dim; -0.9
  // admits only two (antipodal) atoms.
  const std::string message =
      testing::error_of([&] { Dictionary::fit_greedy(*f.source, 10, -0.9, 5000, context(1, 1)); });
  EXPECT_NE(message.find("found only"), std::string::npos) << message;
  EXPECT_NE(message.find("dict-size is 10"), std::string::npos) << message;
  // A candidate budget too small to fill the dictionary fails the same way.
  const std::string budget = testing::error_of([&] {
    Dictionary::fit_greedy(*f.source, kGreedySize, kTheta, kGreedySize - 1, context(1, 1));
  });
  EXPECT_NE(budget.find("found only"), std::string::npos) << budget;
  EXPECT_NE(testing::error_of([&] {
              Dictionary::fit_greedy(*f.source, 0, kTheta, 0, context(1, 1));
            }).find("dict-size"),
            std::string::npos);
}

constexpr int kKMeansSize = 24;

TEST(Dictionary, KMeansAtomsAreUnitAndFitBetterThanTheirGreedyStart) {
  const Fixture& f = fixture();
  const int dim = f.source->dim();
  const Context ctx = context(2, 2);
  const Dictionary start = Dictionary::fit_greedy(*f.source, kKMeansSize, kTheta, 0, ctx);
  const Dictionary dict = Dictionary::fit_kmeans(*f.source, kKMeansSize, 8, 2000, kTheta, ctx);
  expect_unit_atoms(dict, kKMeansSize, dim);
  EXPECT_NE(dict.atoms(), start.atoms()) << "k-means did not move the atoms";
  const std::vector<float> patches = f.all_patches();
  EXPECT_GT(mean_best_cosine(dict, patches), mean_best_cosine(start, patches));
}

TEST(Dictionary, KMeansIsDeterministicPerSeedAndThreadCount) {
  const Fixture& f = fixture();
  const Dictionary a =
      Dictionary::fit_kmeans(*f.source, kKMeansSize, 4, 1500, kTheta, context(5, 1));
  const Dictionary b =
      Dictionary::fit_kmeans(*f.source, kKMeansSize, 4, 1500, kTheta, context(5, 1));
  const Dictionary c =
      Dictionary::fit_kmeans(*f.source, kKMeansSize, 4, 1500, kTheta, context(5, 3));
  const Dictionary other =
      Dictionary::fit_kmeans(*f.source, kKMeansSize, 4, 1500, kTheta, context(6, 1));
  EXPECT_EQ(a.atoms(), b.atoms()) << "the same seed gave different atoms";
  EXPECT_EQ(a.atoms(), c.atoms()) << "the thread count changed the atoms";
  EXPECT_NE(a.atoms(), other.atoms()) << "another seed gave the same atoms";
  Config config;
  config.dict_size = kKMeansSize;
  config.dict_method = DictMethod::kKMeans;
  config.dict_threshold = kTheta;
  config.kmeans_iters = 4;
  config.kmeans_batch = 1500;
  EXPECT_EQ(Dictionary::fit(*f.source, config, context(5, 2)).atoms(), a.atoms());
}

// The online 1-sparse heuristic starts from the seeded stream's first
// non-zero patches (a random-patch dictionary): its running means must
// represent the patches better than that start.
TEST(Dictionary, OnlineAtomsAreUnitAndFitBetterThanRandomPatches) {
  const Fixture& f = fixture();
  const int dim = f.source->dim();
  const Context ctx = context(2, 2);
  const Dictionary start = Dictionary::fit_online(*f.source, kKMeansSize, 1, 1000, ctx);
  const Dictionary dict = Dictionary::fit_online(*f.source, kKMeansSize, 8000, 1000, ctx);
  expect_unit_atoms(start, kKMeansSize, dim);
  expect_unit_atoms(dict, kKMeansSize, dim);
  const std::vector<float> patches = f.all_patches();
  EXPECT_GT(mean_best_cosine(dict, patches), mean_best_cosine(start, patches) + 0.02);
  // The start is made of training patches (but for the atom that won the
  // one patch visited after it).
  int found = 0;
  for (int k = 0; k < kKMeansSize; ++k) {
    for (std::size_t p = 0; p < patches.size() / dim; ++p) {
      const float* x = patches.data() + p * dim;
      const double n = std::sqrt(dot(x, x, dim));
      if (n > 0 && dot(x, start.atom(k), dim) / n > 1 - 1e-6) {
        ++found;
        break;
      }
    }
  }
  EXPECT_GE(found, kKMeansSize - 1);
}

TEST(Dictionary, OnlineIsDeterministicPerSeedAndThreadCount) {
  const Fixture& f = fixture();
  const Dictionary a = Dictionary::fit_online(*f.source, kKMeansSize, 6000, 1500, context(5, 1));
  const Dictionary b = Dictionary::fit_online(*f.source, kKMeansSize, 6000, 1500, context(5, 3));
  const Dictionary other =
      Dictionary::fit_online(*f.source, kKMeansSize, 6000, 1500, context(6, 1));
  EXPECT_EQ(a.atoms(), b.atoms()) << "the thread count changed the atoms";
  EXPECT_NE(a.atoms(), other.atoms()) << "another seed gave the same atoms";
  Config config;
  config.dict_size = kKMeansSize;
  config.dict_method = DictMethod::kOnline;
  config.dict_samples = 6000;
  config.kmeans_batch = 1500;
  EXPECT_EQ(Dictionary::fit(*f.source, config, context(5, 2)).atoms(), a.atoms());
}

// Atoms that stop winning are replaced: at the end few atoms are the
// nearest of no patch at all, fewer than in the random start.
TEST(Dictionary, OnlineReplacesAtomsThatStopWinning) {
  const Fixture& f = fixture();
  const int dim = f.source->dim(), size = 120;
  const std::vector<float> patches = f.all_patches();
  auto dead_atoms = [&](const Dictionary& d) {
    std::vector<int> wins(size, 0);
    for (std::size_t p = 0; p < patches.size() / dim; ++p) {
      int best = 0;
      for (int k = 1; k < size; ++k)
        if (dot(patches.data() + p * dim, d.atom(k), dim) >
            dot(patches.data() + p * dim, d.atom(best), dim))
          best = k;
      ++wins[best];
    }
    return static_cast<int>(std::count(wins.begin(), wins.end(), 0));
  };
  const Dictionary start = Dictionary::fit_online(*f.source, size, 1, 500, context(1, 2));
  const Dictionary dict = Dictionary::fit_online(*f.source, size, 30000, 500, context(1, 2));
  expect_unit_atoms(dict, size, dim);
  const int dead_start = dead_atoms(start), dead_end = dead_atoms(dict);
  EXPECT_LE(dead_end, dead_start);
  EXPECT_LE(dead_end, size / 10) << dead_end << " atoms win no patch (start: " << dead_start << ")";
}

TEST(Dictionary, OnlineFailsClearlyOnFlatImages) {
  ImageSet flat = synthetic_images(4);
  std::fill(flat.pixels.begin(), flat.pixels.end(), std::uint8_t{77});
  const PatchExtractor extractor{kSide, kSide, 1, kPatch, 1, -1};
  const PatchSource src(flat, extractor, nullptr, ViewSet(true));
  const std::string msg =
      testing::error_of([&] { Dictionary::fit_online(src, 8, 0, 500, context(1, 2)); });
  EXPECT_NE(msg.find("non-zero patches"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dict-size"), std::string::npos) << msg;
}

}  // namespace
}  // namespace smt
