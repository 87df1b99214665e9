// Landmark coding of low-dimensional data (the synthetic manifolds of paper 1,
// figure 2): a dictionary of K landmarks spread over the data, and codes that
// interpolate between the nearest landmarks. Every code is sparse (at most 2
// atoms on a circle, 3 in the plane), non-negative and sums to 1, and it
// reproduces the point: sum_k alpha_k landmark_k = x (linear precision), so
// P alpha is the piecewise-linear interpolant of P's columns over the
// landmarks. Codes come out as PatchCodes with real values, one patch per
// point, ready for SmtStatistics::add_sequences.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "smt/core/context.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

// At most this many atoms in a landmark code.
constexpr int kMaxLandmarkAtoms = 3;

// One landmark code: atoms[0..count) with weights summing to 1.
struct LandmarkCode {
  int count = 0;
  std::array<int, kMaxLandmarkAtoms> atoms{};
  std::array<double, kMaxLandmarkAtoms> weights{};
};

// Appends codes to out (one patch per code; zero weights dropped; no fallbacks).
void append_codes(const std::vector<LandmarkCode>& codes, PatchCodes& out);

// K landmarks at angles 2 pi j / K on the unit circle; a point at angle theta
// is coded by the two landmarks around it with linear weights (arc-length
// interpolation, periodic).
class CircleLandmarks {
 public:
  explicit CircleLandmarks(int size);
  int size() const { return k_; }
  double angle(int j) const;
  double spacing() const;  // 2 pi / K
  LandmarkCode code(double theta) const;
  void encode(const double* theta, int n, PatchCodes& out) const;

 private:
  int k_ = 0;
};

struct Point2 {
  double x = 0, y = 0;
};

// Regular layout over the unit disk: concentric rings at radii j/R (j = 0..R,
// the centre and a ring on the boundary), ring j holding about 2 pi j points so
// that spacing along and across rings match; each ring is rotated by a
// golden-ratio offset so no four landmarks are co-circular by construction.
std::vector<Point2> disk_ring_layout(int size);
// Lloyd's k-means on `samples` uniform points of the unit disk, started from
// `size` of them (seeded); empty clusters keep their centre. Centres stay
// inside the disk, so a strip along the boundary lies outside their hull.
std::vector<Point2> disk_kmeans_layout(int size, int samples, int iterations, std::uint64_t seed,
                                       const Context& ctx);

// Landmarks in the plane, Delaunay-triangulated (Bowyer-Watson). A point is
// coded by the barycentric weights of the triangle that contains it. A point
// outside the landmarks' convex hull is first projected onto the nearest hull
// edge and coded by the linear weights of that edge's two ends: the nearest
// point the interpolant can represent, and for landmarks on (or near) the
// domain boundary the strip outside the hull is thin (for disk_ring_layout
// 1 - cos(pi / boundary ring size), 0.0014 at K = 300).
class PlanarLandmarks {
 public:
  explicit PlanarLandmarks(std::vector<Point2> landmarks);

  int size() const { return static_cast<int>(points_.size()); }
  const std::vector<Point2>& landmarks() const { return points_; }
  // Counter-clockwise triangles of the Delaunay triangulation.
  const std::vector<std::array<int, 3>>& triangles() const { return triangles_; }
  // Boundary edges (counter-clockwise around the hull).
  const std::vector<std::array<int, 2>>& hull_edges() const { return hull_; }

  // Index of a triangle containing p, or -1 outside the hull.
  int locate(Point2 p) const;
  LandmarkCode code(Point2 p) const;
  void encode(const Point2* points, int n, PatchCodes& out) const;

 private:
  std::vector<Point2> points_;
  std::vector<std::array<int, 3>> triangles_;
  std::vector<std::array<int, 2>> hull_;
  // Point location: a uniform grid over the bounding box; cell c lists the
  // triangles whose bounding boxes overlap it.
  double x0_ = 0, y0_ = 0, cell_ = 1;
  int gx_ = 1, gy_ = 1;
  std::vector<std::uint32_t> cell_start_, cell_tri_;
};

// The engine's thresholded coding (docs/algorithm.md; stages/sparse_coder.h) on low-dimensional
// points, for comparison with landmark interpolation: cosine similarity needs
// unit vectors, so points are lifted onto a sphere. Angles theta -> (cos, sin)
// exactly; planar points x (|x| <= 1) -> (x, sqrt(R^2 - |x|^2)) / R, the
// inverse orthographic projection onto a sphere of radius R, whose cosine
// 1 - |x - y|^2 / (2 R^2) + O(R^-4) decreases with planar distance.
std::vector<float> lift_angles(const std::vector<double>& theta);
std::vector<float> lift_planar(const std::vector<Point2>& points, double radius);

}  // namespace smt
