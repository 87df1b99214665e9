// The coder of the synthetic-manifold demo: the landmarks of the chosen
// manifold and layout, and the coding of points against them, by landmark
// interpolation (landmark_coder.h) or by the engine's cosine-threshold
// SparseCoder on points lifted onto a sphere.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "smt/core/context.h"
#include "smt/demo/landmark_coder.h"
#include "smt/demo/manifold_demo.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

class ManifoldCoder {
 public:
  // Landmarks: K on the circle at angles 2 pi k / K; on the disk rings or
  // k-means centres (seeded by ctx.seed, stream Stream::kLandmarks).
  ManifoldCoder(const ManifoldDemoOptions& o, const Context& ctx);

  int dim() const;                                 // of the lifted points: 2 (circle), 3 (disk)
  double spacing() const { return spacing_; }      // landmark spacing
  double threshold() const { return threshold_; }  // threshold coding: the cosine threshold
  const std::vector<Point2>& landmarks() const { return landmarks_; }
  const PlanarLandmarks* planar() const { return planar_.get(); }  // disk only

  // Appends the codes of the points (circle: by their angle); counts into
  // *outside_hull the points interpolation codes by a hull edge. Thread-safe
  // with one scratch per thread.
  void encode(const std::vector<Point2>& pts, PatchCodes& out, SparseCoder::Scratch& scratch,
              std::int64_t* outside_hull = nullptr) const;

 private:
  Manifold manifold_;
  LandmarkCoding coding_;
  CircleLandmarks circle_;
  std::unique_ptr<PlanarLandmarks> planar_;
  std::vector<Point2> landmarks_;
  double spacing_ = 0, threshold_ = 0;
  std::unique_ptr<Dictionary> dictionary_;
  std::unique_ptr<SparseCoder> coder_;  // refers to *dictionary_
};

}  // namespace smt
