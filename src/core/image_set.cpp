#include "smt/core/image_set.h"

namespace smt {

ImageSet ImageSet::empty_like() const {
  ImageSet out;
  out.height = height;
  out.width = width;
  out.channels = channels;
  out.num_classes = num_classes;
  out.class_names = class_names;
  out.source = source;
  return out;
}

void ImageSet::truncate(std::size_t n) {
  if (n >= size()) return;
  labels.resize(n);
  labels.shrink_to_fit();
  pixels.resize(n * image_size());
  pixels.shrink_to_fit();
}

ImageSet ImageSet::split_tail(std::size_t n) {
  ImageSet tail = empty_like();
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
