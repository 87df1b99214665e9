// The parallel regions of the synthetic-manifold demo: an error raised on a
// worker reaches the caller as smt::Error (rather than ending the process),
// and results do not depend on the thread count.
#include <gtest/gtest.h>

#include <vector>

#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/demo/landmark_coder.h"
#include "smt/demo/manifold_demo.h"

namespace {

smt::Context with_threads(int threads) {
  smt::Context ctx;
  ctx.threads = threads;
  return ctx;
}

// A step size near the largest double overflows the trajectories to NaN;
// lifting a NaN point for threshold coding fails inside the parallel region
// that codes the trajectories.
TEST(DemoParallel, WorkerErrorPropagatesAsSmtError) {
  smt::ManifoldDemoOptions o;
  o.manifold = smt::Manifold::kDisk;
  o.coding = smt::LandmarkCoding::kThreshold;
  o.dict_size = 40;
  o.embed_dim = 5;
  o.trajectories = 8;
  o.steps = 50;
  o.step_size = 1e308;
  for (int threads : {1, 3}) {
    SCOPED_TRACE(threads);
    EXPECT_THROW(smt::run_manifold_demo(o, with_threads(threads)), smt::Error);
  }
}

TEST(DemoParallel, KMeansLayoutIndependentOfThreads) {
  const std::vector<smt::Point2> a = smt::disk_kmeans_layout(50, 3000, 10, 9, with_threads(1));
  const std::vector<smt::Point2> b = smt::disk_kmeans_layout(50, 3000, 10, 9, with_threads(3));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].x, b[i].x);
    EXPECT_EQ(a[i].y, b[i].y);
  }
}

}  // namespace
