// Reader for the IDX format of MNIST (raw or gzip-compressed).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "smt/core/image_set.h"
#include "smt/io/split_listing.h"

namespace smt {

// Reads an IDX image file (magic 0x00000803: unsigned bytes, count x rows x
// cols) and its IDX label file (magic 0x00000801). Either file may be
// gzip-compressed; compression is detected from the content, not the name.
// Throws smt::Error on any malformed, truncated or inconsistent input.
// The result has channels = 1, num_classes = max label + 1 and
// source = images_path.
ImageSet read_idx(const std::string& images_path, const std::string& labels_path);
// The same from two streams holding the files' bytes (read from position 0);
// the names stand for the files in messages.
ImageSet read_idx(std::istream& images, const std::string& images_name, std::istream& labels,
                  const std::string& labels_name);

// The images at `indices` (ascending, each below the file's image count)
// with their labels: the images read_idx gives at those positions, and only
// they are kept in memory. A raw file is read at their records (seeking past
// the others); gzip content cannot seek, so it is inflated through and the
// other images are dropped as they pass. The whole file is still checked as
// read_idx checks it (headers, length, trailing bytes), so a damaged file
// gives every caller the same error whichever images it asks for.
// num_classes comes from all labels.
ImageSet read_idx(const std::string& images_path, const std::string& labels_path,
                  const std::vector<std::size_t>& indices);
ImageSet read_idx(std::istream& images, const std::string& images_name, std::istream& labels,
                  const std::string& labels_name, const std::vector<std::size_t>& indices);

// All labels of an IDX label file, checked as read_idx checks them (a few
// bytes per image: enough to choose a subset before reading pixels).
std::vector<int> read_idx_labels(const std::string& labels_path);

// Loads the MNIST training (train = true) or test split from `dir`, which
// holds the standard file names (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), each optionally ending in
// ".gz" and also accepted with a dot before "idx" (train-images.idx3-ubyte).
ImageSet load_mnist(const std::string& dir, bool train);

// The split load_mnist reads, listed from its label file alone
// (split_listing.h): files {images, labels}, the labels, num_classes = max
// label + 1 and source = the image file.
SplitListing list_mnist(const std::string& dir, bool train);

// True when `dir` holds the MNIST training image and label files under one of
// the names load_mnist accepts. Never throws.
bool looks_like_idx_dir(const std::string& dir);

// The directory holding the MNIST files: `dir` itself or its mnist/
// subdirectory (looks_like_idx_dir); "" when neither does. Never throws.
std::string find_mnist_dir(const std::string& dir);

}  // namespace smt
