#include "smt/demo/manifold_coder.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "smt/core/rng.h"

namespace smt {

namespace {

// Radius of the sphere the disk is lifted onto for threshold coding.
constexpr double kLiftRadius = 2.0;

}  // namespace

ManifoldCoder::ManifoldCoder(const ManifoldDemoOptions& o, const Context& ctx)
    : manifold_(o.manifold),
      coding_(o.coding),
      circle_(o.manifold == Manifold::kCircle ? o.dict_size : 3) {
  std::vector<Point2> landmarks;
  if (manifold_ == Manifold::kCircle) {
    for (int k = 0; k < o.dict_size; ++k)
      landmarks.push_back({std::cos(circle_.angle(k)), std::sin(circle_.angle(k))});
    spacing_ = circle_.spacing();
  } else {
    landmarks =
        o.layout == DiskLayout::kRings
            ? disk_ring_layout(o.dict_size)
            : disk_kmeans_layout(
                  o.dict_size, std::max(50 * o.dict_size, 20000), 50,
                  splitmix64(ctx.seed ^ static_cast<std::uint64_t>(Stream::kLandmarks)), ctx);
    planar_ = std::make_unique<PlanarLandmarks>(landmarks);
    spacing_ = std::sqrt(std::numbers::pi / o.dict_size);
  }
  landmarks_ = landmarks;
  if (coding_ == LandmarkCoding::kThreshold) {
    std::vector<float> atoms;
    double threshold = o.threshold;
    const double rho = o.threshold_radius * spacing_;
    if (manifold_ == Manifold::kCircle) {
      std::vector<double> angles(o.dict_size);
      for (int k = 0; k < o.dict_size; ++k) angles[k] = circle_.angle(k);
      atoms = lift_angles(angles);
      if (threshold <= 0) threshold = std::cos(rho);
    } else {
      atoms = lift_planar(landmarks, kLiftRadius);
      // Lifted unit vectors at chordal distance c have cosine 1 - c^2 / 2;
      // c = rho / R for planar distance rho at equal radius.
      if (threshold <= 0) threshold = 1.0 - rho * rho / (2.0 * kLiftRadius * kLiftRadius);
    }
    threshold_ = threshold;
    dictionary_ = std::make_unique<Dictionary>(o.dict_size, dim(), std::move(atoms));
    coder_ = std::make_unique<SparseCoder>(*dictionary_, threshold, o.code_values);
  }
}

int ManifoldCoder::dim() const {
  return manifold_ == Manifold::kCircle ? 2 : 3;
}

void ManifoldCoder::encode(const std::vector<Point2>& pts, PatchCodes& out,
                           SparseCoder::Scratch& scratch, std::int64_t* outside_hull) const {
  const int n = static_cast<int>(pts.size());
  if (coder_) {
    std::vector<float> lifted;
    if (manifold_ == Manifold::kCircle) {
      std::vector<double> angles(n);
      for (int i = 0; i < n; ++i) angles[i] = std::atan2(pts[i].y, pts[i].x);
      lifted = lift_angles(angles);
    } else {
      lifted = lift_planar(pts, kLiftRadius);
    }
    coder_->encode(lifted.data(), n, out, scratch);
    return;
  }
  std::vector<LandmarkCode> codes(n);
  for (int i = 0; i < n; ++i) {
    if (manifold_ == Manifold::kCircle) {
      codes[i] = circle_.code(std::atan2(pts[i].y, pts[i].x));
    } else {
      codes[i] = planar_->code(pts[i]);
      if (outside_hull && codes[i].count == 2) ++*outside_hull;
    }
  }
  append_codes(codes, out);
}

}  // namespace smt
