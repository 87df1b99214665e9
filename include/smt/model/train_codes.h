// Codes of the augmented training images, kept between fitting and the k-NN
// so that the training set is coded once.
#pragma once

#include <vector>

#include "smt/stages/augmented_views.h"
#include "smt/stages/compact_codes.h"

namespace smt {

// Images [0, images.size()) as far as the memory budget allowed; the others
// are recoded when needed.
struct TrainCodes {
  std::vector<CompactCodes> images;  // packed: about half the bytes of PatchCodes
  bool valid = false;                // filled by fit_model for the training set it was given
  // Which views of each training image the cache holds (image-major, as the
  // k-NN visits them): fit_model keeps the k-NN's reference views only.
  ViewSet views;
};

}  // namespace smt
