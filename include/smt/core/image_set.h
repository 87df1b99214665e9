// A labelled set of equally sized images, stored as 8-bit pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smt/core/shard_layout.h"

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
  // are the images of process shard.rank, in its local order, of a set of
  // shard.total images. shard.whole(): the set is whole (shard.total unused).
  ShardLayout shard;

  std::size_t size() const { return labels.size(); }
  // The image count of the whole set this one is a shard of (size() when whole).
  std::size_t global_size() const { return shard.whole() ? size() : shard.total; }
  // The layout of this set among the processes' shards (one whole set when not a shard).
  ShardLayout layout() const { return shard.whole() ? ShardLayout::of(size(), 0, 1) : shard; }
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
