// Dataset detection (load_split) and the seeded, class-balanced subset of
// apply_limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "smt/io/dataset.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::TempDir;

// A set listed class by class (as image folders are): counts[c] images of
// class c; image i is 1x1x2 and stores i (little-endian 16 bit), so the
// original index of every kept image can be read back.
ImageSet class_by_class(const std::vector<int>& counts) {
  ImageSet set;
  set.height = 1;
  set.width = 1;
  set.channels = 2;
  set.num_classes = static_cast<int>(counts.size());
  set.source = "generated";
  for (std::size_t c = 0; c < counts.size(); ++c) {
    for (int k = 0; k < counts[c]; ++k) {
      const auto i = set.labels.size();
      set.pixels.push_back(static_cast<std::uint8_t>(i & 0xff));
      set.pixels.push_back(static_cast<std::uint8_t>(i >> 8));
      set.labels.push_back(static_cast<int>(c));
    }
  }
  return set;
}

std::vector<std::size_t> original_indices(const ImageSet& set) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < set.size(); ++i)
    out.push_back(set.image(i)[0] + (std::size_t{set.image(i)[1]} << 8));
  return out;
}

std::map<int, int> class_counts(const ImageSet& set) {
  std::map<int, int> out;
  for (int l : set.labels) ++out[l];
  return out;
}

TEST(ApplyLimit, BalancedSeededSubsetInOriginalOrder) {
  const ImageSet full = class_by_class({100, 100, 100, 100, 100});
  ImageSet a = full;
  apply_limit(a, 50, 7);
  ASSERT_EQ(a.size(), 50u);
  EXPECT_EQ(class_counts(a), (std::map<int, int>{{0, 10}, {1, 10}, {2, 10}, {3, 10}, {4, 10}}));
  const std::vector<std::size_t> idx = original_indices(a);
  EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end()));
  EXPECT_EQ(std::adjacent_find(idx.begin(), idx.end()), idx.end()) << "an image kept twice";
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.labels[i], full.labels[idx[i]]);
  // Not the first 50 images (which are all class 0), nor the first 10 of each class.
  EXPECT_NE(idx.back(), 49u);
  std::vector<std::size_t> first_ten;
  for (std::size_t c = 0; c < 5; ++c)
    for (std::size_t k = 0; k < 10; ++k) first_ten.push_back(100 * c + k);
  EXPECT_NE(idx, first_ten);

  ImageSet again = full;
  apply_limit(again, 50, 7);
  EXPECT_EQ(again.pixels, a.pixels);
  EXPECT_EQ(again.labels, a.labels);
  ImageSet other = full;
  apply_limit(other, 50, 8);
  EXPECT_EQ(other.size(), 50u);
  EXPECT_NE(original_indices(other), idx);
}

TEST(ApplyLimit, SmallClassesGiveTheirSlotsToTheOthers) {
  // Level 17: 17 + 17 + 5 = 39, one extra slot for class 0 or 1.
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    ImageSet s = class_by_class({50, 30, 5});
    apply_limit(s, 40, seed);
    ASSERT_EQ(s.size(), 40u);
    const auto counts = class_counts(s);
    EXPECT_EQ(counts.at(2), 5);
    EXPECT_EQ(counts.at(0) + counts.at(1), 35);
    EXPECT_TRUE(counts.at(0) == 17 || counts.at(0) == 18) << counts.at(0);
  }
  // Uneven remainder: 3 classes, 10 slots: 3 or 4 each, the 4 drawn with the seed.
  std::map<int, int> got_four;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    ImageSet s = class_by_class({20, 20, 20});
    apply_limit(s, 10, seed);
    for (const auto& [c, n] : class_counts(s)) {
      EXPECT_TRUE(n == 3 || n == 4);
      if (n == 4) ++got_four[c];
    }
  }
  for (int c = 0; c < 3; ++c) EXPECT_GT(got_four[c], 60) << "class " << c;
}

TEST(ApplyLimit, EveryImageOfAClassIsEquallyLikely) {
  std::vector<int> hits(10, 0);
  for (std::uint64_t seed = 0; seed < 3000; ++seed) {
    ImageSet s = class_by_class({10});
    apply_limit(s, 3, seed);
    for (std::size_t i : original_indices(s)) ++hits[i];
  }
  // Expected 900 each; binomial sd ~ 25.
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(hits[static_cast<std::size_t>(i)], 900, 120) << i;
}

TEST(ApplyLimit, ZeroOrAtLeastTheSizeKeepsEverything) {
  const ImageSet full = class_by_class({3, 4});
  for (std::int64_t limit :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{7}, std::int64_t{100}}) {
    ImageSet s = full;
    apply_limit(s, limit, 1);
    EXPECT_EQ(s.pixels, full.pixels);
    EXPECT_EQ(s.labels, full.labels);
  }
  ImageSet one = full;
  apply_limit(one, 1, 3);
  EXPECT_EQ(one.size(), 1u);
}

TEST(LoadSplit, NoMatchListsEveryFormat) {
  TempDir tmp;
  const std::string msg = error_of([&] { load_split(tmp.path().string(), true); });
  EXPECT_NE(msg.find(tmp.path().string()), std::string::npos) << msg;
  for (const char* what :
       {"MNIST", "train-images-idx3-ubyte", "CIFAR-10", "data_batch_1.bin", "cifar-10-batches-bin",
        "CIFAR-100", "cifar-100-binary", "image folder", "train/<class>"}) {
    EXPECT_NE(msg.find(what), std::string::npos) << what << " missing in: " << msg;
  }
  // train/ and test/ without class folders is not an image folder.
  fs::create_directories(tmp.path() / "train");
  fs::create_directories(tmp.path() / "test");
  EXPECT_NE(error_of([&] { load_split(tmp.path().string(), true); }).find("no dataset found"),
            std::string::npos);
}

// --validation: a balanced held-out set, disjoint from what stays for
// training, together exactly the original images.
TEST(HoldOut, BalancedDisjointAndComplete) {
  const ImageSet full = class_by_class({60, 60, 60, 60});
  ImageSet train = full;
  const ImageSet held = hold_out(train, 20, 3);
  ASSERT_EQ(held.size(), 20u);
  ASSERT_EQ(train.size(), 220u);
  EXPECT_EQ(class_counts(held), (std::map<int, int>{{0, 5}, {1, 5}, {2, 5}, {3, 5}}));
  std::vector<std::size_t> a = original_indices(held), b = original_indices(train), all = a;
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i);
  ImageSet again = full;
  EXPECT_EQ(hold_out(again, 20, 3).pixels, held.pixels);
  ImageSet too_many = full;
  EXPECT_THROW(hold_out(too_many, 240, 3), Error);
}

}  // namespace
}  // namespace smt
