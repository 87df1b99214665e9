// A dataset split known from its file names and labels alone, before any
// pixel is read: what a seeded subset, a validation hold-out or one process's
// shard is chosen from (split_selection.h), so that only the chosen images
// need to be read (dataset.h, load_split_images).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace smt {

enum class DatasetFormat { kMnist, kCifar10, kCifar100, kImageFolder };

// "MNIST IDX", "CIFAR-10 binary", "CIFAR-100 binary", "image folder".
const char* format_name(DatasetFormat format);

struct SplitListing {
  DatasetFormat format = DatasetFormat::kMnist;
  // Where the images are read from: MNIST {image file, label file}; CIFAR the
  // batch files in record order; an image folder one file per image.
  std::vector<std::string> files;
  bool cifar100_coarse = false;  // CIFAR-100: labels are the 20 superclasses
  // Of every image of the split, in its order.
  std::vector<int> labels;
  int num_classes = 0;
  std::vector<std::string> class_names;  // empty when the format has none
  std::string source;                    // the whole split's, for messages

  std::size_t size() const { return labels.size(); }
};

// Throws naming `source` unless `indices` ascend strictly and are all < n:
// the readers take images in the split's order, each once.
void check_image_indices(const std::vector<std::size_t>& indices, std::size_t n,
                         const std::string& source);

}  // namespace smt
