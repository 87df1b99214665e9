#include "smt/image_set.h"

namespace smt {

void ImageSet::truncate(std::size_t n) {
  if (n >= size()) return;
  labels.resize(n);
  pixels.resize(n * image_size());
}

ImageSet ImageSet::split_tail(std::size_t n) {
  ImageSet tail = *this;
  tail.pixels.clear();
  tail.labels.clear();
  if (n == 0 || n >= size()) return tail;
  const std::size_t keep = size() - n;
  tail.labels.assign(labels.begin() + static_cast<std::ptrdiff_t>(keep), labels.end());
  tail.pixels.assign(pixels.begin() + static_cast<std::ptrdiff_t>(keep * image_size()),
                     pixels.end());
  tail.source = source + " (last " + std::to_string(n) + " images, held out)";
  truncate(keep);
  return tail;
}

}  // namespace smt
