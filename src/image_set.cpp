#include "smt/image_set.h"

namespace smt {

void ImageSet::truncate(std::size_t n) {
  if (n >= size()) return;
  labels.resize(n);
  pixels.resize(n * image_size());
}

}  // namespace smt
