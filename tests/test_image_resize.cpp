// The antialiased bilinear (triangle) resampling of image_resize.h and
// --resize S for image folders whose images differ in size: hand-computed
// values, identities, the centre crop, and the folder reader with and
// without resize.
#include <gtest/gtest.h>
#include <png.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/io/dataset.h"
#include "smt/io/image_decode.h"
#include "smt/io/image_folder.h"
#include "smt/io/image_resize.h"
#include "smt/model/data_split.h"
#include "test_util.h"

namespace smt {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::TempDir;
using testing::write_bytes;
using Bytes = std::vector<std::uint8_t>;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Channel-last pattern that differs by row, column and channel.
Bytes pattern(int h, int w, int channels, int seed = 0) {
  Bytes px(static_cast<std::size_t>(h) * w * channels);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      for (int ch = 0; ch < channels; ++ch)
        px[(static_cast<std::size_t>(r) * w + c) * channels + ch] =
            static_cast<std::uint8_t>((seed * 53 + r * 37 + c * 11 + ch * 80) % 256);
  return px;
}

DecodedImage image(int h, int w, int channels, Bytes px) {
  DecodedImage img;
  img.height = h;
  img.width = w;
  img.channels = channels;
  img.pixels = std::move(px);
  return img;
}

void write_png(const std::string& path, int h, int w, int channels, const Bytes& px) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  ASSERT_NE(png_image_write_to_file(&img, path.c_str(), 0, px.data(), 0, nullptr), 0)
      << path << ": " << img.message;
}

TEST(ImageResize, ConstantImageStaysConstant) {
  for (int channels : {1, 3}) {
    for (const auto& [h, w, oh, ow] : std::vector<std::array<int, 4>>{
             {7, 5, 3, 4}, {13, 17, 40, 9}, {1, 1, 5, 6}, {64, 48, 7, 5}, {3, 100, 3, 1}}) {
      const Bytes px(static_cast<std::size_t>(h) * w * channels, 173);
      const Bytes out = resize_triangle(px.data(), h, w, channels, oh, ow);
      ASSERT_EQ(out.size(), static_cast<std::size_t>(oh) * ow * channels);
      for (std::uint8_t v : out) ASSERT_EQ(v, 173) << h << "x" << w << " -> " << oh << "x" << ow;
    }
  }
}

TEST(ImageResize, ScaleOneIsTheIdentity) {
  for (int channels : {1, 3}) {
    const Bytes px = pattern(9, 6, channels);
    EXPECT_EQ(resize_triangle(px.data(), 9, 6, channels, 9, 6), px);
    // Side equal to a square image's size: the image itself.
    const Bytes sq = pattern(8, 8, channels, 3);
    const DecodedImage out = resize_and_centre_crop(image(8, 8, channels, sq), 8);
    EXPECT_EQ(out.height, 8);
    EXPECT_EQ(out.width, 8);
    EXPECT_EQ(out.channels, channels);
    EXPECT_EQ(out.pixels, sq);
  }
  // One axis at scale 1 is the identity along it, also through the
  // resampling path (the other axis scaled): rows of a 1 x 4 -> 1 x 2 image.
  const Bytes row = {0, 70, 140, 210};
  EXPECT_EQ(resize_triangle(row.data(), 1, 4, 1, 1, 2), (Bytes{50, 160}));
}

TEST(ImageResize, CentreCropPicksTheMiddle) {
  // Shorter side already `side`: no scaling, the crop only. Odd excess (3):
  // the extra column stays on the right; even excess (4): 2 on each side.
  for (const auto& [w, left] : std::vector<std::pair<int, int>>{{7, 1}, {8, 2}, {5, 0}, {4, 0}}) {
    const Bytes px = pattern(4, w, 3);
    const CentreCrop c = centre_crop(4, w, 4);
    EXPECT_EQ(c.scaled_height, 4);
    EXPECT_EQ(c.scaled_width, w);
    EXPECT_EQ(c.top, 0);
    EXPECT_EQ(c.left, left) << w;
    const DecodedImage out = resize_and_centre_crop(image(4, w, 3, px), 4);
    ASSERT_EQ(out.pixels.size(), 4u * 4 * 3);
    for (int r = 0; r < 4; ++r)
      for (int col = 0; col < 4; ++col)
        for (int ch = 0; ch < 3; ++ch)
          EXPECT_EQ(out.pixels[(static_cast<std::size_t>(r) * 4 + col) * 3 + ch],
                    px[(static_cast<std::size_t>(r) * w + col + left) * 3 + ch]);
  }
  // Tall: excess 5 rows, the crop starts at row 2.
  const Bytes tall = pattern(9, 4, 1);
  const CentreCrop c = centre_crop(9, 4, 4);
  EXPECT_EQ(c.top, 2);
  EXPECT_EQ(c.left, 0);
  const DecodedImage out = resize_and_centre_crop(image(9, 4, 1, tall), 4);
  for (int r = 0; r < 4; ++r)
    for (int col = 0; col < 4; ++col)
      EXPECT_EQ(out.pixels[static_cast<std::size_t>(r) * 4 + col],
                tall[static_cast<std::size_t>(r + 2) * 4 + col]);
  // Scaled: 20 x 30 by its shorter side to 10 gives 10 x 15, cropped at column 2;
  // the longer side is rounded down (41 * 10 / 20 = 20.5 -> 20).
  EXPECT_EQ(centre_crop(20, 30, 10).scaled_width, 15);
  EXPECT_EQ(centre_crop(20, 30, 10).left, 2);
  EXPECT_EQ(centre_crop(41, 20, 10).scaled_height, 20);
  EXPECT_EQ(centre_crop(41, 20, 10).top, 5);
  // The crop of a scaled image is the window of the whole scaled image.
  const Bytes big = pattern(20, 30, 3, 5);
  const Bytes whole = resize_triangle(big.data(), 20, 30, 3, 10, 15);
  const DecodedImage crop = resize_and_centre_crop(image(20, 30, 3, big), 10);
  for (int r = 0; r < 10; ++r)
    for (int col = 0; col < 10 * 3; ++col)
      EXPECT_EQ(crop.pixels[static_cast<std::size_t>(r) * 30 + col],
                whole[static_cast<std::size_t>(r) * 45 + 6 + col]);
}

TEST(ImageResize, TwoTimesDownscaleMatchesHandComputedValues) {
  // 4 -> 2: scale 2, so the triangle spans 2 input pixels each side. Output 0
  // sits at input position 0.5: pixels 0, 1, 2 weigh 0.75, 0.75, 0.25
  // (normalised 3/7, 3/7, 1/7; pixel -1 is outside the image). Output 1 at
  // 2.5: pixels 1, 2, 3 weigh 1/7, 3/7, 3/7.
  // [0 70 140 210] -> (210 + 140) / 7 = 50, (70 + 420 + 630) / 7 = 160.
  const Bytes row4 = {0, 70, 140, 210};
  EXPECT_EQ(resize_triangle(row4.data(), 1, 4, 1, 1, 2), (Bytes{50, 160}));
  // 6 -> 3: the middle output (position 2.5) has all four taps, 1/8 3/8 3/8 1/8.
  // [0 80 160 240 40 120] -> 400/7 = 57.1, 1320/8 = 165, 720/7 = 102.9.
  const Bytes row6 = {0, 80, 160, 240, 40, 120};
  EXPECT_EQ(resize_triangle(row6.data(), 1, 6, 1, 1, 3), (Bytes{57, 165, 103}));
  // The same along columns.
  EXPECT_EQ(resize_triangle(row6.data(), 6, 1, 1, 3, 1), (Bytes{57, 165, 103}));
  // 4 x 4 -> 2 x 2 of p = 40 y + 10 x, separable: rows give 50/7 and 160/7,
  // columns 200/7 and 640/7; the sums 35.7, 51.4, 98.6, 114.3 round to:
  Bytes p(16);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      p[static_cast<std::size_t>(y) * 4 + x] = std::uint8_t(40 * y + 10 * x);
  EXPECT_EQ(resize_triangle(p.data(), 4, 4, 1, 2, 2), (Bytes{36, 51, 99, 114}));
}

TEST(ImageResize, UpscaleIsLinearInterpolation) {
  // 2 -> 4: outputs at input positions -0.25, 0.25, 0.75, 1.25: clamped to
  // the edge pixel, then 3:1 and 1:3 mixes.
  const Bytes row = {0, 200};
  EXPECT_EQ(resize_triangle(row.data(), 1, 2, 1, 1, 4), (Bytes{0, 50, 150, 200}));
}

TEST(ImageResize, CheckerboardDownscaleIsMeanGrey) {
  // A black/white checkerboard has no detail that survives a 2x, 4x or 8x
  // reduction: an antialiased filter gives its mean grey (127.5). Outputs on
  // the border, whose triangles the image edge cuts, renormalise over fewer
  // pixels (as PIL does) and stay near it.
  const int side = 64;
  Bytes board(static_cast<std::size_t>(side) * side);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      board[static_cast<std::size_t>(y) * side + x] = (x + y) % 2 ? 255 : 0;
  for (int factor : {2, 4, 8}) {
    const int out = side / factor;
    const Bytes small = resize_triangle(board.data(), side, side, 1, out, out);
    for (int y = 0; y < out; ++y)
      for (int x = 0; x < out; ++x) {
        const double v = small[static_cast<std::size_t>(y) * out + x];
        const bool border = y == 0 || x == 0 || y == out - 1 || x == out - 1;
        EXPECT_NEAR(v, 127.5, border ? 4.0 : 1.0) << factor << "x at " << y << "," << x;
      }
  }
}

TEST(ImageResize, ChannelsAreResampledIndependently) {
  const int h = 11, w = 7, oh = 5, ow = 3;
  const Bytes rgb = pattern(h, w, 3, 2);
  const Bytes out = resize_triangle(rgb.data(), h, w, 3, oh, ow);
  for (int ch = 0; ch < 3; ++ch) {
    Bytes plane(static_cast<std::size_t>(h) * w);
    for (std::size_t i = 0; i < plane.size(); ++i) plane[i] = rgb[i * 3 + ch];
    const Bytes small = resize_triangle(plane.data(), h, w, 1, oh, ow);
    for (std::size_t i = 0; i < small.size(); ++i) EXPECT_EQ(out[i * 3 + ch], small[i]) << ch;
  }
}

TEST(ImageResize, RejectsBadSizesAndWindows) {
  const Bytes px(12, 0);
  EXPECT_THROW(resize_triangle(px.data(), 3, 4, 1, 0, 2), Error);
  EXPECT_THROW(resize_triangle(px.data(), 3, 4, 1, 4, 4, 1, 0, 4, 4), Error);
  EXPECT_THROW(centre_crop(3, 4, 0), Error);
}

// An image folder train/test of class folders a and b holding PNGs of the
// given sizes (h, w), `channels` each.
void write_folder(const fs::path& root, const std::vector<std::pair<int, int>>& sizes,
                  int channels) {
  for (const char* split : {"train", "test"}) {
    for (const char* cls : {"a", "b"}) fs::create_directories(root / split / cls);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const auto [h, w] = sizes[i];
      const fs::path file =
          root / split / (i % 2 ? "b" : "a") / ("img" + std::to_string(i) + ".png");
      write_png(file.string(), h, w, channels, pattern(h, w, channels, static_cast<int>(i)));
    }
  }
}

TEST(ImageResize, MixedSizeFolderLoadsWithResizeAndErrorsWithout) {
  for (int channels : {1, 3}) {
    SCOPED_TRACE(channels);
    TempDir tmp;
    const std::vector<std::pair<int, int>> sizes = {{8, 8}, {10, 6}, {5, 12}, {6, 6}, {9, 7}};
    write_folder(tmp.path(), sizes, channels);
    const std::string root = tmp.path().string();

    const std::string msg = error_of([&] { load_image_folder(root, true); });
    EXPECT_TRUE(contains(msg, "img2.png")) << msg;  // the first of another size, in file order
    EXPECT_TRUE(contains(msg, "resize")) << msg;

    const ImageSet set = load_image_folder(root, true, 0, 0, 6);
    ASSERT_EQ(set.size(), sizes.size());
    EXPECT_EQ(set.height, 6);
    EXPECT_EQ(set.width, 6);
    EXPECT_EQ(set.channels, channels);
    // Each image, also the 6 x 6 one, is its own decode resized and cropped;
    // files come class by class (a: img0 img2 img4, b: img1 img3).
    const std::vector<int> order = {0, 2, 4, 1, 3};
    for (std::size_t k = 0; k < order.size(); ++k) {
      const int i = order[k];
      const auto [h, w] = sizes[static_cast<std::size_t>(i)];
      const DecodedImage want =
          resize_and_centre_crop(image(h, w, channels, pattern(h, w, channels, i)), 6);
      EXPECT_EQ(Bytes(set.image(k), set.image(k) + set.image_size()), want.pixels) << i;
    }

    // Through load_split's options and the run's configuration.
    const ImageSet via_split = load_split(root, true, LoadOptions{.resize = 6});
    EXPECT_EQ(via_split.pixels, set.pixels);
    Config c;
    c.resize = 6;
    const TrainEvalSets sets = load_train_eval(root, c, Context{});
    EXPECT_EQ(sets.train.pixels, set.pixels);
    EXPECT_EQ(sets.eval.height, 6);
  }
}

TEST(ImageResize, EqualSizesAreResizedTooAndChannelsMustAgree) {
  TempDir tmp;
  write_folder(tmp.path(), {{8, 8}, {8, 8}, {8, 8}}, 3);
  const ImageSet set = load_image_folder(tmp.path().string(), true, 0, 0, 4);
  EXPECT_EQ(set.height, 4);
  EXPECT_EQ(set.width, 4);
  EXPECT_EQ(set.pixels.size(), 3u * 4 * 4 * 3);
  // A grayscale image among colour ones: named, also with resize.
  const fs::path gray = tmp.path() / "train" / "b" / "gray.png";
  write_png(gray.string(), 5, 9, 1, pattern(5, 9, 1));
  const std::string msg = error_of([&] { load_image_folder(tmp.path().string(), true, 0, 0, 4); });
  EXPECT_TRUE(contains(msg, gray.string())) << msg;
  EXPECT_TRUE(contains(msg, "grayscale")) << msg;
}

TEST(ImageResize, OtherFormatsRejectTheParameter) {
  // A tiny raw MNIST split.
  TempDir tmp;
  auto be32 = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  for (const char* prefix : {"train", "t10k"}) {
    ASSERT_TRUE(write_bytes(tmp.file(std::string(prefix) + "-images-idx3-ubyte"),
                            be32(0x803) + be32(2) + be32(2) + be32(2) + std::string(8, '\x07')));
    ASSERT_TRUE(write_bytes(tmp.file(std::string(prefix) + "-labels-idx1-ubyte"),
                            be32(0x801) + be32(2) + std::string("\x00\x01", 2)));
  }
  const std::string dir = tmp.path().string();
  EXPECT_EQ(load_split(dir, true).size(), 2u);
  const std::string msg = error_of([&] { load_split(dir, true, LoadOptions{.resize = 4}); });
  EXPECT_TRUE(contains(msg, "resize")) << msg;
  EXPECT_TRUE(contains(msg, "image folder")) << msg;
  EXPECT_TRUE(contains(msg, "MNIST")) << msg;
  Config c;
  c.resize = 4;
  EXPECT_TRUE(contains(error_of([&] { load_train_eval(dir, c, Context{}); }), "resize"));
}

TEST(ImageResize, IsARunParameterWithBounds) {
  const ParamSpec* p = find_param("resize");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->scope, ParamScope::kRun);
  EXPECT_TRUE(contains(p->help, "triangle")) << p->help;
  Config c;
  c.update_from_json(nlohmann::json{{"resize", 224}}, "test");
  EXPECT_EQ(c.resize, 224);
  for (double bad : {-1.0, 1.5, 65537.0})
    EXPECT_TRUE(contains(error_of([&] {
                           Config d;
                           d.update_from_json(nlohmann::json{{"resize", bad}}, "test");
                         }),
                         "resize"))
        << bad;
}

}  // namespace
}  // namespace smt
