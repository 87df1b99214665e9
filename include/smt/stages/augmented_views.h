// The views of a training image that a fit codes: the image itself, its
// horizontal flip, and the luma copies of both (BT.601 luma written to every
// colour channel, so patches keep their dimension). Views of one image sit
// next to each other in the augmented set: augmented image i is view
// i % size() of image i / size(), so a prefix of the augmented set is the
// augmented prefix of the images.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "smt/core/config.h"

namespace smt {

struct View {
  bool mirrored = false;
  bool luma = false;
  bool operator==(const View& o) const { return mirrored == o.mirrored && luma == o.luma; }
};

class ViewSet {
 public:
  // The images alone (test images, transform).
  ViewSet() : views_{View{}} {}
  // The image, then its flip when `flip`, then the luma copies of those when `luma`.
  explicit ViewSet(bool flip, bool luma = false);

  // What the fit codes: config.flip and config.gray_view.
  static ViewSet training(const Config& config);
  // The views whitening and dictionary are fitted on: the training views,
  // without the luma copies unless config.gray_view_prep.
  static ViewSet preprocessing(const Config& config);
  // The training views that are k-NN references: the training views, without
  // the luma copies unless config.knn_gray_views.
  static ViewSet references(const Config& config);

  int size() const { return static_cast<int>(views_.size()); }
  const View& operator[](int j) const { return views_[static_cast<std::size_t>(j)]; }
  // Whether the set holds luma copies.
  bool has_luma() const { return find(View{false, true}) >= 0; }
  // The position of v in this set, or -1.
  int find(const View& v) const;
  bool operator==(const ViewSet& o) const { return views_ == o.views_; }
  bool operator!=(const ViewSet& o) const { return !(*this == o); }

  // The views that form one context of the operator, as groups of view
  // indices, all of one size, in view order of their first member:
  // separate {0} {1} ...; joint {0 1 ...}; luma: each colour view with its
  // luma copy ({0 2} {1 3} with flips), or separate without luma views.
  std::vector<std::vector<int>> contexts(ViewContext how) const;

  // Augmented images of n source images.
  std::size_t augmented(std::size_t n) const { return n * views_.size(); }
  // " + flips + luma copies": for log lines.
  std::string describe() const;

 private:
  std::vector<View> views_;
};

}  // namespace smt
