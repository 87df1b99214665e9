#include "smt/io/dataset.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <vector>

#include "smt/core/error.h"
#include "smt/io/cifar_reader.h"
#include "smt/io/idx_reader.h"
#include "smt/io/image_folder.h"
#include "smt/io/split_selection.h"
#include "smt/io/subset.h"

namespace smt {

SplitListing list_split(const std::string& dir, bool train, const LoadOptions& options) {
  namespace fs = std::filesystem;
  SMT_CHECK(fs::is_directory(dir), "data directory '", dir,
            "' does not exist; pass --data DIR (or set SMT_DATA_DIR and run scripts/get-data.sh)");
  if (const std::string d = find_mnist_dir(dir); !d.empty()) return list_mnist(d, train);
  if (!find_cifar10_dir(dir).empty()) return list_cifar10(dir, train);
  if (!find_cifar100_dir(dir).empty()) return list_cifar100(dir, train, options.cifar100_coarse);
  if (looks_like_image_folder(dir)) return list_image_folder(dir, train);
  SMT_THROW("no dataset found in '", dir,
            "': expected MNIST IDX files (train-images-idx3-ubyte[.gz], "
            "train-labels-idx1-ubyte[.gz], t10k-...) there or in its mnist/ subdirectory; or "
            "CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin) there "
            "or in its cifar-10-batches-bin/ subdirectory; or CIFAR-100 binary files (train.bin, "
            "test.bin) there or in its cifar-100-binary/ subdirectory; or an image folder "
            "(train/<class>/*.jpg|.jpeg|.png and test/<class>/...)");
}

ImageSet load_split_images(const SplitListing& split, const std::vector<std::size_t>& indices,
                           const LoadOptions& options) {
  SMT_CHECK(options.resize == 0 || split.format == DatasetFormat::kImageFolder, param("resize"),
            " ", options.resize,
            " applies only to image folders, whose images may differ in size; ", split.source,
            " is ", format_name(split.format), " data, whose images all have one size: leave ",
            param("resize"), " at 0");
  ImageSet set;
  switch (split.format) {
    case DatasetFormat::kMnist:
      set = read_idx(split.files.at(0), split.files.at(1), indices);
      break;
    case DatasetFormat::kCifar10:
      set = read_cifar10_batches(split.files, indices);
      break;
    case DatasetFormat::kCifar100:
      set = read_cifar100_file(split.files.at(0), split.cifar100_coarse, indices);
      break;
    case DatasetFormat::kImageFolder:
      set = read_image_folder(split, indices, options.resize);
      break;
  }
  set.num_classes = split.num_classes;
  set.class_names = split.class_names;
  set.source = split.source;
  return set;
}

ImageSet load_split_images(const std::string& dir, bool train, const LoadOptions& options,
                           const std::vector<std::size_t>& indices) {
  return load_split_images(list_split(dir, train, options), indices, options);
}

ImageSet load_split(const std::string& dir, bool train, const LoadOptions& options) {
  // The subset is chosen from the labels, so only its images are read.
  const SplitListing split = list_split(dir, train, options);
  SplitSelection chosen = select_all(split);
  limit_selection(chosen, split, options.limit, options.limit_seed);
  ImageSet set = load_split_images(split, chosen.indices, options);
  set.source = chosen.source;
  return set;
}

ImageSet load_split(const std::string& dir, bool train) {
  return load_split(dir, train, LoadOptions{});
}

namespace {

// Moves the images with mask[i] == 1 (in order) into the returned set (or
// drops them when !keep_extracted) and compacts the rest in place.
ImageSet extract(ImageSet& set, const std::vector<char>& mask, bool keep_extracted = true) {
  ImageSet out = set.empty_like();
  const std::size_t bytes = set.image_size();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < set.size(); ++i) {
    const auto src = set.pixels.begin() + static_cast<std::ptrdiff_t>(i * bytes);
    if (mask[i]) {
      if (!keep_extracted) continue;
      out.pixels.insert(out.pixels.end(), src, src + static_cast<std::ptrdiff_t>(bytes));
      out.labels.push_back(set.labels[i]);
      continue;
    }
    if (kept != i) {
      std::copy_n(src, bytes, set.pixels.begin() + static_cast<std::ptrdiff_t>(kept * bytes));
      set.labels[kept] = set.labels[i];
    }
    ++kept;
  }
  set.truncate(kept);
  return out;
}

}  // namespace

void apply_limit(ImageSet& set, std::int64_t limit, std::uint64_t seed) {
  if (limit <= 0 || static_cast<std::size_t>(limit) >= set.size()) return;
  std::vector<char> drop = balanced_choice(set.labels, set.num_classes,
                                           static_cast<std::size_t>(limit), seed, set.source);
  for (char& d : drop) d = !d;
  extract(set, drop, /*keep_extracted=*/false);
  set.source += subset_note(set.size(), seed);
}

std::vector<char> hold_out_choice(const std::vector<int>& labels, int num_classes, std::size_t n,
                                  std::uint64_t seed, const std::string& source) {
  SMT_CHECK(n >= 1 && n < labels.size(), "cannot hold out ", n, " of the ", labels.size(),
            " images of ", source);
  // Another stream than apply_limit's, so that the held-out images do not
  // line up with a --train-limit subset drawn with the same seed.
  return balanced_choice(labels, num_classes, n, seed ^ 0x9e3779b97f4a7c15ULL, source);
}

ImageSet hold_out(ImageSet& set, std::size_t n, std::uint64_t seed) {
  ImageSet held = extract(set, hold_out_choice(set.labels, set.num_classes, n, seed, set.source));
  held.source += hold_out_note(held.size(), seed);
  return held;
}

}  // namespace smt
