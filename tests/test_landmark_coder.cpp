// Landmark coding: codes are sparse, non-negative, sum to 1 and reproduce the
// point (linear precision); the planar triangulation is a valid Delaunay
// triangulation covering the hull; points outside the hull go to the nearest
// hull point.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>

#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/core/rng.h"
#include "smt/demo/landmark_coder.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/sparse_coder.h"

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

smt::Context quiet() {
  smt::Context ctx;
  ctx.threads = 1;
  return ctx;
}

// Uniform in [lo, hi), the numbers std::uniform_real_distribution gives.
double uniform(smt::Rng& rng, double lo, double hi) {
  return rng.uniform01() * (hi - lo) + lo;
}

double cross(smt::Point2 o, smt::Point2 a, smt::Point2 b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

TEST(CircleLandmarks, CodesInterpolateBetweenNeighbours) {
  const smt::CircleLandmarks lm(60);
  smt::Rng rng(1);
  const auto u = [&rng] { return uniform(rng, -10.0, 10.0); };
  for (int i = 0; i < 2000; ++i) {
    const double theta = u();
    const smt::LandmarkCode c = lm.code(theta);
    ASSERT_EQ(c.count, 2);
    EXPECT_EQ(c.atoms[1], (c.atoms[0] + 1) % 60);
    EXPECT_GE(c.weights[0], 0.0);
    EXPECT_GE(c.weights[1], 0.0);
    EXPECT_NEAR(c.weights[0] + c.weights[1], 1.0, 1e-15);
    // Linear precision in the angle: w0 a0 + w1 (a0 + spacing) = theta (mod 2 pi).
    const double a0 = lm.angle(c.atoms[0]);
    const double rebuilt = a0 + c.weights[1] * lm.spacing();
    EXPECT_NEAR(std::remainder(rebuilt - theta, kTwoPi), 0.0, 1e-12);
  }
  // On a landmark the code is that landmark alone (zero weights are dropped).
  smt::PatchCodes pc;
  const double at[] = {lm.angle(7), lm.angle(0) + kTwoPi};
  lm.encode(at, 2, pc);
  ASSERT_EQ(pc.num_patches(), 2);
  EXPECT_EQ(pc.end(0) - pc.begin(0), 1u);
  EXPECT_EQ(pc.atoms[pc.begin(0)], 7);
  EXPECT_FLOAT_EQ(pc.value(0, pc.begin(0)), 1.0f);
  EXPECT_EQ(pc.atoms[pc.begin(1)], 0);
  ASSERT_EQ(pc.fallback.size(), 2u);
  EXPECT_EQ(pc.fallback[0], 0);
  EXPECT_THROW(smt::CircleLandmarks(2), smt::Error);
  const double bad = std::nan("");
  EXPECT_THROW(lm.encode(&bad, 1, pc), smt::Error);
}

TEST(DiskLayouts, RingsCoverTheDiskUpToTheBoundary) {
  for (int k : {4, 10, 60, 300, 1000}) {
    const auto pts = smt::disk_ring_layout(k);
    ASSERT_EQ(static_cast<int>(pts.size()), k);
    int on_boundary = 0;
    for (const auto& p : pts) {
      const double r = std::hypot(p.x, p.y);
      EXPECT_LE(r, 1.0 + 1e-12);
      on_boundary += std::abs(r - 1.0) < 1e-12;
    }
    EXPECT_GE(on_boundary, 3) << k;
  }
  const auto km = smt::disk_kmeans_layout(50, 5000, 20, 3, quiet());
  ASSERT_EQ(km.size(), 50u);
  for (const auto& p : km) EXPECT_LT(std::hypot(p.x, p.y), 1.0);
  EXPECT_THROW(smt::disk_ring_layout(3), smt::Error);
  EXPECT_THROW(smt::disk_kmeans_layout(50, 10, 5, 0, quiet()), smt::Error);
}

void check_triangulation(const smt::PlanarLandmarks& lm) {
  const auto& p = lm.landmarks();
  const auto& tris = lm.triangles();
  const int n = lm.size();
  const int h = static_cast<int>(lm.hull_edges().size());
  // Euler: a triangulation of n points with h on the hull has 2n - 2 - h triangles.
  EXPECT_EQ(static_cast<int>(tris.size()), 2 * n - 2 - h);
  std::set<int> used;
  for (const auto& t : tris) {
    EXPECT_GT(cross(p[t[0]], p[t[1]], p[t[2]]), 0.0);
    used.insert(t.begin(), t.end());
    // Empty circumcircle (Delaunay), with a tolerance for co-circular points.
    const smt::Point2 a = p[t[0]], b = p[t[1]], c = p[t[2]];
    const double d = 2 * (a.x * (b.y - c.y) + b.x * (c.y - a.y) + c.x * (a.y - b.y));
    const double a2 = a.x * a.x + a.y * a.y, b2 = b.x * b.x + b.y * b.y, c2 = c.x * c.x + c.y * c.y;
    const double ux = (a2 * (b.y - c.y) + b2 * (c.y - a.y) + c2 * (a.y - b.y)) / d;
    const double uy = (a2 * (c.x - b.x) + b2 * (a.x - c.x) + c2 * (b.x - a.x)) / d;
    const double r2 = (a.x - ux) * (a.x - ux) + (a.y - uy) * (a.y - uy);
    for (int q = 0; q < n; ++q) {
      if (q == t[0] || q == t[1] || q == t[2]) continue;
      const double d2 = (p[q].x - ux) * (p[q].x - ux) + (p[q].y - uy) * (p[q].y - uy);
      ASSERT_GE(d2, r2 * (1 - 1e-9)) << "landmark " << q << " inside a circumcircle";
    }
  }
  EXPECT_EQ(static_cast<int>(used.size()), n);
}

void check_codes(const smt::PlanarLandmarks& lm, std::uint64_t seed) {
  smt::Rng rng(seed);
  const auto u = [&rng] { return uniform(rng, -1.2, 1.2); };
  const auto& p = lm.landmarks();
  int inside = 0, outside = 0;
  for (int i = 0; i < 4000; ++i) {
    const smt::Point2 x{u(), u()};
    const smt::LandmarkCode c = lm.code(x);
    ASSERT_GE(c.count, 2);
    ASSERT_LE(c.count, 3);
    double sum = 0, rx = 0, ry = 0;
    for (int k = 0; k < c.count; ++k) {
      EXPECT_GE(c.weights[k], 0.0);
      sum += c.weights[k];
      rx += c.weights[k] * p[c.atoms[k]].x;
      ry += c.weights[k] * p[c.atoms[k]].y;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    if (lm.locate(x) >= 0) {
      ++inside;
      ASSERT_EQ(c.count, 3);
      // Linear precision: the weights reproduce the point.
      EXPECT_NEAR(rx, x.x, 1e-12);
      EXPECT_NEAR(ry, x.y, 1e-12);
    } else {
      ++outside;
      ASSERT_EQ(c.count, 2);
      // The reproduced point is the nearest point of the hull: no landmark
      // and no hull edge is closer to x.
      const double d = std::hypot(rx - x.x, ry - x.y);
      for (const auto& e : lm.hull_edges()) {
        const smt::Point2 a = p[e[0]], b = p[e[1]];
        const double ex = b.x - a.x, ey = b.y - a.y;
        const double s =
            std::clamp(((x.x - a.x) * ex + (x.y - a.y) * ey) / (ex * ex + ey * ey), 0.0, 1.0);
        EXPECT_GE(std::hypot(a.x + s * ex - x.x, a.y + s * ey - x.y), d - 1e-12);
      }
    }
  }
  EXPECT_GT(inside, 100);
  EXPECT_GT(outside, 100);
}

TEST(PlanarLandmarks, RingLayoutTriangulationAndCodes) {
  for (int k : {10, 300}) {
    SCOPED_TRACE(k);
    const smt::PlanarLandmarks lm(smt::disk_ring_layout(k));
    check_triangulation(lm);
    check_codes(lm, 7 + k);
  }
  // The hull of the ring layout hugs the unit circle: points of the disk
  // outside it are rare (boundary ring of about 60 at K = 300).
  const smt::PlanarLandmarks lm(smt::disk_ring_layout(300));
  smt::Rng rng(3);
  const auto u = [&rng] { return uniform(rng, 0.0, 1.0); };
  int out = 0;
  for (int i = 0; i < 20000; ++i) {
    const double r = std::sqrt(u()), a = kTwoPi * u();
    out += lm.locate({r * std::cos(a), r * std::sin(a)}) < 0;
  }
  EXPECT_LT(out, 20000 * 0.005);
}

TEST(PlanarLandmarks, KMeansAndRandomLayouts) {
  const smt::PlanarLandmarks km(smt::disk_kmeans_layout(120, 12000, 30, 5, quiet()));
  check_triangulation(km);
  check_codes(km, 11);
  smt::Rng rng(4);
  const auto u = [&rng] { return uniform(rng, -1.0, 1.0); };
  std::vector<smt::Point2> pts(200);
  for (auto& p : pts) p = {u(), 0.5 * u()};
  const smt::PlanarLandmarks random(pts);
  check_triangulation(random);
  check_codes(random, 12);
}

TEST(PlanarLandmarks, EncodeWritesRealValuedPatchCodes) {
  const smt::PlanarLandmarks lm(smt::disk_ring_layout(30));
  const std::vector<smt::Point2> pts = {{0.1, 0.2}, {0.0, 0.0}, {2.0, 0.0}};
  smt::PatchCodes pc;
  lm.encode(pts.data(), 3, pc);
  ASSERT_EQ(pc.num_patches(), 3);
  ASSERT_EQ(pc.values.size(), pc.atoms.size());
  EXPECT_EQ(pc.end(0) - pc.begin(0), 3u);
  // The centre is landmark 0: one atom of weight 1.
  EXPECT_EQ(pc.end(1) - pc.begin(1), 1u);
  EXPECT_EQ(pc.atoms[pc.begin(1)], 0);
  // (2, 0) projects onto the boundary ring.
  float sum = 0;
  for (auto e = pc.begin(2); e < pc.end(2); ++e) sum += pc.values[e];
  EXPECT_NEAR(sum, 1.0f, 1e-6f);
}

TEST(PlanarLandmarks, RejectsDegenerateLandmarks) {
  EXPECT_THROW(smt::PlanarLandmarks({{0, 0}, {1, 0}}), smt::Error);
  EXPECT_THROW(smt::PlanarLandmarks({{0, 0}, {1, 0}, {2, 0}, {3, 0}}), smt::Error);
  EXPECT_THROW(smt::PlanarLandmarks({{0, 0}, {1, 0}, {0, 1}, {1, 0}}), smt::Error);
  EXPECT_THROW(smt::PlanarLandmarks({{0, 0}, {1, 0}, {0, std::nan("")}}), smt::Error);
}

// The engine's threshold coder on lifted points: on the circle, atoms within
// the angular radius acos(t) are active; on the disk, cosine decreases with
// planar distance.
TEST(Lifts, ThresholdCodingThroughTheEngine) {
  const int k = 60;
  std::vector<double> angles(k);
  for (int i = 0; i < k; ++i) angles[i] = kTwoPi * i / k;
  smt::Dictionary dict(k, 2, smt::lift_angles(angles));
  const double radius = 2.5 * kTwoPi / k;
  smt::SparseCoder coder(dict, std::cos(radius), smt::CodeValues::kBinary);
  const std::vector<double> theta = {0.3, 1.0, -2.0};
  const std::vector<float> x = smt::lift_angles(theta);
  smt::PatchCodes pc;
  smt::SparseCoder::Scratch scratch;
  coder.encode(x.data(), 3, pc, scratch);
  for (int p = 0; p < 3; ++p) {
    EXPECT_GE(pc.end(p) - pc.begin(p), 4u);
    EXPECT_LE(pc.end(p) - pc.begin(p), 5u);
    for (auto e = pc.begin(p); e < pc.end(p); ++e)
      EXPECT_LE(std::abs(std::remainder(angles[pc.atoms[e]] - theta[p], kTwoPi)), radius + 1e-6);
  }
  const std::vector<smt::Point2> pts = {{0, 0}, {0.1, 0}, {0.3, 0}, {0.9, 0.4}};
  const std::vector<float> lifted = smt::lift_planar(pts, 2.0);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const float* v = lifted.data() + 3 * i;
    EXPECT_NEAR(v[0] * v[0] + v[1] * v[1] + v[2] * v[2], 1.0f, 1e-6f);
  }
  auto dot = [&](int a, int b) {
    double s = 0;
    for (int c = 0; c < 3; ++c) s += lifted[3 * a + c] * lifted[3 * b + c];
    return s;
  };
  EXPECT_GT(dot(0, 1), dot(0, 2));
  EXPECT_GT(dot(0, 2), dot(0, 3));
  EXPECT_THROW(smt::lift_planar({{3.0, 0.0}}, 2.0), smt::Error);
}

}  // namespace
