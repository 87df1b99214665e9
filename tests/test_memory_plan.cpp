// The memory plan's arithmetic (model/memory_plan.h) on fixed numbers: the
// fit's fixed part is the K x K statistics plus the solver's blocks, the
// k-NN's is the resident side's features plus one streamed block, and what
// is left of the limit goes to the training-code cache.
#include <gtest/gtest.h>

#include "smt/core/error.h"
#include "smt/model/memory_plan.h"

namespace {

constexpr std::size_t kGiB = std::size_t{1} << 30;
constexpr std::size_t kMiB = std::size_t{1} << 20;

smt::Config mnist_like() {
  smt::Config c;
  c.dict_size = 4096;
  c.embed_dim = 32;
  c.skip = 1;
  c.threshold = 0.5;  // dense V: two K x K matrices
  c.patch_size = 6;
  c.stride = 1;
  c.pool_window = 4;
  c.pool_stride = 2;
  c.memory_limit_gb = 4;
  return c;
}

TEST(MemoryPlan, FixedPartsFollowTheirFormulas) {
  const smt::Config c = mnist_like();
  const std::size_t process = 100 * kMiB;
  const smt::MemoryPlan p = smt::plan_memory(c, 28, 28, 120000, 10000, process, 24 * kGiB);
  EXPECT_EQ(p.limit, 4 * kGiB);
  EXPECT_EQ(p.base, process + 256 * kMiB);
  const std::size_t k = 4096, m = 33, block = std::max<std::size_t>(2 * m, m + 16);
  EXPECT_EQ(p.fit_fixed, (2 * k * k + 5 * k * block) * sizeof(double));
  // 23x23 patch grid, pooled 4/2: 10x10 cells of 32 values.
  const std::size_t feature_bytes = 10 * 10 * 32 * sizeof(float);
  EXPECT_EQ(p.streaming, smt::KnnStreaming::kStreamTrain);  // the test side is smaller
  const std::size_t per_image = feature_bytes + 10000 * sizeof(float);
  const std::size_t blocks = std::clamp<std::size_t>(p.limit / 20 / per_image, 16, 4096);
  EXPECT_EQ(p.knn_block_images, blocks);
  EXPECT_EQ(p.knn_fixed, 10000 * feature_bytes + blocks * per_image + 160 * kMiB);
  EXPECT_EQ(p.code_cache, p.limit - p.base - std::max(p.fit_fixed, p.knn_fixed));
}

TEST(MemoryPlan, VectorQuantisationNeedsOneMatrix) {
  smt::Config c = mnist_like();
  const smt::MemoryPlan dense = smt::plan_memory(c, 28, 28, 1000, 1000, 0, 24 * kGiB);
  c.threshold = 1;  // one-hot codes: V is diagonal
  const smt::MemoryPlan vq = smt::plan_memory(c, 28, 28, 1000, 1000, 0, 24 * kGiB);
  EXPECT_EQ(dense.fit_fixed - vq.fit_fixed, std::size_t{4096} * 4096 * sizeof(double));
}

TEST(MemoryPlan, SmallTrainingSetsStreamTheTestSide) {
  const smt::MemoryPlan p = smt::plan_memory(mnist_like(), 28, 28, 2000, 10000, 0, 24 * kGiB);
  EXPECT_EQ(p.streaming, smt::KnnStreaming::kStreamTest);
  EXPECT_LE(p.knn_block_images, 10000u);
  EXPECT_EQ(smt::resolve_streaming(smt::KnnStreaming::kStreamTrain, 2000, 10000),
            smt::KnnStreaming::kStreamTrain);
}

TEST(MemoryPlan, DefaultLimitIsSixtyPercentOfPhysicalMemory) {
  smt::Config c = mnist_like();
  c.memory_limit_gb = 0;
  const smt::MemoryPlan p = smt::plan_memory(c, 28, 28, 1000, 1000, 0, 10 * kGiB);
  EXPECT_EQ(p.limit, static_cast<std::size_t>(0.6 * static_cast<double>(10 * kGiB)));
}

TEST(MemoryPlan, ALimitBelowTheFixedPartsNamesTheParameter) {
  smt::Config c = mnist_like();
  c.memory_limit_gb = 0.1;
  try {
    smt::plan_memory(c, 28, 28, 1000, 1000, 0, 24 * kGiB);
    FAIL() << "a 0.1 GiB limit was accepted for 4096 atoms";
  } catch (const smt::Error& e) {
    const std::string m = e.message(smt::Spelling::kCli);
    EXPECT_NE(m.find("--memory-limit"), std::string::npos) << m;
    EXPECT_NE(m.find("4096x4096"), std::string::npos) << m;
  }
}

}  // namespace
