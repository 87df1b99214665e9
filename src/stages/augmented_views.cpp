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

ViewSet ViewSet::preprocessing(const Config& c) {
  return ViewSet(c.flip, c.gray_view && c.gray_view_prep);
}

ViewSet ViewSet::references(const Config& c) {
  return ViewSet(c.flip, c.gray_view && c.knn_gray_views);
}

int ViewSet::find(const View& v) const {
  for (std::size_t j = 0; j < views_.size(); ++j)
    if (views_[j] == v) return static_cast<int>(j);
  return -1;
}

std::vector<std::vector<int>> ViewSet::contexts(ViewContext how) const {
  std::vector<std::vector<int>> out;
  if (how == ViewContext::kJoint) {
    out.emplace_back();
    for (int j = 0; j < size(); ++j) out.back().push_back(j);
    return out;
  }
  for (int j = 0; j < size(); ++j) {
    const View& v = views_[static_cast<std::size_t>(j)];
    const int copy = find(View{v.mirrored, true});
    if (how == ViewContext::kLuma && copy >= 0) {
      if (!v.luma) out.push_back({j, copy});
    } else {
      out.push_back({j});
    }
  }
  return out;
}

std::string ViewSet::describe() const {
  std::string s;
  if (find(View{true, false}) >= 0) s += " + flips";
  if (has_luma()) s += " + luma copies";
  return s;
}

}  // namespace smt
