// CIFAR-10 / CIFAR-100 binary readers on files generated here: exact plane to
// channel-last conversion, label choice, and the errors for damaged files.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "smt/io/cifar_reader.h"
#include "smt/io/dataset.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::TempDir;
using testing::write_bytes;

// A pixel value that differs by image, channel, row and column, so a
// transposed, shifted or plane-swapped read shows up.
std::uint8_t pixel(int image, int ch, int row, int col) {
  return static_cast<std::uint8_t>((image * 37 + ch * 101 + row * 7 + col * 3) % 256);
}

// The R, G and B planes of image `image`, as stored in the binary files.
std::string planes(int image) {
  std::string out;
  for (int ch = 0; ch < 3; ++ch)
    for (int r = 0; r < 32; ++r)
      for (int c = 0; c < 32; ++c) out.push_back(static_cast<char>(pixel(image, ch, r, c)));
  return out;
}

// CIFAR-10 records for images first..first+labels.size()-1.
std::string cifar10_batch(int first, const std::vector<int>& labels) {
  std::string out;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out.push_back(static_cast<char>(labels[i]));
    out += planes(first + static_cast<int>(i));
  }
  return out;
}

std::string cifar100_file(int first, const std::vector<std::pair<int, int>>& coarse_fine) {
  std::string out;
  for (std::size_t i = 0; i < coarse_fine.size(); ++i) {
    out.push_back(static_cast<char>(coarse_fine[i].first));
    out.push_back(static_cast<char>(coarse_fine[i].second));
    out += planes(first + static_cast<int>(i));
  }
  return out;
}

// Checks that image i of `set` holds pixel(first + i, ...) channel-last.
void expect_pixels(const ImageSet& set, int first) {
  ASSERT_EQ(set.height, 32);
  ASSERT_EQ(set.width, 32);
  ASSERT_EQ(set.channels, 3);
  ASSERT_EQ(set.pixels.size(), set.size() * 3072);
  for (std::size_t i = 0; i < set.size(); ++i) {
    const std::uint8_t* img = set.image(i);
    for (int r = 0; r < 32; ++r)
      for (int c = 0; c < 32; ++c)
        for (int ch = 0; ch < 3; ++ch)
          ASSERT_EQ(img[(r * 32 + c) * 3 + ch], pixel(first + static_cast<int>(i), ch, r, c))
              << "image " << i << " row " << r << " col " << c << " channel " << ch;
  }
}

// A full CIFAR-10 directory: batch k holds 2 images, the test batch 3.
void write_cifar10_dir(const fs::path& dir, bool meta = true) {
  fs::create_directories(dir);
  for (int k = 1; k <= 5; ++k) {
    ASSERT_TRUE(write_bytes((dir / ("data_batch_" + std::to_string(k) + ".bin")).string(),
                            cifar10_batch(2 * (k - 1), {k - 1, 9 - k})));
  }
  ASSERT_TRUE(write_bytes((dir / "test_batch.bin").string(), cifar10_batch(100, {3, 0, 9})));
  if (meta) {
    ASSERT_TRUE(write_bytes((dir / "batches.meta.txt").string(),
                            "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\n"
                            "truck\n\n"));
  }
}

TEST(Cifar10, PlanesBecomeChannelLastAndBatchesConcatenateInOrder) {
  TempDir tmp;
  ASSERT_TRUE(write_bytes(tmp.file("a.bin"), cifar10_batch(0, {7, 0, 9})));
  ASSERT_TRUE(write_bytes(tmp.file("b.bin"), cifar10_batch(3, {2, 5})));
  const ImageSet set = read_cifar10_batches({tmp.file("a.bin"), tmp.file("b.bin")});
  EXPECT_EQ(set.labels, (std::vector<int>{7, 0, 9, 2, 5}));
  EXPECT_EQ(set.num_classes, 10);
  expect_pixels(set, 0);
  // Spot check of the layout by hand: pixel (row 1, col 2) of image 0 is
  // R at plane offset 34, G at 1024 + 34, B at 2048 + 34.
  const std::string p = planes(0);
  EXPECT_EQ(set.image(0)[(1 * 32 + 2) * 3 + 0], static_cast<std::uint8_t>(p[34]));
  EXPECT_EQ(set.image(0)[(1 * 32 + 2) * 3 + 1], static_cast<std::uint8_t>(p[1024 + 34]));
  EXPECT_EQ(set.image(0)[(1 * 32 + 2) * 3 + 2], static_cast<std::uint8_t>(p[2048 + 34]));
}

TEST(Cifar10, LoadsBothSplitsWithClassNames) {
  TempDir tmp;
  write_cifar10_dir(tmp.path());
  const ImageSet train = load_cifar10(tmp.path().string(), true);
  EXPECT_EQ(train.labels, (std::vector<int>{0, 8, 1, 7, 2, 6, 3, 5, 4, 4}));
  expect_pixels(train, 0);
  ASSERT_EQ(train.class_names.size(), 10u);
  EXPECT_EQ(train.class_names[0], "airplane");
  EXPECT_EQ(train.class_names[9], "truck");
  const ImageSet test = load_cifar10(tmp.path().string(), false);
  EXPECT_EQ(test.labels, (std::vector<int>{3, 0, 9}));
  expect_pixels(test, 100);
}

TEST(Cifar10, AcceptsTheOfficialSubdirectoryAndIsDetected) {
  TempDir tmp;
  write_cifar10_dir(tmp.path() / "cifar-10-batches-bin", /*meta=*/false);
  EXPECT_EQ(find_cifar10_dir(tmp.path().string()), (tmp.path() / "cifar-10-batches-bin").string());
  const ImageSet test = load_split(tmp.path().string(), false);
  EXPECT_EQ(test.labels, (std::vector<int>{3, 0, 9}));
  EXPECT_TRUE(test.class_names.empty());
  expect_pixels(test, 100);
  EXPECT_EQ(load_split(tmp.path().string(), true).size(), 10u);
}

TEST(Cifar10, TruncatedFileNamesFileSizeAndRecordSize) {
  TempDir tmp;
  std::string batch = cifar10_batch(0, {1, 2});
  batch.resize(batch.size() - 5);  // 6141 bytes
  ASSERT_TRUE(write_bytes(tmp.file("cut.bin"), batch));
  const std::string msg = error_of([&] { read_cifar10_batches({tmp.file("cut.bin")}); });
  EXPECT_NE(msg.find(tmp.file("cut.bin")), std::string::npos) << msg;
  EXPECT_NE(msg.find("6141 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("record size 3073"), std::string::npos) << msg;
}

TEST(Cifar10, Cifar100FileIsRejectedByRecordSize) {
  TempDir tmp;
  ASSERT_TRUE(write_bytes(tmp.file("c100.bin"), cifar100_file(0, {{1, 2}, {3, 4}, {5, 6}})));
  const std::string msg = error_of([&] { read_cifar10_batches({tmp.file("c100.bin")}); });
  EXPECT_NE(msg.find("9222 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3073"), std::string::npos) << msg;
}

TEST(Cifar10, LabelOutOfRangeNamesFileAndRecord) {
  TempDir tmp;
  ASSERT_TRUE(write_bytes(tmp.file("bad.bin"), cifar10_batch(0, {1, 10, 2})));
  const std::string msg = error_of([&] { read_cifar10_batches({tmp.file("bad.bin")}); });
  EXPECT_NE(msg.find(tmp.file("bad.bin")), std::string::npos) << msg;
  EXPECT_NE(msg.find("record 1 has label 10"), std::string::npos) << msg;
}

TEST(Cifar10, EmptyAndMissingFilesAreNamed) {
  TempDir tmp;
  ASSERT_TRUE(write_bytes(tmp.file("empty.bin"), ""));
  std::string msg = error_of([&] { read_cifar10_batches({tmp.file("empty.bin")}); });
  EXPECT_NE(msg.find("empty.bin' is empty"), std::string::npos) << msg;

  write_cifar10_dir(tmp.path());
  fs::remove(tmp.path() / "data_batch_3.bin");
  fs::remove(tmp.path() / "data_batch_5.bin");
  msg = error_of([&] { load_cifar10(tmp.path().string(), true); });
  EXPECT_NE(msg.find(tmp.file("data_batch_3.bin")), std::string::npos) << msg;
  EXPECT_NE(msg.find(tmp.file("data_batch_5.bin")), std::string::npos) << msg;
  EXPECT_EQ(msg.find("data_batch_4.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cifar-10-binary.tar.gz"), std::string::npos) << msg;
  // The test split is complete and still loads.
  EXPECT_EQ(load_cifar10(tmp.path().string(), false).size(), 3u);

  fs::remove(tmp.path() / "test_batch.bin");
  msg = error_of([&] { load_split(tmp.path().string(), false); });
  EXPECT_NE(msg.find(tmp.file("test_batch.bin")), std::string::npos) << msg;
}

TEST(Cifar10, WrongNumberOfClassNamesIsAnError) {
  TempDir tmp;
  write_cifar10_dir(tmp.path(), /*meta=*/false);
  ASSERT_TRUE(write_bytes(tmp.file("batches.meta.txt"), "cat\ndog\n"));
  const std::string msg = error_of([&] { load_cifar10(tmp.path().string(), false); });
  EXPECT_NE(msg.find("batches.meta.txt' lists 2 names, expected 10"), std::string::npos) << msg;
}

TEST(Cifar100, FineLabelsByDefaultCoarseOnRequest) {
  TempDir tmp;
  ASSERT_TRUE(write_bytes(tmp.file("train.bin"), cifar100_file(5, {{19, 99}, {0, 1}, {7, 42}})));
  const ImageSet fine = read_cifar100_file(tmp.file("train.bin"), false);
  EXPECT_EQ(fine.labels, (std::vector<int>{99, 1, 42}));
  EXPECT_EQ(fine.num_classes, 100);
  expect_pixels(fine, 5);
  const ImageSet coarse = read_cifar100_file(tmp.file("train.bin"), true);
  EXPECT_EQ(coarse.labels, (std::vector<int>{19, 0, 7}));
  EXPECT_EQ(coarse.num_classes, 20);
  EXPECT_EQ(coarse.pixels, fine.pixels);
}

TEST(Cifar100, SubdirectoryLabelNamesAndDetection) {
  TempDir tmp;
  const fs::path d = tmp.path() / "cifar-100-binary";
  fs::create_directories(d);
  ASSERT_TRUE(write_bytes((d / "train.bin").string(), cifar100_file(0, {{3, 30}, {4, 40}})));
  ASSERT_TRUE(write_bytes((d / "test.bin").string(), cifar100_file(50, {{5, 55}})));
  std::string fine_names, coarse_names;
  for (int i = 0; i < 100; ++i) fine_names += "fine" + std::to_string(i) + "\n";
  for (int i = 0; i < 20; ++i) coarse_names += "coarse" + std::to_string(i) + "\r\n";
  ASSERT_TRUE(write_bytes((d / "fine_label_names.txt").string(), fine_names));
  ASSERT_TRUE(write_bytes((d / "coarse_label_names.txt").string(), coarse_names));

  const ImageSet fine = load_split(tmp.path().string(), true);
  EXPECT_EQ(fine.labels, (std::vector<int>{30, 40}));
  ASSERT_EQ(fine.class_names.size(), 100u);
  EXPECT_EQ(fine.class_names[30], "fine30");
  const ImageSet coarse =
      load_split(tmp.path().string(), false, LoadOptions{.cifar100_coarse = true});
  EXPECT_EQ(coarse.labels, (std::vector<int>{5}));
  ASSERT_EQ(coarse.class_names.size(), 20u);
  EXPECT_EQ(coarse.class_names[5], "coarse5");
  expect_pixels(coarse, 50);
}

TEST(Cifar100, BothLabelsAreValidatedAndRecordSizeChecked) {
  TempDir tmp;
  // Coarse label 20 is invalid even when the fine labels are used.
  ASSERT_TRUE(write_bytes(tmp.file("a.bin"), cifar100_file(0, {{1, 1}, {20, 5}})));
  std::string msg = error_of([&] { read_cifar100_file(tmp.file("a.bin"), false); });
  EXPECT_NE(msg.find("record 1 has coarse label 20"), std::string::npos) << msg;
  ASSERT_TRUE(write_bytes(tmp.file("b.bin"), cifar100_file(0, {{1, 100}})));
  msg = error_of([&] { read_cifar100_file(tmp.file("b.bin"), true); });
  EXPECT_NE(msg.find("record 0 has fine label 100"), std::string::npos) << msg;
  // A CIFAR-10 batch is not a CIFAR-100 file.
  ASSERT_TRUE(write_bytes(tmp.file("c.bin"), cifar10_batch(0, {1, 2})));
  msg = error_of([&] { read_cifar100_file(tmp.file("c.bin"), false); });
  EXPECT_NE(msg.find("6146 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("record size 3074"), std::string::npos) << msg;
  // The test split alone is missing.
  ASSERT_TRUE(write_bytes(tmp.file("train.bin"), cifar100_file(0, {{1, 1}})));
  msg = error_of([&] { load_cifar100(tmp.path().string(), false); });
  EXPECT_NE(msg.find(tmp.file("test.bin")), std::string::npos) << msg;
}

}  // namespace
}  // namespace smt
