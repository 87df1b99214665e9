// JPEG/PNG decoding and image-folder datasets on images written here with
// libpng and libjpeg (linked through smt_lib): colour handling, class and
// file order, the errors for damaged or inconsistent folders, and that the
// parallel decode is deterministic.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdio>

#include "smt/io/image_folder.h"
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "smt/io/dataset.h"
#include "smt/io/image_decode.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;
using Bytes = std::vector<std::uint8_t>;

// Channel-last test pattern: differs by seed, row, column and channel.
Bytes pattern(int h, int w, int channels, int seed) {
  Bytes px(static_cast<std::size_t>(h) * w * channels);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      for (int ch = 0; ch < channels; ++ch)
        px[(static_cast<std::size_t>(r) * w + c) * channels + ch] =
            static_cast<std::uint8_t>((seed * 53 + r * 11 + c * 5 + ch * 80) % 256);
  return px;
}

// A smooth pattern, so JPEG at quality 100 reproduces it closely.
Bytes smooth(int h, int w, int channels, int seed) {
  Bytes px(static_cast<std::size_t>(h) * w * channels);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      for (int ch = 0; ch < channels; ++ch)
        px[(static_cast<std::size_t>(r) * w + c) * channels + ch] =
            static_cast<std::uint8_t>(40 + seed * 10 + r * 3 + c * 2 + ch * 30);
  return px;
}

// PNG through libpng's simplified API: 1 = gray, 3 = RGB, 4 = RGBA.
void write_png(const std::string& path, int h, int w, int channels, const Bytes& px) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
  ASSERT_NE(png_image_write_to_file(&img, path.c_str(), 0, px.data(), 0, nullptr), 0)
      << path << ": " << img.message;
}

// Palette PNG: indices into `colormap` (RGB triples).
void write_palette_png(const std::string& path, int h, int w, const Bytes& indices,
                       const Bytes& colormap) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = PNG_FORMAT_RGB_COLORMAP;
  img.colormap_entries = static_cast<png_uint_32>(colormap.size() / 3);
  ASSERT_NE(png_image_write_to_file(&img, path.c_str(), 0, indices.data(), 0, colormap.data()), 0)
      << path << ": " << img.message;
}

// Baseline JPEG (1 = grayscale, 3 = RGB) at the given quality, 4:4:4 at 100.
void write_jpeg(const std::string& path, int h, int w, int channels, const Bytes& px,
                int quality = 100) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (channels == 3 && quality == 100) {
    for (int i = 0; i < 3; ++i)
      cinfo.comp_info[i].h_samp_factor = cinfo.comp_info[i].v_samp_factor = 1;
  }
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t stride = static_cast<std::size_t>(w) * channels;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(px.data() + stride * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  const std::string bytes(reinterpret_cast<const char*>(out), out_size);
  std::free(out);
  ASSERT_TRUE(write_bytes(path, bytes)) << path;
}

int max_abs_diff(const Bytes& a, const Bytes& b) {
  int m = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    m = std::max(m, std::abs(int{a[i]} - int{b[i]}));
  return m;
}

// A folder tree: for each split and class, `count` PNGs of h x w x channels,
// named 0.png, 1.png, ... with pattern seed = 100 * class index + file index.
void write_folder(const fs::path& root, const std::vector<std::string>& classes, int count,
                  int h = 4, int w = 5, int channels = 3) {
  for (const char* split : {"train", "test"}) {
    for (std::size_t k = 0; k < classes.size(); ++k) {
      const fs::path dir = root / split / classes[k];
      fs::create_directories(dir);
      for (int i = 0; i < count; ++i) {
        write_png((dir / (std::to_string(i) + ".png")).string(), h, w, channels,
                  pattern(h, w, channels, static_cast<int>(100 * k) + i));
      }
    }
  }
}

Bytes image_bytes(const ImageSet& set, std::size_t i) {
  return Bytes(set.image(i), set.image(i) + set.image_size());
}

// ------------------------------------------------------------------ decoding

TEST(ImageDecode, PngGrayRgbRgbaAndPaletteAreExact) {
  TempDir tmp;
  write_png(tmp.file("g.png"), 3, 4, 1, pattern(3, 4, 1, 1));
  DecodedImage d = decode_image_file(tmp.file("g.png"));
  EXPECT_EQ(d.height, 3);
  EXPECT_EQ(d.width, 4);
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.pixels, pattern(3, 4, 1, 1));

  write_png(tmp.file("c.png"), 3, 4, 3, pattern(3, 4, 3, 2));
  d = decode_image_file(tmp.file("c.png"));
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.pixels, pattern(3, 4, 3, 2));

  // RGBA: alpha is dropped, the colour is kept as stored even where alpha = 0.
  Bytes rgba = pattern(3, 4, 4, 3), rgb;
  for (std::size_t i = 0; i < rgba.size(); i += 4) {
    rgba[i + 3] = static_cast<std::uint8_t>(i % 8 == 0 ? 0 : 255);
    rgb.insert(rgb.end(), rgba.begin() + static_cast<std::ptrdiff_t>(i),
               rgba.begin() + static_cast<std::ptrdiff_t>(i + 3));
  }
  write_png(tmp.file("a.png"), 3, 4, 4, rgba);
  d = decode_image_file(tmp.file("a.png"));
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.pixels, rgb);

  const Bytes colormap = {255, 0, 0, 0, 128, 0, 10, 20, 30};
  const Bytes indices = {0, 1, 2, 2, 1, 0};
  write_palette_png(tmp.file("p.png"), 2, 3, indices, colormap);
  d = decode_image_file(tmp.file("p.png"));
  ASSERT_EQ(d.channels, 3);
  Bytes expected;
  for (std::uint8_t i : indices)
    expected.insert(expected.end(), colormap.begin() + 3 * i, colormap.begin() + 3 * i + 3);
  EXPECT_EQ(d.pixels, expected);
}

TEST(ImageDecode, JpegColourAndGrayAreCloseAtQuality100) {
  TempDir tmp;
  write_jpeg(tmp.file("c.jpg"), 16, 16, 3, smooth(16, 16, 3, 1));
  DecodedImage d = decode_image_file(tmp.file("c.jpg"));
  EXPECT_EQ(d.height, 16);
  EXPECT_EQ(d.width, 16);
  ASSERT_EQ(d.channels, 3);
  EXPECT_LE(max_abs_diff(d.pixels, smooth(16, 16, 3, 1)), 3);

  write_jpeg(tmp.file("g.jpeg"), 8, 16, 1, smooth(8, 16, 1, 2));
  d = decode_image_file(tmp.file("g.jpeg"));
  EXPECT_EQ(d.height, 8);
  ASSERT_EQ(d.channels, 1);
  EXPECT_LE(max_abs_diff(d.pixels, smooth(8, 16, 1, 2)), 2);
}

TEST(ImageDecode, TruncatedOrGarbledJpegIsAnErrorNamingTheFile) {
  TempDir tmp;
  write_jpeg(tmp.file("ok.jpg"), 32, 32, 3, pattern(32, 32, 3, 4), 90);
  const std::string good = read_bytes(tmp.file("ok.jpg"));
  ASSERT_GT(good.size(), 400u);

  // Cut inside the entropy-coded data, and cut only the final EOI marker.
  for (std::size_t keep : {good.size() / 2, good.size() - 2}) {
    ASSERT_TRUE(write_bytes(tmp.file("cut.jpg"), good.substr(0, keep)));
    const std::string msg = error_of([&] { decode_image_file(tmp.file("cut.jpg")); });
    EXPECT_NE(msg.find(tmp.file("cut.jpg")), std::string::npos) << keep << ": " << msg;
    EXPECT_NE(msg.find("cannot decode JPEG"), std::string::npos) << keep << ": " << msg;
  }
  // A damaged header: the SOF marker's bytes overwritten.
  std::string bad = good;
  const std::size_t sof = bad.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  bad.replace(sof, 8, 8, '\x01');
  ASSERT_TRUE(write_bytes(tmp.file("hdr.jpg"), bad));
  EXPECT_NE(error_of([&] { decode_image_file(tmp.file("hdr.jpg")); }).find(tmp.file("hdr.jpg")),
            std::string::npos);
  // Garbage markers in the middle of the scan data.
  bad = good;
  bad.replace(good.size() / 2, 16, 16, '\xff');
  ASSERT_TRUE(write_bytes(tmp.file("garbled.jpg"), bad));
  const std::string msg = error_of([&] { decode_image_file(tmp.file("garbled.jpg")); });
  EXPECT_NE(msg.find(tmp.file("garbled.jpg")), std::string::npos) << msg;
}

// Found by fuzz_image (tests/data/fuzz/image/progressive-jpeg-huge-header):
// a 35-byte progressive JPEG announcing 8977x16384 pixels made libjpeg
// allocate 281 MiB of coefficients before the missing data was noticed. A
// header announcing more pixels than the file's bytes can encode is rejected
// before anything is allocated for them.
TEST(ImageDecode, HeaderAnnouncingFarMorePixelsThanTheFileHoldsIsRejected) {
  TempDir tmp;
  write_jpeg(tmp.file("ok.jpg"), 32, 32, 3, pattern(32, 32, 3, 4), 90);
  std::string jpg = read_bytes(tmp.file("ok.jpg"));
  const std::size_t sof = jpg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpg.replace(sof + 5, 4, "\x3e\x80\x3e\x80");  // 16000 x 16000
  std::string msg = error_of([&] {
    decode_image(reinterpret_cast<const std::uint8_t*>(jpg.data()), jpg.size(), "big.jpg");
  });
  EXPECT_NE(msg.find("big.jpg"), std::string::npos) << msg;
  EXPECT_NE(msg.find("16000x16000 pixels, more than"), std::string::npos) << msg;

  write_png(tmp.file("ok.png"), 16, 16, 3, pattern(16, 16, 3, 5));
  std::string png = read_bytes(tmp.file("ok.png"));
  png.replace(16, 8, std::string("\x00\x00\x3e\x80\x00\x00\x3e\x80", 8));  // IHDR 16000 x 16000
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<char>(crc >> (24 - 8 * i));
  msg = error_of([&] {
    decode_image(reinterpret_cast<const std::uint8_t*>(png.data()), png.size(), "big.png");
  });
  EXPECT_NE(msg.find("big.png"), std::string::npos) << msg;
  EXPECT_NE(msg.find("16000x16000 pixels, more than"), std::string::npos) << msg;
}

TEST(ImageDecode, TruncatedOrCorruptPngAndOtherFilesAreErrors) {
  TempDir tmp;
  write_png(tmp.file("ok.png"), 16, 16, 3, pattern(16, 16, 3, 5));
  const std::string good = read_bytes(tmp.file("ok.png"));
  for (std::size_t keep : {std::size_t{20}, good.size() / 2, good.size() - 4}) {
    ASSERT_TRUE(write_bytes(tmp.file("cut.png"), good.substr(0, keep)));
    const std::string msg = error_of([&] { decode_image_file(tmp.file("cut.png")); });
    EXPECT_NE(msg.find("cannot decode PNG '" + tmp.file("cut.png")), std::string::npos)
        << keep << ": " << msg;
  }
  std::string bad = good;
  bad[good.size() / 2] = static_cast<char>(bad[good.size() / 2] ^ 0x55);  // IDAT CRC fails
  ASSERT_TRUE(write_bytes(tmp.file("crc.png"), bad));
  EXPECT_NE(error_of([&] { decode_image_file(tmp.file("crc.png")); }).find(tmp.file("crc.png")),
            std::string::npos);

  ASSERT_TRUE(write_bytes(tmp.file("text.jpg"), "hello"));
  const std::string msg = error_of([&] { decode_image_file(tmp.file("text.jpg")); });
  EXPECT_NE(msg.find("neither a JPEG nor a PNG"), std::string::npos) << msg;
  EXPECT_NE(msg.find("68 65 6c 6c 6f"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { decode_image_file(tmp.file("none.png")); }).find("cannot open"),
            std::string::npos);
}

// ------------------------------------------------------------------ folders

TEST(ImageFolder, SortedClassesFileOrderExtensionsAndIgnoredFiles) {
  TempDir tmp;
  const fs::path root = tmp.path();
  write_folder(root, {"zebra", "ant"}, 1);
  // Mixed-case extensions, name order "1.PNG" < "10.jpeg"-style byte order,
  // and files that are not images or are hidden.
  const fs::path ant = root / "train" / "ant";
  write_png((ant / "10.PNG").string(), 4, 5, 3, pattern(4, 5, 3, 7));
  write_png((ant / "2.Png").string(), 4, 5, 3, pattern(4, 5, 3, 8));
  write_jpeg((ant / "3.JpEg").string(), 4, 5, 3, smooth(4, 5, 3, 0));
  ASSERT_TRUE(write_bytes((ant / "notes.txt").string(), "not an image"));
  ASSERT_TRUE(write_bytes((ant / ".hidden.png").string(), "garbage"));
  fs::create_directories(root / "train" / ".cache");
  ASSERT_TRUE(write_bytes((root / "train" / "README").string(), "x"));

  EXPECT_TRUE(looks_like_image_folder(root.string()));
  EXPECT_EQ(image_folder_classes(root.string()), (std::vector<std::string>{"ant", "zebra"}));
  const ImageSet train = load_split(root.string(), true);
  EXPECT_EQ(train.num_classes, 2);
  EXPECT_EQ(train.class_names, (std::vector<std::string>{"ant", "zebra"}));
  EXPECT_EQ(train.labels, (std::vector<int>{0, 0, 0, 0, 1}));
  EXPECT_EQ(train.height, 4);
  EXPECT_EQ(train.width, 5);
  EXPECT_EQ(train.channels, 3);
  // ant: 0.png (seed 100), 10.PNG, 2.Png, 3.JpEg; zebra: 0.png (seed 0).
  EXPECT_EQ(image_bytes(train, 0), pattern(4, 5, 3, 100));
  EXPECT_EQ(image_bytes(train, 1), pattern(4, 5, 3, 7));
  EXPECT_EQ(image_bytes(train, 2), pattern(4, 5, 3, 8));
  EXPECT_LE(max_abs_diff(image_bytes(train, 3), smooth(4, 5, 3, 0)), 3);
  EXPECT_EQ(image_bytes(train, 4), pattern(4, 5, 3, 0));

  const ImageSet test = load_split(root.string(), false);
  EXPECT_EQ(test.labels, (std::vector<int>{0, 1}));
  EXPECT_EQ(image_bytes(test, 0), pattern(4, 5, 3, 100));
}

TEST(ImageFolder, ClassesTxtSetsTheOrderAndMustMatchTheFolders) {
  TempDir tmp;
  const fs::path root = tmp.path();
  write_folder(root, {"a", "b", "c"}, 2, 3, 3, 1);
  ASSERT_TRUE(write_bytes((root / "classes.txt").string(), "c\n a\r\n\nb\n"));
  EXPECT_EQ(image_folder_classes(root.string()), (std::vector<std::string>{"c", "a", "b"}));
  const ImageSet train = load_image_folder(root.string(), true);
  EXPECT_EQ(train.labels, (std::vector<int>{0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(train.channels, 1);
  // Class "c" (folder index 2) comes first.
  EXPECT_EQ(image_bytes(train, 0), pattern(3, 3, 1, 200));

  // A folder that classes.txt does not list.
  fs::create_directories(root / "test" / "d");
  write_png((root / "test" / "d" / "0.png").string(), 3, 3, 1, pattern(3, 3, 1, 0));
  std::string msg = error_of([&] { load_image_folder(root.string(), false); });
  EXPECT_NE(msg.find((root / "test" / "d").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("classes.txt"), std::string::npos) << msg;

  // A listed class without a folder.
  ASSERT_TRUE(write_bytes((root / "classes.txt").string(), "c\na\nb\nd\ne\n"));
  msg = error_of([&] { load_image_folder(root.string(), false); });
  EXPECT_NE(msg.find("class 'e'"), std::string::npos) << msg;
  EXPECT_NE(msg.find((root / "test" / "e").string()), std::string::npos) << msg;

  ASSERT_TRUE(write_bytes((root / "classes.txt").string(), "a\nb\na\n"));
  msg = error_of([&] { image_folder_classes(root.string()); });
  EXPECT_NE(msg.find("class 'a' twice"), std::string::npos) << msg;
}

TEST(ImageFolder, CifarFolderNamesGetTheCifarOrder) {
  TempDir tmp;
  std::vector<std::string> shuffled = cifar10_class_names();
  std::reverse(shuffled.begin(), shuffled.end());
  write_folder(tmp.path(), shuffled, 1, 2, 2);
  const ImageSet test = load_split(tmp.path().string(), false);
  EXPECT_EQ(test.class_names, cifar10_class_names());
  EXPECT_EQ(test.labels, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // "airplane" was written as class index 9 of `shuffled`.
  EXPECT_EQ(image_bytes(test, 0), pattern(2, 2, 3, 900));

  // One extra folder: not exactly the CIFAR names, so sorted order.
  write_folder(tmp.path(), {"aardvark"}, 1, 2, 2);
  std::vector<std::string> sorted = cifar10_class_names();
  sorted.push_back("aardvark");
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(image_folder_classes(tmp.path().string()), sorted);
}

TEST(ImageFolder, SizeOrChannelMismatchNamesTheFileAndBothSizes) {
  TempDir tmp;
  write_folder(tmp.path(), {"a", "b"}, 2, 4, 5, 3);
  const fs::path odd = tmp.path() / "train" / "b" / "1.png";
  write_png(odd.string(), 6, 5, 3, pattern(6, 5, 3, 0));
  std::string msg = error_of([&] { load_image_folder(tmp.path().string(), true); });
  EXPECT_NE(msg.find(str_cat("'", odd.string(), "' is 6x5x3")), std::string::npos) << msg;
  EXPECT_NE(msg.find((tmp.path() / "train" / "a" / "0.png").string() + "' is 4x5x3"),
            std::string::npos)
      << msg;

  write_png(odd.string(), 4, 5, 1, pattern(4, 5, 1, 0));
  msg = error_of([&] { load_image_folder(tmp.path().string(), true); });
  EXPECT_NE(msg.find(str_cat("'", odd.string(), "' is 4x5x1")), std::string::npos) << msg;
  // The test split is unaffected.
  EXPECT_EQ(load_image_folder(tmp.path().string(), false).size(), 4u);
}

TEST(ImageFolder, CorruptJpegInAFolderIsNamed) {
  TempDir tmp;
  write_folder(tmp.path(), {"a", "b"}, 3, 8, 8, 3);
  const fs::path jpg = tmp.path() / "test" / "b" / "1.jpg";
  write_jpeg(jpg.string(), 8, 8, 3, pattern(8, 8, 3, 1), 90);
  const std::string good = read_bytes(jpg.string());
  ASSERT_TRUE(write_bytes(jpg.string(), good.substr(0, good.size() * 2 / 3)));
  const std::string msg = error_of([&] { load_image_folder(tmp.path().string(), false); });
  EXPECT_NE(msg.find(jpg.string()), std::string::npos) << msg;
}

TEST(ImageFolder, EmptyClassAndUnmatchedFoldersAreErrors) {
  TempDir tmp;
  write_folder(tmp.path(), {"a", "b"}, 1);
  const fs::path empty = tmp.path() / "test" / "b";
  fs::remove(empty / "0.png");
  ASSERT_TRUE(write_bytes((empty / "readme.txt").string(), "no images here"));
  std::string msg = error_of([&] { load_image_folder(tmp.path().string(), false); });
  EXPECT_NE(msg.find("class folder '" + empty.string() + "' holds no images"), std::string::npos)
      << msg;

  // Without classes.txt, test/ must have train/'s class folders.
  write_folder(tmp.path(), {"b"}, 1);
  fs::create_directories(tmp.path() / "test" / "c");
  msg = error_of([&] { load_image_folder(tmp.path().string(), false); });
  EXPECT_NE(msg.find((tmp.path() / "test" / "c").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("same class folders"), std::string::npos) << msg;
}

TEST(ImageFolder, ParallelDecodeIsDeterministic) {
  TempDir tmp;
  write_folder(tmp.path(), {"x", "y", "z"}, 40, 6, 6, 3);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const ImageSet one = load_image_folder(tmp.path().string(), true);
  omp_set_num_threads(4);
  const ImageSet four = load_image_folder(tmp.path().string(), true);
  omp_set_num_threads(before);
  ASSERT_EQ(one.size(), 120u);
  EXPECT_EQ(one.labels, four.labels);
  EXPECT_EQ(one.pixels, four.pixels);
  // File names sort as 0, 1, 10, 11, ..., 19, 2, 20, ...
  std::vector<std::string> names;
  for (int k = 0; k < 40; ++k) names.push_back(std::to_string(k));
  std::sort(names.begin(), names.end());
  for (std::size_t i = 0; i < one.size(); ++i) {
    const int k = std::stoi(names[i % 40]);
    ASSERT_EQ(image_bytes(four, i), pattern(6, 6, 3, static_cast<int>(100 * (i / 40)) + k)) << i;
  }
}

}  // namespace
}  // namespace smt

namespace smt {
namespace {

// A subset chosen while loading (only its files decoded) is the set that
// loading everything and then cutting gives: same images, order, labels and
// source. Files outside the subset are not even read.
TEST(ImageFolder, LimitWhileLoadingEqualsLoadThenApplyLimit) {
  TempDir tmp;
  write_folder(tmp.path(), {"x", "y", "z"}, 9, 4, 5, 3);
  for (std::int64_t limit : {1, 7, 13, 26}) {
    for (std::uint64_t seed : {0u, 5u}) {
      ImageSet full = load_split(tmp.path().string(), true);
      apply_limit(full, limit, seed);
      const ImageSet cut =
          load_split(tmp.path().string(), true, LoadOptions{.limit = limit, .limit_seed = seed});
      ASSERT_EQ(cut.size(), static_cast<std::size_t>(limit));
      EXPECT_EQ(cut.labels, full.labels) << limit << " " << seed;
      EXPECT_EQ(cut.pixels, full.pixels) << limit << " " << seed;
      EXPECT_EQ(cut.source, full.source);
      EXPECT_EQ(cut.num_classes, 3);
      EXPECT_EQ(cut.class_names, full.class_names);
    }
  }
  // limit >= size keeps all, like apply_limit.
  EXPECT_EQ(load_split(tmp.path().string(), true, LoadOptions{.limit = 27}).size(), 27u);

  // Corrupt every file the seed-0 subset of 4 leaves out: loading it still
  // works, loading everything names a damaged file.
  std::vector<std::string> files;
  for (const char* c : {"x", "y", "z"})
    for (int i = 0; i < 9; ++i)
      files.push_back((tmp.path() / "train" / c / (std::to_string(i) + ".png")).string());
  std::sort(files.begin(), files.end());  // class order x, y, z is also name order
  ImageSet all = load_split(tmp.path().string(), true);
  const ImageSet kept_ref = [&] {
    ImageSet s = all;
    apply_limit(s, 4, 0);
    return s;
  }();
  for (std::size_t i = 0; i < files.size(); ++i) {
    bool chosen = false;
    for (std::size_t j = 0; j < kept_ref.size(); ++j)
      chosen = chosen || (image_bytes(kept_ref, j) == image_bytes(all, i));
    if (!chosen) {
      ASSERT_TRUE(write_bytes(files[i], "not a png"));
    }
  }
  const ImageSet cut = load_split(tmp.path().string(), true, LoadOptions{.limit = 4});
  EXPECT_EQ(cut.pixels, kept_ref.pixels);
  EXPECT_NE(error_of([&] { load_split(tmp.path().string(), true); }).find(".png"),
            std::string::npos);
}

}  // namespace
}  // namespace smt
