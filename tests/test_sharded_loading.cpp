// Sharded loading for the distributed mode (model/data_split.h): every
// process chooses the same images from the labels of the whole splits and
// reads only its part of them (shard_layout: 32-image blocks dealt round-robin). On small generated datasets of
// every format: the shards of 1, 2, 3 (and more) processes put together are
// the single-process sets, one process gets exactly what split_train_eval
// gives on whole splits, a damaged file in another process's shard does not
// matter, and load_split_images reads exactly the images asked for.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/io/dataset.h"
#include "smt/io/image_folder.h"
#include "smt/model/data_split.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::TempDir;
using testing::write_bytes;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kTrainImages = 200;  // 7 blocks of 32 (the last partial)
constexpr std::size_t kTestImages = 80;

// Pixel j of image i: the first two bytes spell i, so order is checked too.
std::uint8_t pixel(std::size_t i, std::size_t j) {
  if (j == 0) return static_cast<std::uint8_t>(i & 0xff);
  if (j == 1) return static_cast<std::uint8_t>(i >> 8);
  return static_cast<std::uint8_t>((i * 7 + j * 13) % 256);
}

// A label sequence that is not sorted (as in MNIST and CIFAR).
int label_of(std::size_t i, int classes) {
  return static_cast<int>((i * 7 + i / 3) % static_cast<std::size_t>(classes));
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

void write_gz(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, data.data(), static_cast<unsigned>(data.size())),
            static_cast<int>(data.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

void write_file(const std::string& path, const std::string& data, bool gz) {
  if (gz) {
    write_gz(path, data);
  } else {
    ASSERT_TRUE(write_bytes(path, data)) << path;
  }
}

// MNIST IDX files (5 x 4 images) for both splits.
void write_idx(const fs::path& dir, bool gz) {
  for (const auto& [prefix, n] : {std::pair<const char*, std::size_t>{"train", kTrainImages},
                                  std::pair<const char*, std::size_t>{"t10k", kTestImages}}) {
    std::string images = be32(0x803) + be32(static_cast<std::uint32_t>(n)) + be32(5) + be32(4);
    std::string labels = be32(0x801) + be32(static_cast<std::uint32_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < 20; ++j) images += static_cast<char>(pixel(i, j));
      labels += static_cast<char>(label_of(i, 10));
    }
    const std::string ext = gz ? ".gz" : "";
    write_file((dir / (std::string(prefix) + "-images-idx3-ubyte" + ext)).string(), images, gz);
    write_file((dir / (std::string(prefix) + "-labels-idx1-ubyte" + ext)).string(), labels, gz);
  }
}

std::string cifar_record(std::size_t i, const std::string& label_bytes) {
  std::string rec = label_bytes;
  for (std::size_t j = 0; j < 3072; ++j) rec += static_cast<char>(pixel(i, j));
  return rec;
}

// CIFAR-10 batches of unequal record counts, so that shards and runs cross
// file boundaries.
void write_cifar10(const fs::path& dir) {
  const std::vector<std::size_t> counts = {23, 40, 7, 31, 99};
  std::size_t i = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    std::string data;
    for (std::size_t k = 0; k < counts[b]; ++k, ++i)
      data += cifar_record(i, std::string(1, static_cast<char>(label_of(i, 10))));
    ASSERT_TRUE(
        write_bytes((dir / ("data_batch_" + std::to_string(b + 1) + ".bin")).string(), data));
  }
  ASSERT_EQ(i, kTrainImages);
  std::string test;
  for (std::size_t k = 0; k < kTestImages; ++k)
    test += cifar_record(k + 1000, std::string(1, static_cast<char>(label_of(k, 10))));
  ASSERT_TRUE(write_bytes((dir / "test_batch.bin").string(), test));
  std::string names;
  for (int c = 0; c < 10; ++c) names += "class" + std::to_string(c) + "\n";
  ASSERT_TRUE(write_bytes((dir / "batches.meta.txt").string(), names));
}

void write_cifar100(const fs::path& dir) {
  for (const auto& [name, n] : {std::pair<const char*, std::size_t>{"train.bin", kTrainImages},
                                std::pair<const char*, std::size_t>{"test.bin", kTestImages}}) {
    std::string data;
    for (std::size_t i = 0; i < n; ++i) {
      const char labels[2] = {static_cast<char>(label_of(i, 20)),
                              static_cast<char>(label_of(i * 3, 100))};
      data += cifar_record(i, std::string(labels, 2));
    }
    ASSERT_TRUE(write_bytes((dir / name).string(), data));
  }
}

void write_png(const std::string& path, int h, int w, const Bytes& rgb) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = PNG_FORMAT_RGB;
  ASSERT_NE(png_image_write_to_file(&img, path.c_str(), 0, rgb.data(), 0, nullptr), 0)
      << path << ": " << img.message;
}

Bytes image_pixels(std::size_t i, std::size_t bytes) {
  Bytes px(bytes);
  for (std::size_t j = 0; j < bytes; ++j) px[j] = pixel(i, j);
  return px;
}

// An image folder of 4 x 3 RGB PNGs in three classes of unequal sizes.
void write_image_folder(const fs::path& root) {
  std::size_t i = 0;
  for (const auto& [split, counts] :
       {std::pair<const char*, std::vector<int>>{"train", {70, 60, 70}},
        std::pair<const char*, std::vector<int>>{"test", {30, 25, 25}}}) {
    for (std::size_t c = 0; c < counts.size(); ++c) {
      const fs::path dir = root / split / ("class" + std::to_string(c));
      fs::create_directories(dir);
      for (int k = 0; k < counts[c]; ++k, ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "img%03d.png", k);
        write_png((dir / name).string(), 4, 3, image_pixels(i, 36));
      }
    }
  }
}

enum class Format { kRawIdx, kGzIdx, kCifar10, kCifar100, kImageFolder };

std::string format_label(const ::testing::TestParamInfo<Format>& info) {
  switch (info.param) {
    case Format::kRawIdx:
      return "RawIdx";
    case Format::kGzIdx:
      return "GzIdx";
    case Format::kCifar10:
      return "Cifar10";
    case Format::kCifar100:
      return "Cifar100";
    case Format::kImageFolder:
      return "ImageFolder";
  }
  return "?";
}

void write_dataset(Format f, const fs::path& dir) {
  switch (f) {
    case Format::kRawIdx:
      return write_idx(dir, false);
    case Format::kGzIdx:
      return write_idx(dir, true);
    case Format::kCifar10:
      return write_cifar10(dir);
    case Format::kCifar100:
      return write_cifar100(dir);
    case Format::kImageFolder:
      return write_image_folder(dir);
  }
}

// Every field, the shard layout included.
void expect_identical(const ImageSet& got, const ImageSet& want) {
  EXPECT_EQ(got.height, want.height);
  EXPECT_EQ(got.width, want.width);
  EXPECT_EQ(got.channels, want.channels);
  EXPECT_EQ(got.pixels, want.pixels);
  EXPECT_EQ(got.labels, want.labels);
  EXPECT_EQ(got.num_classes, want.num_classes);
  EXPECT_EQ(got.class_names, want.class_names);
  EXPECT_EQ(got.source, want.source);
  EXPECT_EQ(got.shard.whole(), want.shard.whole());
  EXPECT_EQ(got.shard.total, want.shard.total);
  EXPECT_EQ(got.shard.rank, want.shard.rank);
  EXPECT_EQ(got.shard.processes, want.shard.processes);
}

// Small blocks, so that the small sets here are dealt to several processes.
constexpr std::size_t kBlock = 32;

// shards[r] is process r's part of `whole`: the images its shard_layout
// deals it, in order, with that layout and the whole set's classes and source.
void expect_shards_of(const std::vector<ImageSet>& shards, const ImageSet& whole) {
  const int size = static_cast<int>(shards.size());
  std::size_t covered = 0;
  for (int r = 0; r < size; ++r) {
    SCOPED_TRACE("process " + std::to_string(r) + " of " + std::to_string(size));
    const ImageSet& s = shards[static_cast<std::size_t>(r)];
    const ShardLayout layout = shard_layout(whole.size(), ShardSpec{r, size}, kBlock);
    EXPECT_EQ(s.shard.rank, r);
    EXPECT_EQ(s.shard.processes, size);
    EXPECT_EQ(s.shard.total, whole.size());
    EXPECT_EQ(s.shard.block, kBlock);
    ASSERT_EQ(s.size(), layout.local_count());
    EXPECT_EQ(s.global_size(), whole.size());
    EXPECT_EQ(s.num_classes, whole.num_classes);
    EXPECT_EQ(s.class_names, whole.class_names);
    EXPECT_EQ(s.source, whole.source);
    if (s.size() > 0) {
      EXPECT_EQ(s.height, whole.height);
      EXPECT_EQ(s.width, whole.width);
      EXPECT_EQ(s.channels, whole.channels);
    }
    const std::size_t b = whole.image_size();
    for (std::size_t i = 0; i < s.size(); ++i) {
      const std::size_t g = layout.global_index(i);
      EXPECT_EQ(s.labels[i], whole.labels[g]) << i;
      EXPECT_TRUE(std::equal(s.image(i), s.image(i) + b, whole.image(g))) << i;
    }
    covered += s.size();
  }
  EXPECT_EQ(covered, whole.size()) << "the shards do not cover the set";
}

// Today's single-process sets: the whole splits loaded, then split_train_eval
// (and the test split's test-limit subset).
TrainEvalSets reference(const std::string& dir, const Config& c) {
  ImageSet test;
  if (c.validation == 0) {
    test = load_split(dir, false);
    apply_limit(test, c.test_limit, c.seed);
  }
  return split_train_eval(load_split(dir, true), std::move(test), c);
}

struct Setting {
  std::int64_t train_limit, validation, test_limit;
};

// No limits; train-limit and test-limit; validation with both (the held-out
// images' test-limit subset spans two blocks).
const std::vector<Setting> kSettings = {{0, 0, 0}, {100, 0, 41}, {100, 70, 50}};

Config config_of(const Setting& s) {
  Config c;
  c.shard_block = static_cast<int>(kBlock);
  c.train_limit = s.train_limit;
  c.validation = s.validation;
  c.test_limit = s.test_limit;
  c.seed = 11;
  return c;
}

class ShardedLoading : public ::testing::TestWithParam<Format> {
 protected:
  void SetUp() override { write_dataset(GetParam(), tmp_.path()); }
  std::string dir() const { return tmp_.path().string(); }
  TempDir tmp_;
};

TEST_P(ShardedLoading, OneProcessIsTodaysLoad) {
  for (const Setting& setting : kSettings) {
    SCOPED_TRACE(std::to_string(setting.train_limit) + "/" + std::to_string(setting.validation) +
                 "/" + std::to_string(setting.test_limit));
    const Config c = config_of(setting);
    const TrainEvalSets want = reference(dir(), c);
    const TrainEvalSets got = load_train_eval(dir(), c, Context{}, true, ShardSpec{0, 1});
    EXPECT_EQ(got.validation, want.validation);
    expect_identical(got.train, want.train);
    expect_identical(got.eval, want.eval);
    EXPECT_TRUE(got.train.shard.whole()) << "one process: the set is whole";
    // The defaults are one process.
    expect_identical(load_train_eval(dir(), c, Context{}).train, want.train);
    if (c.validation == 0) {
      expect_identical(load_test_split(dir(), c, Context{}), want.eval);
    }
  }
}

TEST_P(ShardedLoading, ShardsPutTogetherAreTheSingleProcessSets) {
  for (const Setting& setting : kSettings) {
    SCOPED_TRACE(std::to_string(setting.train_limit) + "/" + std::to_string(setting.validation) +
                 "/" + std::to_string(setting.test_limit));
    const Config c = config_of(setting);
    const TrainEvalSets whole = load_train_eval(dir(), c, Context{});
    ASSERT_GT(whole.train.size(), 2 * kShardBlockImages);
    for (int size : {2, 3}) {
      std::vector<ImageSet> train, eval, test;
      for (int rank = 0; rank < size; ++rank) {
        TrainEvalSets part = load_train_eval(dir(), c, Context{}, true, ShardSpec{rank, size});
        EXPECT_EQ(part.validation, whole.validation);
        train.push_back(std::move(part.train));
        eval.push_back(std::move(part.eval));
        if (c.validation == 0)
          test.push_back(load_test_split(dir(), c, Context{}, ShardSpec{rank, size}));
      }
      expect_shards_of(train, whole.train);
      expect_shards_of(eval, whole.eval);
      if (c.validation == 0) expect_shards_of(test, whole.eval);
    }
  }
}

TEST_P(ShardedLoading, MoreProcessesThanBlocksGiveValidEmptyShards) {
  const Config c = config_of({100, 70, 50});  // 4 training blocks, 2 held-out ones
  const TrainEvalSets whole = load_train_eval(dir(), c, Context{});
  const int size = 6;
  std::vector<ImageSet> train, eval;
  for (int rank = 0; rank < size; ++rank) {
    TrainEvalSets part = load_train_eval(dir(), c, Context{}, false, ShardSpec{rank, size});
    if (rank >= 4) {
      EXPECT_EQ(part.train.size(), 0u);
      EXPECT_TRUE(part.train.pixels.empty());
      EXPECT_EQ(part.train.shard.total, whole.train.size());
      EXPECT_EQ(part.train.num_classes, whole.train.num_classes);
      // The binary formats know the shape from their headers without pixels.
      if (GetParam() != Format::kImageFolder) {
        EXPECT_EQ(part.train.height, whole.train.height);
      }
    }
    if (rank >= 2) {
      EXPECT_EQ(part.eval.size(), 0u);
    }
    train.push_back(std::move(part.train));
    eval.push_back(std::move(part.eval));
  }
  expect_shards_of(train, whole.train);
  expect_shards_of(eval, whole.eval);
}

TEST_P(ShardedLoading, LoadSplitImagesReadsExactlyThoseImages) {
  const LoadOptions options;
  const ImageSet all = load_split(dir(), true, options);
  const SplitListing listing = list_split(dir(), true, options);
  ASSERT_EQ(listing.size(), kTrainImages);
  EXPECT_EQ(listing.labels, all.labels);
  EXPECT_EQ(listing.num_classes, all.num_classes);
  EXPECT_EQ(listing.class_names, all.class_names);
  EXPECT_EQ(listing.source, all.source);
  std::mt19937 rng(5);
  for (int trial = 0; trial < 6; ++trial) {
    // Sparse, dense, runs across CIFAR-10's file boundaries, the first and the last image.
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; i < kTrainImages; ++i)
      if (rng() % 6 < static_cast<unsigned>(trial)) indices.push_back(i);
    if (trial == 5) indices = {0, 22, 23, 24, 62, 63, 69, 70, 100, kTrainImages - 1};
    const ImageSet got = load_split_images(listing, indices, options);
    EXPECT_EQ(got.size(), indices.size());
    EXPECT_EQ(got.source, all.source);
    EXPECT_EQ(got.num_classes, all.num_classes);
    const std::size_t b = all.image_size();
    for (std::size_t k = 0; k < indices.size(); ++k) {
      EXPECT_EQ(got.labels[k], all.labels[indices[k]]);
      EXPECT_EQ(Bytes(got.image(k), got.image(k) + b),
                Bytes(all.image(indices[k]), all.image(indices[k]) + b))
          << "image " << indices[k];
    }
    EXPECT_EQ(load_split_images(dir(), true, options, indices).pixels, got.pixels);
  }
  EXPECT_THROW(load_split_images(listing, {3, 2}, options), Error);
  EXPECT_THROW(load_split_images(listing, {kTrainImages}, options), Error);
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, ShardedLoading,
                         ::testing::Values(Format::kRawIdx, Format::kGzIdx, Format::kCifar10,
                                           Format::kCifar100, Format::kImageFolder),
                         format_label);

// A JPEG of the given size, then cut short: libjpeg reports a premature end.
std::string truncated_jpeg(int h, int w) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  const Bytes px = image_pixels(0, static_cast<std::size_t>(h) * w * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row =
        const_cast<JSAMPROW>(px.data() + static_cast<std::size_t>(w) * 3 * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  const std::string bytes(reinterpret_cast<const char*>(out), out_size / 2);
  std::free(out);
  return bytes;
}

TEST(ShardedLoadingErrors, CorruptJpegMattersOnlyToItsShard) {
  // One class of 100 images (4 blocks): process 0 of 2 owns 0..63, process 1
  // 64..99, and image 70 is a damaged JPEG.
  TempDir tmp;
  const fs::path train = tmp.path() / "train" / "only";
  fs::create_directories(train);
  fs::create_directories(tmp.path() / "test" / "only");
  for (std::size_t i = 0; i < 100; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img%03zu.%s", i, i == 70 ? "jpg" : "png");
    if (i == 70) {
      ASSERT_TRUE(write_bytes((train / name).string(), truncated_jpeg(4, 3)));
    } else {
      write_png((train / name).string(), 4, 3, image_pixels(i, 36));
    }
  }
  write_png((tmp.path() / "test" / "only" / "t.png").string(), 4, 3, image_pixels(0, 36));
  const std::string dir = tmp.path().string();
  const std::string bad = (train / "img070.jpg").string();
  Config c;
  c.shard_block = static_cast<int>(kBlock);

  // Two processes: 0 holds blocks 0 and 2 (images 0..31, 64..95), 1 holds
  // blocks 1 and 3 (32..63, 96..99).
  const TrainEvalSets second = load_train_eval(dir, c, Context{}, false, ShardSpec{1, 2});
  EXPECT_EQ(second.train.size(), 36u);
  EXPECT_EQ(second.train.shard.total, 100u);
  const std::string msg = error_of([&] {
    load_train_eval(dir, c, Context{}, false, ShardSpec{0, 2});
  });
  EXPECT_NE(msg.find(bad), std::string::npos) << msg;
  // One process reads it too.
  EXPECT_NE(error_of([&] { load_train_eval(dir, c, Context{}, false); }).find(bad),
            std::string::npos);
  // Three processes: blocks 0 and 3, block 1, block 2; only the last fails.
  EXPECT_EQ(load_train_eval(dir, c, Context{}, false, ShardSpec{0, 3}).train.size(), 36u);
  EXPECT_EQ(load_train_eval(dir, c, Context{}, false, ShardSpec{1, 3}).train.size(), 32u);
  EXPECT_NE(error_of([&] {
              load_train_eval(dir, c, Context{}, false, ShardSpec{2, 3});
            }).find(bad),
            std::string::npos);
}

TEST(ShardedLoadingErrors, InvalidShardIsAnError) {
  TempDir tmp;
  write_idx(tmp.path(), false);
  for (const ShardSpec& bad : {ShardSpec{2, 2}, ShardSpec{-1, 2}, ShardSpec{0, 0}})
    EXPECT_THROW(load_train_eval(tmp.path().string(), Config{}, Context{}, true, bad), Error);
}

}  // namespace
}  // namespace smt
