#include "smt/dataset.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <vector>

#include "smt/cifar_reader.h"
#include "smt/error.h"
#include "smt/idx_reader.h"
#include "smt/image_folder.h"

namespace smt {
namespace {

// Uniform in [0, n), n > 0, by rejection: the accepted range
// [2^64 mod n, 2^64) holds a whole number of copies of every residue.
std::uint64_t bounded(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t x = rng();
    if (x >= threshold) return x % n;
  }
}

// Fisher-Yates: the first k entries of v become a uniform random k-subset.
template <typename T>
void partial_shuffle(std::vector<T>& v, std::size_t k, std::mt19937_64& rng) {
  for (std::size_t i = 0; i < k && i + 1 < v.size(); ++i) {
    const std::size_t j = i + static_cast<std::size_t>(bounded(rng, v.size() - i));
    std::swap(v[i], v[j]);
  }
}

// Per-class quotas summing to `limit` (< total): the largest level L with
// sum_c min(count_c, L) <= limit, then one more for `limit - that sum` of the
// classes with more than L images, drawn with rng.
std::vector<std::size_t> class_quotas(const std::vector<std::size_t>& counts, std::size_t limit,
                                      std::mt19937_64& rng) {
  auto filled = [&](std::size_t level) {
    std::size_t s = 0;
    for (std::size_t c : counts) s += std::min(c, level);
    return s;
  };
  std::size_t lo = 0, hi = *std::max_element(counts.begin(), counts.end());
  while (lo < hi) {  // largest level with filled(level) <= limit
    const std::size_t mid = lo + (hi - lo + 1) / 2;
    if (filled(mid) <= limit)
      lo = mid;
    else
      hi = mid - 1;
  }
  std::vector<std::size_t> quota(counts.size());
  std::vector<std::size_t> open;  // classes that can take one more
  for (std::size_t c = 0; c < counts.size(); ++c) {
    quota[c] = std::min(counts[c], lo);
    if (counts[c] > lo) open.push_back(c);
  }
  const std::size_t extra = limit - filled(lo);
  partial_shuffle(open, extra, rng);
  for (std::size_t i = 0; i < extra; ++i) ++quota[open[i]];
  return quota;
}

}  // namespace

ImageSet load_split(const std::string& dir, bool train, const LoadOptions& options) {
  namespace fs = std::filesystem;
  SMT_CHECK(fs::is_directory(dir), "data directory '", dir,
            "' does not exist; pass --data DIR (or set SMT_DATA_DIR and run scripts/get-data.sh)");
  for (const std::string& d : {dir, (fs::path(dir) / "mnist").string()}) {
    if (looks_like_idx_dir(d)) return load_mnist(d, train);
  }
  if (!find_cifar10_dir(dir).empty()) return load_cifar10(dir, train);
  if (!find_cifar100_dir(dir).empty()) return load_cifar100(dir, train, options.cifar100_coarse);
  if (looks_like_image_folder(dir)) return load_image_folder(dir, train);
  SMT_THROW("no dataset found in '", dir,
            "': expected MNIST IDX files (train-images-idx3-ubyte[.gz], "
            "train-labels-idx1-ubyte[.gz], t10k-...) there or in its mnist/ subdirectory; or "
            "CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin) there "
            "or in its cifar-10-batches-bin/ subdirectory; or CIFAR-100 binary files (train.bin, "
            "test.bin) there or in its cifar-100-binary/ subdirectory; or an image folder "
            "(train/<class>/*.jpg|.jpeg|.png and test/<class>/...)");
}

ImageSet load_split(const std::string& dir, bool train) {
  return load_split(dir, train, LoadOptions{});
}

namespace {

// A seeded class-balanced choice of `limit` of the set's images (see apply_limit).
std::vector<char> balanced_choice(const ImageSet& set, std::size_t limit, std::uint64_t seed) {
  const std::size_t n = set.size();
  const int num_labels =
      std::max(set.num_classes, *std::max_element(set.labels.begin(), set.labels.end()) + 1);
  std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(num_labels));
  for (std::size_t i = 0; i < n; ++i) {
    SMT_CHECK(set.labels[i] >= 0, set.source, ": image ", i, " has negative label ", set.labels[i]);
    members[static_cast<std::size_t>(set.labels[i])].push_back(i);
  }
  std::vector<std::size_t> counts;
  for (const auto& m : members) counts.push_back(m.size());
  std::mt19937_64 rng(seed);
  const std::vector<std::size_t> quota = class_quotas(counts, limit, rng);
  std::vector<char> chosen(n, 0);
  for (std::size_t c = 0; c < members.size(); ++c) {
    partial_shuffle(members[c], quota[c], rng);
    for (std::size_t j = 0; j < quota[c]; ++j) chosen[members[c][j]] = 1;
  }
  return chosen;
}

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
  std::vector<char> drop = balanced_choice(set, static_cast<std::size_t>(limit), seed);
  for (char& d : drop) d = !d;
  extract(set, drop, /*keep_extracted=*/false);
  set.source += str_cat(" (", set.size(), " images drawn with seed ", seed, ")");
}

ImageSet hold_out(ImageSet& set, std::size_t n, std::uint64_t seed) {
  SMT_CHECK(n >= 1 && n < set.size(), "cannot hold out ", n, " of the ", set.size(), " images of ",
            set.source);
  // Another stream than apply_limit's, so that the held-out images do not
  // line up with a --train-limit subset drawn with the same seed.
  ImageSet held = extract(set, balanced_choice(set, n, seed ^ 0x9e3779b97f4a7c15ULL));
  held.source += str_cat(" (", held.size(), " images held out with seed ", seed, ")");
  return held;
}

}  // namespace smt
