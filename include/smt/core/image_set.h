// A labelled set of equally sized images, stored as 8-bit pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace smt {

struct ImageSet {
  int height = 0;
  int width = 0;
  int channels = 0;  // 1 (grayscale) or 3 (RGB)
  // Pixels of image i start at pixels[i * image_size()], laid out channel-last
  // (row, column, channel).
  std::vector<std::uint8_t> pixels;
  std::vector<int> labels;  // one per image, 0-based
  int num_classes = 0;
  // Names of classes 0..num_classes-1 when the format provides them (CIFAR
  // label files, image-folder class folders); empty otherwise.
  std::vector<std::string> class_names;
  std::string source;  // where it came from, for messages
  // A shard of a larger set (the distributed mode, model/data_split.h): these
  // are images [offset, offset + size()) of a set of `total` images in the
  // seeded order. total == 0: the set is whole.
  std::size_t offset = 0;
  std::size_t total = 0;

  std::size_t size() const { return labels.size(); }
  // The image count of the whole set this one is a shard of (size() when whole).
  std::size_t global_size() const { return total > 0 ? total : size(); }
  std::size_t image_size() const { return static_cast<std::size_t>(height) * width * channels; }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * image_size(); }

  // A set with this one's shape, classes and source but no images (copying the
  // whole set to clear it would briefly hold its pixels twice).
  ImageSet empty_like() const;
  // The first n images (n >= size() keeps all); the freed pixel memory is
  // returned, so a --train-limit subset does not keep the full set resident.
  void truncate(std::size_t n);
};

}  // namespace smt
