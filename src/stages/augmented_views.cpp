#include "smt/stages/augmented_views.h"

namespace smt {

ViewSet::ViewSet(bool flip, bool luma) {
  views_ = {View{false, false}};
  if (flip) views_.push_back(View{true, false});
  if (luma) {
    views_.push_back(View{false, true});
    if (flip) views_.push_back(View{true, true});
  }
}

ViewSet ViewSet::training(const Config& c) {
  return ViewSet(c.flip, c.gray_view);
}

ViewSet ViewSet::references(const Config& c) {
  return ViewSet(c.flip, c.gray_view && c.knn_gray_views);
}

int ViewSet::find(const View& v) const {
  for (std::size_t j = 0; j < views_.size(); ++j)
    if (views_[j] == v) return static_cast<int>(j);
  return -1;
}

std::string ViewSet::describe() const {
  std::string s;
  if (find(View{true, false}) >= 0) s += " + flips";
  if (find(View{false, true}) >= 0) s += " + luma copies";
  return s;
}

}  // namespace smt
