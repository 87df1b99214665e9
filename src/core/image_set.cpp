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

}  // namespace smt
