// The synthetic-manifold demo: its measurements on known inputs, the circle
// check at a small size (K = 60, d = 11), a small disk check, the figures and
// the `smt demo` command.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>

#include "smt/core/error.h"
#include "smt/core/rng.h"
#include "smt/demo/manifold_demo.h"
#include "smt/demo/numerics.h"
#include "smt/demo/plot.h"
#include "smt/demo/png_image.h"
#include "test_util.h"

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

smt::Context quiet(std::uint64_t seed = 0) {
  smt::Context ctx;
  ctx.threads = 2;
  ctx.seed = seed;
  return ctx;
}

TEST(CanonicalCorrelations, KnownAngles) {
  const int n = 50;
  smt::Rng rng(2);
  std::vector<double> a(n * 3), b(n * 3);
  for (double& x : a) x = rng.normal();
  // b: an invertible mix of a's columns -> same span, all correlations 1.
  for (int i = 0; i < n; ++i) {
    b[i] = a[i] + 2 * a[n + i];
    b[n + i] = a[n + i] - a[2 * n + i];
    b[2 * n + i] = 3 * a[2 * n + i];
  }
  for (double r : smt::canonical_correlations(a, 3, b, 3, n)) EXPECT_NEAR(r, 1.0, 1e-12);
  // span{e0} vs span{cos t e0 + sin t e1}: cos t.
  std::vector<double> e0(n, 0.0), v(n, 0.0);
  e0[0] = 1;
  v[0] = std::cos(0.3);
  v[1] = std::sin(0.3);
  const auto r = smt::canonical_correlations(e0, 1, v, 1, n);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0], std::cos(0.3), 1e-12);
  // Orthogonal spans: zero; unequal sizes give min(ka, kb) values.
  std::vector<double> e12(2 * n, 0.0);
  e12[1] = 1;
  e12[n + 2] = 1;
  const auto z = smt::canonical_correlations(e0, 1, e12, 2, n);
  ASSERT_EQ(z.size(), 1u);
  EXPECT_NEAR(z[0], 0.0, 1e-7);
  EXPECT_THROW(smt::canonical_correlations(e0, 1, e12, 2, 1), smt::Error);
}

TEST(AngularSpectrum, PureModesAndRadialSignChanges) {
  const int nr = 20, nt = 64;
  std::vector<double> w(nr), f(nr * nt), g(nr * nt);
  for (int i = 0; i < nr; ++i) {
    const double r = (i + 0.5) / nr;
    w[i] = r / nr;
    for (int j = 0; j < nt; ++j) {
      const double t = kTwoPi * j / nt;
      f[i * nt + j] = std::cyl_bessel_j(3.0, 4.2 * r) * std::cos(3 * t + 0.4);
      g[i * nt + j] = std::cyl_bessel_j(0.0, 7.0156 * r) + 0.1 * std::sin(2 * t);
    }
  }
  const smt::AngularSpectrum s = smt::angular_spectrum(f, nr, nt, w);
  EXPECT_EQ(s.dominant, 3);
  EXPECT_NEAR(s.purity, 1.0, 1e-12);
  EXPECT_EQ(s.sign_changes, 0);
  const smt::AngularSpectrum s0 = smt::angular_spectrum(g, nr, nt, w);
  EXPECT_EQ(s0.dominant, 0);
  EXPECT_GT(s0.purity, 0.8);
  EXPECT_LT(s0.purity, 1.0);
  EXPECT_EQ(s0.sign_changes, 2);  // J0(j'_{02} r): two interior zeros
}

TEST(BesselDerivativeZeros, MatchTables) {
  EXPECT_NEAR(smt::bessel_derivative_zero(1, 1), 1.8412, 1e-4);
  EXPECT_NEAR(smt::bessel_derivative_zero(2, 1), 3.0542, 1e-4);
  EXPECT_NEAR(smt::bessel_derivative_zero(0, 1), 3.8317, 1e-4);
  EXPECT_NEAR(smt::bessel_derivative_zero(3, 1), 4.2012, 1e-4);
  EXPECT_NEAR(smt::bessel_derivative_zero(4, 1), 5.3176, 1e-4);
  EXPECT_NEAR(smt::bessel_derivative_zero(1, 2), 5.3314, 1e-4);
  EXPECT_NEAR(smt::bessel_derivative_zero(0, 2), 7.0156, 1e-4);
}

smt::ManifoldDemoOptions small_circle() {
  smt::ManifoldDemoOptions o;
  o.manifold = smt::Manifold::kCircle;
  o.dict_size = 60;
  o.embed_dim = 11;
  o.trajectories = 100;
  o.steps = 1000;
  return o;
}

// The paper's circle claim at a small size: the first 2m functions span the
// harmonics up to m (m = 1..5), eigenvalues come in near-equal pairs.
TEST(ManifoldDemo, CircleGivesFourierPairs) {
  for (std::uint64_t seed : {0u, 1u}) {
    SCOPED_TRACE(seed);
    const smt::ManifoldDemoResult r = smt::run_manifold_demo(small_circle(), quiet(seed));
    ASSERT_EQ(r.eigenvalues.size(), 11u);
    ASSERT_EQ(r.canonical_correlations.size(), 5u);
    EXPECT_GE(r.min_canonical_correlation, 0.98);
    for (int m = 1; m <= 5; ++m) EXPECT_EQ(r.canonical_correlations[m - 1].size(), 2u * m);
    for (int k = 0; k < 5; ++k) {
      const double a = r.eigenvalues[2 * k], b = r.eigenvalues[2 * k + 1];
      EXPECT_LE((b - a) / b, 0.1) << "pair " << k + 1;
      EXPECT_GT(r.eigenvalues[2 * k + 2], 1.3 * b) << "pair " << k + 1 << " vs the next";
    }
    const std::vector<int> freq = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6};
    EXPECT_EQ(r.angular_frequency, freq);
    EXPECT_TRUE(r.checks_passed);
    EXPECT_DOUBLE_EQ(r.metrics["min_canonical_correlation"].get<double>(),
                     r.min_canonical_correlation);
    // The skipped eigenvector is the constant: eigenvalue ~ 0.
    EXPECT_LT(std::abs(r.report.eigenvalues[0]), 1e-6 * r.eigenvalues[0]);
  }
}

TEST(ManifoldDemo, SmallDiskFollowsNeumannModes) {
  smt::ManifoldDemoOptions o;
  o.manifold = smt::Manifold::kDisk;
  o.dict_size = 120;
  o.embed_dim = 7;
  o.trajectories = 100;
  o.steps = 1500;
  const smt::ManifoldDemoResult r = smt::run_manifold_demo(o, quiet(3));
  const std::vector<int> want = {1, 1, 2, 2, 0, 3, 3};
  EXPECT_EQ(r.angular_frequency, want);
  for (double p : r.angular_purity) EXPECT_GE(p, 0.9);
  EXPECT_TRUE(r.checks_passed);
  EXPECT_LT(r.outside_hull_fraction, 0.01);
  EXPECT_EQ(r.metrics["angular_frequency"].get<std::vector<int>>(), want);
}

TEST(ManifoldDemo, DeterministicAcrossThreadCounts) {
  smt::ManifoldDemoOptions o = small_circle();
  o.trajectories = 20;
  o.steps = 300;
  smt::Context one = quiet(4), two = quiet(4);
  one.threads = 1;
  const auto a = smt::run_manifold_demo(o, one), b = smt::run_manifold_demo(o, two);
  EXPECT_EQ(a.projection.by_atom(), b.projection.by_atom());
  const auto c = smt::run_manifold_demo(o, quiet(5));
  EXPECT_NE(a.projection.by_atom(), c.projection.by_atom());
}

TEST(ManifoldDemo, ThresholdCodingRunsThroughTheEngine) {
  smt::ManifoldDemoOptions o = small_circle();
  o.coding = smt::LandmarkCoding::kThreshold;
  const smt::ManifoldDemoResult r = smt::run_manifold_demo(o, quiet());
  EXPECT_GT(r.mean_atoms_per_code, 4.4);  // radius 2.25 spacings: 4 or 5 atoms
  EXPECT_LT(r.mean_atoms_per_code, 4.6);
  EXPECT_GE(r.min_canonical_correlation, 0.98);
  EXPECT_TRUE(r.vanishing.empty());
  // Exactly 5 atoms everywhere on 60 = 5 x 12 landmarks: binary codes are
  // moving averages of width 5, whose null space (period-5 zero-sum patterns)
  // gives functions that vanish on the circle. The demo flags them.
  o.threshold_radius = 2.5;
  const smt::ManifoldDemoResult bad = smt::run_manifold_demo(o, quiet());
  EXPECT_FALSE(bad.vanishing.empty());
  EXPECT_FALSE(bad.checks_passed);
}

TEST(ManifoldDemo, RejectsBadOptions) {
  smt::ManifoldDemoOptions o = small_circle();
  o.embed_dim = 60;
  EXPECT_THROW(smt::run_manifold_demo(o, quiet()), smt::Error);
  o = small_circle();
  o.smoothness = 1.0;
  EXPECT_THROW(smt::run_manifold_demo(o, quiet()), smt::Error);
  o = small_circle();
  o.neighborhood = 0;
  EXPECT_THROW(smt::run_manifold_demo(o, quiet()), smt::Error);
}

TEST(ManifoldDemo, WritesFiguresAndMetrics) {
  smt::testing::TempDir dir;
  smt::ManifoldDemoOptions o = small_circle();
  o.trajectories = 30;
  o.steps = 500;
  const smt::ManifoldDemoResult r = smt::run_manifold_demo(o, quiet());
  const std::string out = dir.file("out/circle");
  smt::write_manifold_demo(r, out, quiet(), 64);
  for (const char* f : {"functions.png", "spectrum.png", "embedding.png"}) {
    const smt::RgbImage img = smt::decode_png(smt::testing::read_bytes(out + "/" + f));
    EXPECT_GT(img.width(), 100) << f;
  }
  const auto m = nlohmann::json::parse(smt::testing::read_bytes(out + "/metrics.json"));
  for (const char* key : {"eigenvalues", "min_canonical_correlation", "canonical_correlations",
                          "eigenvalue_pairs", "checks_passed", "frequency"})
    EXPECT_TRUE(m.contains(key)) << key;
  EXPECT_EQ(m["eigenvalues"].size(), 11u);
  // Only the four outputs: no temporaries left behind.
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(out)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 4u);
}

TEST(Png, RoundTripAndErrors) {
  smt::RgbImage img(7, 5, {10, 20, 30});
  img.set(3, 2, smt::diverging_color(1.0));
  img.set(100, 100, {1, 2, 3});  // clipped
  smt::draw_text(img, 0, 0, "A1", smt::colors::kBlack);
  const smt::RgbImage back = smt::decode_png(smt::encode_png(img));
  ASSERT_EQ(back.width(), 7);
  ASSERT_EQ(back.height(), 5);
  EXPECT_EQ(back.bytes(), img.bytes());
  EXPECT_EQ(back.at(3, 2), (smt::Rgb{103, 0, 31}));
  EXPECT_THROW(smt::decode_png("not a png"), smt::Error);
  EXPECT_EQ(smt::diverging_color(0.0), (smt::Rgb{247, 247, 247}));
  EXPECT_EQ(smt::diverging_color(-5.0), (smt::Rgb{5, 48, 97}));
  smt::testing::TempDir dir;
  EXPECT_THROW(smt::write_png(dir.file("missing/x.png"), img), smt::Error);
  smt::write_png(dir.file("x.png"), img);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"x.png"});
}

TEST(DemoCommand, WritesOutputsAndRejectsUnknownManifolds) {
  smt::testing::TempDir dir;
  const std::string out = dir.file("demo");
  const std::string cmd = std::string(SMT_BINARY) +
                          " demo circle -q --dict-size 40 --embed-dim 7 --trajectories 20 "
                          "--steps 400 --threads 1 --out " +
                          out + " > " + dir.file("log") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << smt::testing::read_bytes(dir.file("log"));
  EXPECT_NE(smt::testing::read_bytes(dir.file("log")).find("canonical correlation"),
            std::string::npos);
  for (const char* f : {"functions.png", "spectrum.png", "embedding.png", "metrics.json"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  const std::string bad =
      std::string(SMT_BINARY) + " demo sphere --out " + out + " > " + dir.file("log2") + " 2>&1";
  const int rc = std::system(bad.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 2) << rc;
  const std::string err = smt::testing::read_bytes(dir.file("log2"));
  EXPECT_NE(err.find("smt: error"), std::string::npos) << err;
}

}  // namespace
