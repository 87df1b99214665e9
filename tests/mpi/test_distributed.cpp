// The distributed mode against one process, run under
// `mpirun --allow-run-as-root --oversubscribe -np N smt_mpi_tests` (ctest
// runs N = 2 and 3). Every process computes the single-process reference on
// the whole set itself, then the distributed result on its shard, so each
// comparison is local and a failed expectation never leaves a process
// waiting in a collective. Real MNIST when SMT_DATA_DIR is set, generated
// images otherwise.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

#include "kernels/exact_sum.h"
#include "smt/eval/knn.h"
#include "smt/eval/knn_evaluation.h"
#include "smt/io/dataset.h"
#include "smt/model/data_split.h"
#include "smt/model/feature_encoder.h"
#include "smt/model/fit.h"
#include "smt/mpi/mpi_session.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/statistics.h"
#include "smt/stages/whitener.h"
#include "test_util.h"

namespace {

std::shared_ptr<const smt::Communicator> g_world;  // set once in main, read-only after

smt::Context single() {
  smt::Context ctx;
  ctx.threads = 1;
  ctx.seed = 7;
  return ctx;
}

smt::Context distributed() {
  smt::Context ctx = single();
  ctx.comm = g_world;
  return ctx;
}

// This process's shard of `set`, as the distributed loader returns it.
// Blocks of 32 (config.shard_block below), so that a few hundred images are
// dealt to every process.
constexpr std::size_t kBlock = 32;
smt::ImageSet shard_of(const smt::ImageSet& set) {
  return smt::take_shard(set, {g_world->rank(), g_world->size()}, kBlock);
}

struct Data {
  smt::ImageSet train, test;
  smt::Config config;
  std::string name;
};

Data mnist_or_blobs(std::size_t n_train, std::size_t n_test) {
  Data d;
  smt::Config& c = d.config;
  c.patch_size = 6;
  c.whiten_tol = 1.0;
  c.dict_size = 128;
  c.dict_threshold = 0.9;
  c.neighborhood = -1;
  c.embed_dim = 24;
  c.pool_window = 4;
  c.pool_stride = 2;
  c.knn_k = 10;
  c.batch_images = 64;
  c.threads = 1;
  c.shard_block = static_cast<int>(kBlock);
  const char* dir = std::getenv("SMT_DATA_DIR");
  if (dir && *dir) {
    d.train =
        smt::load_split(dir, true, {.limit = static_cast<std::int64_t>(n_train), .limit_seed = 3});
    d.test =
        smt::load_split(dir, false, {.limit = static_cast<std::int64_t>(n_test), .limit_seed = 3});
    d.name = "MNIST";
  } else {
    d.train = smt::testing::blobs(static_cast<int>(n_train), 16, 1, 11);
    d.test = smt::testing::blobs(static_cast<int>(n_test), 16, 1, 12);
    d.name = "generated";
  }
  return d;
}

double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double scale = 0, diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::fabs(a[i]));
    diff = std::max(diff, std::fabs(a[i] - b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

TEST(Distributed, ShardsDealWholeBlocksRoundRobin) {
  const smt::ImageSet whole = smt::testing::blobs(100, 8, 1, 3);
  const smt::ImageSet part = shard_of(whole);
  const smt::ShardLayout layout = part.layout();
  ASSERT_EQ(part.size(), layout.local_count());
  EXPECT_EQ(part.global_size(), whole.size());
  for (std::size_t i = 0; i < part.size(); ++i) {
    const std::size_t g = layout.global_index(i);
    EXPECT_EQ(g / kBlock % static_cast<std::size_t>(g_world->size()),
              static_cast<std::size_t>(g_world->rank()));
    EXPECT_EQ(part.labels[i], whole.labels[g]);
    EXPECT_TRUE(std::equal(part.image(i), part.image(i) + part.image_size(), whole.image(g)));
  }
  // Gathered back in the global order.
  const std::vector<int> labels = smt::allgather_rows(*g_world, layout, part.labels, 1, "labels");
  EXPECT_EQ(labels, whole.labels);
}

TEST(Distributed, ReduceSumFollowsTheFixedTree) {
  // 0.1 * (rank + 1): the tree's sum, recomputed here in its order.
  const int n = g_world->size();
  std::vector<double> mine(5, 0.1 * (g_world->rank() + 1));
  g_world->reduce_sum(mine.data(), mine.size(), 0);
  if (g_world->is_root()) {
    std::vector<double> part(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) part[static_cast<std::size_t>(r)] = 0.1 * (r + 1);
    for (int s = 1; s < n; s <<= 1)
      for (int r = 0; r + s < n; r += 2 * s)
        part[static_cast<std::size_t>(r)] += part[static_cast<std::size_t>(r + s)];
    for (double v : mine) EXPECT_EQ(v, part[0]);
  }
  const std::vector<std::string> all =
      g_world->allgather(std::string(1, static_cast<char>('a' + g_world->rank())));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r)
    EXPECT_EQ(all[static_cast<std::size_t>(r)], std::string(1, static_cast<char>('a' + r)));
}

TEST(Distributed, ExactSumIgnoresTheOrder) {
  smt::ExactSum a(3), b(3);
  const std::vector<double> x = {1e10, 1e-9, -3.25}, y = {-1e10, 7e-12, 1.5}, z = {0.1, 0.2, 0.3};
  a.add(0, x);
  a.add(0, y);
  a.add(0, z);
  b.add(0, z);
  b.add(0, y);
  b.add(0, x);
  EXPECT_EQ(a.values(), b.values());
}

TEST(Distributed, WhiteningAndDictionariesEqualOneProcess) {
  Data d = mnist_or_blobs(300, 10);
  const smt::ImageSet part = shard_of(d.train);
  // k-means twice: with batches larger than the dictionary, and with
  // batches of 40 patches for 128 atoms, so that atoms that won nothing move
  // to worst-represented patches offered by every process.
  for (const int kmeans_batch : {0, 40}) {
    for (const smt::DictMethod method :
         {smt::DictMethod::kGreedy, smt::DictMethod::kKMeans, smt::DictMethod::kOnline}) {
      if (kmeans_batch > 0 && method != smt::DictMethod::kKMeans) continue;
      for (const bool flip : {false, true}) {
        SCOPED_TRACE(d.name + (flip ? " with flips" : "") + " method " +
                     std::to_string(static_cast<int>(method)) + " k-means batch " +
                     std::to_string(kmeans_batch));
        smt::Config c = d.config;
        c.dict_method = method;
        c.flip = flip;
        c.kmeans_iters = kmeans_batch > 0 ? 6 : 2;
        if (kmeans_batch > 0) c.kmeans_batch = kmeans_batch;
        const smt::SmtModel shape = [&] {
          smt::SmtModel m;
          m.config = c;
          m.height = d.train.height;
          m.width = d.train.width;
          m.channels = d.train.channels;
          return m;
        }();
        const smt::ViewSet prep = smt::ViewSet::preprocessing(c);
        const smt::Whitener w1 = smt::Whitener::fit(
            smt::patch_moments(smt::PatchSource(d.train, shape.extractor(), nullptr, prep),
                               single()),
            c.whiten_tol);
        const smt::Whitener wn = smt::Whitener::fit(
            smt::patch_moments(smt::PatchSource(part, shape.extractor(), nullptr, prep),
                               distributed()),
            c.whiten_tol);
        EXPECT_EQ(w1.matrix(), wn.matrix());
        const smt::Dictionary d1 = smt::Dictionary::fit(
            smt::PatchSource(d.train, shape.extractor(), &w1, prep), c, single());
        const smt::Dictionary dn = smt::Dictionary::fit(
            smt::PatchSource(part, shape.extractor(), &wn, prep), c, distributed());
        EXPECT_EQ(d1.atoms(), dn.atoms());
      }
    }
  }
}

TEST(Distributed, StatisticsEigenvaluesAndPredictionsEqualOneProcess) {
  Data d = mnist_or_blobs(300, 200);
  const smt::ImageSet train_part = shard_of(d.train), test_part = shard_of(d.test);
  for (const bool flip : {false, true}) {
    SCOPED_TRACE(d.name + (flip ? " with flips" : ""));
    smt::Config c = d.config;
    c.flip = flip;
    smt::RunMetrics m1, mn;
    const smt::SmtModel one = smt::fit_model(d.train, c, single(), m1);
    const smt::SmtModel many = smt::fit_model(train_part, c, distributed(), mn);
    EXPECT_EQ(one.whitener.matrix(), many.whitener.matrix());
    EXPECT_EQ(one.dictionary.atoms(), many.dictionary.atoms());
    const std::vector<double> e1 = one.fit_report["eigenvalues"],
                              en = many.fit_report["eigenvalues"];
    ASSERT_EQ(e1.size(), en.size());
    // Relative to the spectrum's scale: the null direction's eigenvalue is
    // rounding (about -1e-8 against eigenvalues of 1e5 on MNIST) and has no
    // relative precision of its own.
    double scale = 1.0;
    for (double e : e1) scale = std::max(scale, std::fabs(e));
    for (std::size_t i = 0; i < e1.size(); ++i) EXPECT_NEAR(e1[i], en[i], 1e-9 * scale) << i;
    EXPECT_EQ(one.fit_report["contexts"], many.fit_report["contexts"]);
    EXPECT_EQ(one.fit_report["train_patches"], many.fit_report["train_patches"]);

    // V and L of the shards, reduced, against one process's over the whole set.
    const smt::SparseCoder coder = one.coder();
    const smt::OperatorSpec spec{c.op, c.neighborhood, c.zero_code};
    const smt::ViewSet views = smt::ViewSet::training(c);
    auto statistics = [&](const smt::ImageSet& set) {
      smt::SmtStatistics s(c.dict_size, coder.vector_quantization(), spec);
      const smt::PatchSource src(set, one.extractor(), &one.whitener, views);
      smt::CodingBuffers buffers;
      std::vector<smt::PatchCodes> codes(src.num_images());
      std::vector<const smt::PatchCodes*> ptrs;
      for (std::size_t i = 0; i < src.num_images(); ++i) {
        smt::code_image(src, coder, i, buffers, codes[i]);
        ptrs.push_back(&codes[i]);
      }
      s.add_images(ptrs, one.extractor().grid_h(), one.extractor().grid_w(), single());
      return s;
    };
    const smt::SmtStatistics s1 = statistics(d.train);
    smt::SmtStatistics sn = statistics(train_part);
    sn.reduce_to_root(*g_world);
    if (g_world->is_root()) {
      EXPECT_EQ(s1.num_patches(), sn.num_patches());
      EXPECT_EQ(s1.num_images(), sn.num_images());
      EXPECT_LE(max_rel_diff(s1.dense_v(), sn.dense_v()), 1e-12);
      EXPECT_LE(max_rel_diff(s1.dense_l(), sn.dense_l()), 1e-12);
    }

    // k-NN predictions of one process's model: both streamed sides.
    for (const smt::KnnStreaming side :
         {smt::KnnStreaming::kStreamTrain, smt::KnnStreaming::kStreamTest}) {
      smt::EvalOptions options;
      options.streaming = side;
      options.block_images = 48;
      smt::RunMetrics k1, kn;
      const smt::EvalResult r1 =
          smt::evaluate_knn(one, d.train, d.test, single(), k1, nullptr, options);
      const smt::EvalResult rn =
          smt::evaluate_knn(one, train_part, test_part, distributed(), kn, nullptr, options);
      if (g_world->is_root()) {
        EXPECT_EQ(r1.predictions, rn.predictions);
        EXPECT_EQ(r1.top1, rn.top1);
        EXPECT_EQ(r1.top5, rn.top5);
      } else {
        EXPECT_TRUE(rn.predictions.empty());
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  smt::MpiSession mpi(argc, argv);
  g_world = mpi.world();
  ::testing::InitGoogleTest(&argc, argv);
  if (!g_world->is_root()) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  // Any process's failure fails the run.
  const double worst = g_world->max(failed);
  g_world.reset();
  return worst > 0 ? 1 : 0;
}
