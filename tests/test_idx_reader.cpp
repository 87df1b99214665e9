#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "smt/core/error.h"
#include "smt/io/idx_reader.h"

namespace smt {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

Bytes image_file(std::uint32_t magic, std::uint32_t count, std::uint32_t rows, std::uint32_t cols,
                 const Bytes& pixels) {
  Bytes out;
  put_be32(out, magic);
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  out.insert(out.end(), pixels.begin(), pixels.end());
  return out;
}

Bytes label_file(std::uint32_t magic, std::uint32_t count, const Bytes& labels) {
  Bytes out;
  put_be32(out, magic);
  put_be32(out, count);
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

// Pixel values that depend on image, row and column, so a transposed or
// shifted read shows up.
Bytes pattern_pixels(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
  Bytes px;
  for (std::uint32_t i = 0; i < count; ++i)
    for (std::uint32_t r = 0; r < rows; ++r)
      for (std::uint32_t c = 0; c < cols; ++c)
        px.push_back(static_cast<std::uint8_t>((i * 31 + r * 7 + c * 3 + 1) % 256));
  return px;
}

Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng() & 0xff);
  return out;
}

void write_raw(const fs::path& path, const Bytes& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << path;
}

void write_gz(const fs::path& path, const Bytes& data) {
  gzFile f = gzopen(path.string().c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  if (!data.empty()) {
    ASSERT_EQ(gzwrite(f, data.data(), static_cast<unsigned>(data.size())),
              static_cast<int>(data.size()));
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

Bytes read_all(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Runs fn, expecting an smt::Error whose message holds every fragment.
void expect_error(const std::function<void()>& fn, std::initializer_list<std::string> fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected smt::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) {
      EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
    }
  }
}

class IdxReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("smt_idx_test_" + std::to_string(rd()) + "_" + std::to_string(rd()));
    ASSERT_TRUE(fs::create_directory(dir_));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A valid 5-image 3x4 set; images written as `img`, labels as `lbl`.
  void write_small(const std::string& img, const std::string& lbl, bool gz = false) {
    const Bytes i = image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4));
    const Bytes l = label_file(0x801, 5, kLabels);
    if (gz) {
      write_gz(path(img), i);
      write_gz(path(lbl), l);
    } else {
      write_raw(path(img), i);
      write_raw(path(lbl), l);
    }
  }

  const Bytes kLabels = {3, 0, 7, 1, 2};
  fs::path dir_;
};

TEST_F(IdxReaderTest, RoundTripRaw) {
  write_small("img", "lbl");
  const ImageSet s = read_idx(path("img"), path("lbl"));
  EXPECT_EQ(s.height, 3);
  EXPECT_EQ(s.width, 4);
  EXPECT_EQ(s.channels, 1);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.image_size(), 12u);
  EXPECT_EQ(s.pixels, pattern_pixels(5, 3, 4));
  EXPECT_EQ(s.labels, (std::vector<int>{3, 0, 7, 1, 2}));
  EXPECT_EQ(s.num_classes, 8);
  EXPECT_EQ(s.source, path("img"));
  // Row-major within an image: image 2, row 1, column 3.
  EXPECT_EQ(s.image(2)[1 * 4 + 3], (2 * 31 + 1 * 7 + 3 * 3 + 1) % 256);
}

TEST_F(IdxReaderTest, NumClassesIsMaxLabelPlusOne) {
  write_raw(path("img"), image_file(0x803, 2, 1, 1, {9, 8}));
  write_raw(path("lbl"), label_file(0x801, 2, {0, 2}));
  EXPECT_EQ(read_idx(path("img"), path("lbl")).num_classes, 3);
}

TEST_F(IdxReaderTest, GzipEqualsRaw) {
  // Random pixels do not compress, so the gzip input spans many read buffers;
  // 301 images of 28x29 also make the payload no multiple of any buffer size.
  const std::uint32_t n = 301;
  const Bytes px = random_bytes(std::size_t{n} * 28 * 29, 42);
  Bytes lb = random_bytes(n, 7);
  for (auto& b : lb) b = static_cast<std::uint8_t>(b % 10);
  write_raw(path("img"), image_file(0x803, n, 28, 29, px));
  write_raw(path("lbl"), label_file(0x801, n, lb));
  write_gz(path("img.gz"), image_file(0x803, n, 28, 29, px));
  write_gz(path("lbl.gz"), label_file(0x801, n, lb));
  const ImageSet raw = read_idx(path("img"), path("lbl"));
  const ImageSet gz = read_idx(path("img.gz"), path("lbl.gz"));
  EXPECT_EQ(raw.pixels, px);
  EXPECT_EQ(gz.pixels, raw.pixels);
  EXPECT_EQ(gz.labels, raw.labels);
  EXPECT_EQ(gz.height, 28);
  EXPECT_EQ(gz.width, 29);
  EXPECT_EQ(gz.num_classes, raw.num_classes);
  // Mixed: gzip images with raw labels.
  EXPECT_EQ(read_idx(path("img.gz"), path("lbl")).pixels, px);
}

TEST_F(IdxReaderTest, GzipDetectedByContentNotName) {
  write_small("img_is_gz", "lbl_is_gz", /*gz=*/true);
  write_small("raw.gz", "raw_lbl.gz", /*gz=*/false);
  const ImageSet a = read_idx(path("img_is_gz"), path("lbl_is_gz"));
  const ImageSet b = read_idx(path("raw.gz"), path("raw_lbl.gz"));
  EXPECT_EQ(a.pixels, pattern_pixels(5, 3, 4));
  EXPECT_EQ(b.pixels, a.pixels);
  EXPECT_EQ(b.labels, a.labels);
}

TEST_F(IdxReaderTest, ConcatenatedGzipMembers) {
  // `cat a.gz b.gz` is a valid gzip file; its content is the concatenation.
  const Bytes full = image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4));
  write_gz(path("a.gz"), Bytes(full.begin(), full.begin() + 20));
  write_gz(path("b.gz"), Bytes(full.begin() + 20, full.end()));
  Bytes cat = read_all(path("a.gz"));
  const Bytes b = read_all(path("b.gz"));
  cat.insert(cat.end(), b.begin(), b.end());
  write_raw(path("img.gz"), cat);
  write_raw(path("lbl"), label_file(0x801, 5, kLabels));
  EXPECT_EQ(read_idx(path("img.gz"), path("lbl")).pixels, pattern_pixels(5, 3, 4));
}

TEST_F(IdxReaderTest, TruncatedImages) {
  Bytes img = image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4));
  img.resize(img.size() - 5);
  write_raw(path("img"), img);
  write_gz(path("img.gz"), img);
  write_raw(path("lbl"), label_file(0x801, 5, kLabels));
  for (const char* name : {"img", "img.gz"}) {
    expect_error([&] { read_idx(path(name), path("lbl")); },
                 {path(name), "truncated: expected 60 bytes of pixel data, found 55"});
  }
}

TEST_F(IdxReaderTest, TruncatedHeader) {
  Bytes img = image_file(0x803, 5, 3, 4, {});
  img.resize(10);
  write_raw(path("img"), img);
  write_raw(path("lbl"), label_file(0x801, 5, kLabels));
  expect_error([&] { read_idx(path("img"), path("lbl")); }, {path("img"), "truncated", "header"});
  write_raw(path("empty"), {});
  expect_error([&] { read_idx(path("empty"), path("lbl")); }, {path("empty"), "found 0 bytes"});
}

TEST_F(IdxReaderTest, TruncatedLabels) {
  write_raw(path("img"), image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4)));
  write_raw(path("lbl"), label_file(0x801, 5, {3, 0, 7}));
  expect_error([&] { read_idx(path("img"), path("lbl")); },
               {path("lbl"), "truncated: expected 5 bytes of label data, found 3"});
}

TEST_F(IdxReaderTest, TruncatedGzipStream) {
  write_small("img.gz", "lbl.gz", /*gz=*/true);
  Bytes gz = read_all(path("img.gz"));
  gz.resize(gz.size() - 6);  // cuts into the CRC/size trailer
  write_raw(path("cut.gz"), gz);
  expect_error([&] { read_idx(path("cut.gz"), path("lbl.gz")); }, {path("cut.gz"), "gzip"});
}

TEST_F(IdxReaderTest, WrongMagic) {
  write_small("img", "lbl");
  // Swapped arguments.
  expect_error([&] { read_idx(path("lbl"), path("img")); }, {path("lbl"), "label file", "order"});
  write_raw(path("bad"), image_file(0x12345678, 5, 3, 4, pattern_pixels(5, 3, 4)));
  expect_error([&] { read_idx(path("bad"), path("lbl")); },
               {path("bad"), "0x12345678", "0x00000803"});
  // Right type, wrong number of dimensions (e.g. a 4-D tensor).
  write_raw(path("dims"), image_file(0x804, 5, 3, 4, pattern_pixels(5, 3, 4)));
  expect_error([&] { read_idx(path("dims"), path("lbl")); }, {path("dims"), "0x00000804"});
  write_raw(path("badlbl"), label_file(0x00000901, 5, kLabels));
  expect_error([&] { read_idx(path("img"), path("badlbl")); },
               {path("badlbl"), "0x00000901", "0x00000801"});
}

TEST_F(IdxReaderTest, BadDimensions) {
  write_raw(path("lbl"), label_file(0x801, 5, kLabels));
  write_raw(path("zero_rows"), image_file(0x803, 5, 0, 4, {}));
  expect_error([&] { read_idx(path("zero_rows"), path("lbl")); }, {path("zero_rows"), "0x4"});
  write_raw(path("huge"), image_file(0x803, 5, 5000, 4, pattern_pixels(5, 3, 4)));
  expect_error([&] { read_idx(path("huge"), path("lbl")); }, {path("huge"), "5000x4"});
  write_raw(path("zero_count"), image_file(0x803, 0, 3, 4, {}));
  write_raw(path("zero_lbl"), label_file(0x801, 0, {}));
  expect_error([&] { read_idx(path("zero_count"), path("zero_lbl")); },
               {path("zero_count"), "0 images"});
}

TEST_F(IdxReaderTest, HeaderClaimingHugeCountIsTruncationNotAllocation) {
  // 2^31-1 images of 4096x4096 would be ~36 PB: must fail as truncated, not
  // by trying to allocate it.
  write_raw(path("img"), image_file(0x803, 0x7fffffff, 4096, 4096, pattern_pixels(5, 3, 4)));
  write_raw(path("lbl"), label_file(0x801, 0x7fffffff, kLabels));
  expect_error([&] { read_idx(path("img"), path("lbl")); }, {path("img"), "truncated", "found 60"});
  // The same compressed: the length is unknown until inflated, so the pixels
  // are read in bounded chunks (it used to reserve 1 GiB up front).
  write_gz(path("img.gz"), image_file(0x803, 0x7fffffff, 4096, 4096, pattern_pixels(5, 3, 4)));
  write_gz(path("lbl.gz"), label_file(0x801, 0x7fffffff, kLabels));
  expect_error([&] { read_idx(path("img.gz"), path("lbl.gz")); },
               {path("img.gz"), "truncated", "found 60"});
}

TEST_F(IdxReaderTest, StreamsReadLikeFiles) {
  write_small("img", "lbl");
  const Bytes i = read_all(path("img"));
  std::istringstream images(std::string(i.begin(), i.end()));
  const Bytes l = label_file(0x801, 5, kLabels);
  std::istringstream labels(std::string(l.begin(), l.end()));
  const ImageSet s = read_idx(images, "in-memory images", labels, "in-memory labels");
  const ImageSet f = read_idx(path("img"), path("lbl"));
  EXPECT_EQ(s.pixels, f.pixels);
  EXPECT_EQ(s.labels, f.labels);
  EXPECT_EQ(s.source, "in-memory images");
  // A truncated stream is checked against its length before allocating.
  const Bytes huge = image_file(0x803, 1000000, 28, 28, pattern_pixels(5, 3, 4));
  const Bytes huge_labels = label_file(0x801, 1000000, kLabels);
  std::istringstream short_images(std::string(huge.begin(), huge.end()));
  std::istringstream short_labels(std::string(huge_labels.begin(), huge_labels.end()));
  expect_error(
      [&] { read_idx(short_images, "in-memory images", short_labels, "in-memory labels"); },
      {"in-memory images", "truncated", "expected 784000000 bytes of pixel data, found 60"});
}

TEST_F(IdxReaderTest, CountMismatch) {
  write_raw(path("img"), image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4)));
  write_raw(path("lbl"), label_file(0x801, 4, {1, 2, 3, 4}));
  expect_error([&] { read_idx(path("img"), path("lbl")); },
               {path("img"), path("lbl"), "5 images", "4 labels"});
}

TEST_F(IdxReaderTest, TrailingBytes) {
  Bytes img = image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4));
  img.insert(img.end(), {1, 2, 3});
  write_raw(path("img"), img);
  write_gz(path("img.gz"), img);
  write_raw(path("lbl"), label_file(0x801, 5, kLabels));
  for (const char* name : {"img", "img.gz"}) {
    expect_error([&] { read_idx(path(name), path("lbl")); }, {path(name), "3 unexpected bytes"});
  }
  write_raw(path("img_ok"), image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4)));
  write_raw(path("lbl_long"), label_file(0x801, 5, {3, 0, 7, 1, 2, 9}));
  expect_error([&] { read_idx(path("img_ok"), path("lbl_long")); },
               {path("lbl_long"), "1 unexpected bytes"});
}

TEST_F(IdxReaderTest, CorruptGzip) {
  write_small("img.gz", "lbl.gz", /*gz=*/true);
  // A valid 10-byte gzip header followed by garbage.
  Bytes gz = read_all(path("img.gz"));
  Bytes bad(gz.begin(), gz.begin() + 10);
  const Bytes junk = random_bytes(500, 3);
  bad.insert(bad.end(), junk.begin(), junk.end());
  write_raw(path("bad.gz"), bad);
  expect_error([&] { read_idx(path("bad.gz"), path("lbl.gz")); }, {path("bad.gz"), "corrupt gzip"});
  // A flipped byte in the deflate data or CRC: caught by inflate or the CRC check.
  Bytes flipped = gz;
  flipped[flipped.size() - 7] ^= 0x5a;
  write_raw(path("crc.gz"), flipped);
  expect_error([&] { read_idx(path("crc.gz"), path("lbl.gz")); }, {path("crc.gz"), "gzip"});
  // Garbage after a complete gzip stream.
  Bytes tail = gz;
  tail.insert(tail.end(), {'j', 'u', 'n', 'k'});
  write_raw(path("tail.gz"), tail);
  expect_error([&] { read_idx(path("tail.gz"), path("lbl.gz")); },
               {path("tail.gz"), "after the end of its gzip stream"});
}

TEST_F(IdxReaderTest, MissingFile) {
  write_small("img", "lbl");
  expect_error([&] { read_idx(path("nope"), path("lbl")); },
               {path("nope"), "does not exist", "SMT_DATA_DIR"});
  expect_error([&] { read_idx(path("img"), path("nope_lbl")); },
               {path("nope_lbl"), "does not exist"});
  expect_error([&] { read_idx(dir_.string(), path("lbl")); }, {"directory"});
}

TEST_F(IdxReaderTest, LoadMnistNameVariants) {
  EXPECT_FALSE(looks_like_idx_dir(dir_.string()));
  EXPECT_FALSE(looks_like_idx_dir(path("no_such_dir")));
  // Train: gzip images with the dash spelling, raw labels with the dot spelling.
  write_gz(path("train-images-idx3-ubyte.gz"), image_file(0x803, 5, 3, 4, pattern_pixels(5, 3, 4)));
  EXPECT_FALSE(looks_like_idx_dir(dir_.string()));  // labels still missing
  write_raw(path("train-labels.idx1-ubyte"), label_file(0x801, 5, kLabels));
  EXPECT_TRUE(looks_like_idx_dir(dir_.string()));
  // Test: dot spelling gzip images, plain raw labels.
  write_gz(path("t10k-images.idx3-ubyte.gz"), image_file(0x803, 2, 3, 4, pattern_pixels(2, 3, 4)));
  write_raw(path("t10k-labels-idx1-ubyte"), label_file(0x801, 2, {4, 1}));

  const ImageSet train = load_mnist(dir_.string(), /*train=*/true);
  EXPECT_EQ(train.size(), 5u);
  EXPECT_EQ(train.pixels, pattern_pixels(5, 3, 4));
  EXPECT_EQ(train.source, path("train-images-idx3-ubyte.gz"));
  const ImageSet test = load_mnist(dir_.string(), /*train=*/false);
  EXPECT_EQ(test.size(), 2u);
  EXPECT_EQ(test.labels, (std::vector<int>{4, 1}));
}

TEST_F(IdxReaderTest, LoadMnistMissing) {
  expect_error([&] { load_mnist(dir_.string(), true); },
               {dir_.string(), "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                "train-images.idx3-ubyte"});
  write_raw(path("t10k-images-idx3-ubyte"), image_file(0x803, 2, 3, 4, pattern_pixels(2, 3, 4)));
  expect_error([&] { load_mnist(dir_.string(), false); },
               {dir_.string(), "t10k-labels-idx1-ubyte"});
  expect_error([&] { load_mnist(path("no_such_dir"), true); }, {path("no_such_dir")});
}

// The real data set, when the environment provides it.
TEST(IdxReaderRealData, Mnist) {
  const char* env = std::getenv("SMT_DATA_DIR");
  if (env == nullptr || *env == '\0') GTEST_SKIP() << "SMT_DATA_DIR not set";
  fs::path dir = fs::path(env) / "mnist";
  if (!fs::is_directory(dir)) dir = env;
  if (!looks_like_idx_dir(dir.string())) GTEST_SKIP() << "no MNIST files in " << dir;

  const ImageSet train = load_mnist(dir.string(), true);
  const ImageSet test = load_mnist(dir.string(), false);
  for (const ImageSet* s : {&train, &test}) {
    EXPECT_EQ(s->height, 28);
    EXPECT_EQ(s->width, 28);
    EXPECT_EQ(s->channels, 1);
    EXPECT_EQ(s->num_classes, 10);
    ASSERT_EQ(s->pixels.size(), s->size() * 28 * 28);
    std::array<int, 10> hist{};
    for (int l : s->labels) {
      ASSERT_GE(l, 0);
      ASSERT_LT(l, 10);
      ++hist[static_cast<std::size_t>(l)];
    }
    // Every digit is well represented (MNIST's rarest class is ~9 % of a split).
    for (int h : hist) EXPECT_GT(h, static_cast<int>(s->size() / 20));
  }
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(test.size(), 10000u);
  // Known first labels of the official files.
  EXPECT_EQ(train.labels[0], 5);
  EXPECT_EQ(train.labels[1], 0);
  EXPECT_EQ(test.labels[0], 7);
  // Known class counts of the training split.
  std::array<int, 10> train_hist{};
  for (int l : train.labels) ++train_hist[static_cast<std::size_t>(l)];
  EXPECT_EQ(train_hist[0], 5923);
  EXPECT_EQ(train_hist[1], 6742);
  // Digits are white on black: border pixels are background, the centre is not.
  std::uint64_t corner = 0, centre = 0;
  for (std::size_t i = 0; i < train.size(); ++i) {
    const std::uint8_t* im = train.image(i);
    corner += im[0] + im[27] + im[27 * 28] + im[27 * 28 + 27];
    centre += im[14 * 28 + 14];
  }
  EXPECT_EQ(corner, 0u);
  EXPECT_GT(centre / train.size(), 64u);
}

}  // namespace
}  // namespace smt
