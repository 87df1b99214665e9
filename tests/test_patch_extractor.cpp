// Property tests of PatchExtractor (docs/algorithm.md steps 2-3) against a naive
// double-precision reference: grid sizes, patch contents and ordering,
// context-mean removal for every window size, flips, multi-channel layout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "smt/core/error.h"
#include "smt/stages/patch_extractor.h"

namespace {

std::vector<std::uint8_t> random_image(int h, int w, int c, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> img(static_cast<std::size_t>(h) * w * c);
  for (auto& p : img) p = static_cast<std::uint8_t>(rng() & 0xff);
  return img;
}

// Raw patches (no mean removal), double, entries (dy, dx, channel).
std::vector<double> naive_raw(const std::vector<std::uint8_t>& img, int h, int w, int c, int ps,
                              int stride, int& gh, int& gw) {
  gh = (h - ps) / stride + 1;
  gw = (w - ps) / stride + 1;
  const int dim = ps * ps * c;
  std::vector<double> out(static_cast<std::size_t>(gh) * gw * dim);
  for (int i = 0; i < gh; ++i)
    for (int j = 0; j < gw; ++j)
      for (int dy = 0; dy < ps; ++dy)
        for (int dx = 0; dx < ps; ++dx)
          for (int ch = 0; ch < c; ++ch) {
            const int y = i * stride + dy, x = j * stride + dx;
            out[(static_cast<std::size_t>(i) * gw + j) * dim + (dy * ps + dx) * c + ch] =
                img[(static_cast<std::size_t>(y) * w + x) * c + ch] / 255.0;
          }
  return out;
}

// Context-mean removal straight from the definition: mean of ALL entries of
// all patches (i', j') with |i - i'| <= c and |j - j'| <= c; c < 0 = whole image.
std::vector<double> naive_context(const std::vector<double>& raw, int gh, int gw, int dim,
                                  int context) {
  std::vector<double> out(raw.size());
  for (int i = 0; i < gh; ++i)
    for (int j = 0; j < gw; ++j) {
      double s = 0;
      long count = 0;
      for (int a = 0; a < gh; ++a)
        for (int b = 0; b < gw; ++b) {
          if (context >= 0 && (std::abs(a - i) > context || std::abs(b - j) > context)) continue;
          for (int k = 0; k < dim; ++k) s += raw[(static_cast<std::size_t>(a) * gw + b) * dim + k];
          count += dim;
        }
      const double mean = s / static_cast<double>(count);
      for (int k = 0; k < dim; ++k) {
        const std::size_t e = (static_cast<std::size_t>(i) * gw + j) * dim + k;
        out[e] = raw[e] - mean;
      }
    }
  return out;
}

// Per-channel context-mean removal straight from the definition: entry k of
// a patch is channel k % c; each channel loses the mean of that channel's
// entries over the window.
std::vector<double> naive_context_per_channel(const std::vector<double>& raw, int gh, int gw,
                                              int dim, int channels, int context) {
  std::vector<double> out(raw.size());
  for (int i = 0; i < gh; ++i)
    for (int j = 0; j < gw; ++j)
      for (int ch = 0; ch < channels; ++ch) {
        double s = 0;
        long count = 0;
        for (int a = 0; a < gh; ++a)
          for (int b = 0; b < gw; ++b) {
            if (context >= 0 && (std::abs(a - i) > context || std::abs(b - j) > context)) continue;
            for (int k = ch; k < dim; k += channels)
              s += raw[(static_cast<std::size_t>(a) * gw + b) * dim + k];
            count += dim / channels;
          }
        const double mean = s / static_cast<double>(count);
        for (int k = ch; k < dim; k += channels) {
          const std::size_t e = (static_cast<std::size_t>(i) * gw + j) * dim + k;
          out[e] = raw[e] - mean;
        }
      }
  return out;
}

std::vector<float> run(const smt::PatchExtractor& ex, const std::vector<std::uint8_t>& img,
                       bool flip) {
  std::vector<float> out(static_cast<std::size_t>(ex.num_patches()) * ex.dim());
  std::vector<float> scratch;
  ex.extract(img.data(), flip, out.data(), scratch);
  return out;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

TEST(PatchExtractor, GridSizes) {
  EXPECT_EQ(smt::PatchExtractor(28, 28, 1, 6, 1, -1).grid_h(), 23);
  EXPECT_EQ(smt::PatchExtractor(28, 28, 1, 6, 1, -1).grid_w(), 23);
  EXPECT_EQ(smt::PatchExtractor(32, 32, 3, 6, 1, -1).grid_h(), 27);
  EXPECT_EQ(smt::PatchExtractor(32, 32, 3, 6, 1, -1).num_patches(), 27 * 27);
  EXPECT_EQ(smt::PatchExtractor(32, 32, 3, 6, 1, -1).dim(), 108);
  // stride 2: (28 - 6) / 2 + 1 = 12; (32 - 6) / 2 + 1 = 14; (13 - 4) / 2 + 1 = 5
  EXPECT_EQ(smt::PatchExtractor(28, 28, 1, 6, 2, -1).grid_h(), 12);
  EXPECT_EQ(smt::PatchExtractor(32, 32, 1, 6, 2, -1).grid_w(), 14);
  smt::PatchExtractor rect(13, 10, 1, 4, 2, 0);
  EXPECT_EQ(rect.grid_h(), 5);
  EXPECT_EQ(rect.grid_w(), 4);
  // Patch as large as the image: one patch.
  EXPECT_EQ(smt::PatchExtractor(6, 6, 1, 6, 1, -1).num_patches(), 1);
}

TEST(PatchExtractor, PatchLargerThanImageThrows) {
  EXPECT_THROW(smt::PatchExtractor(5, 8, 1, 6, 1, -1), smt::Error);
  EXPECT_THROW(smt::PatchExtractor(8, 5, 1, 6, 1, -1), smt::Error);
  EXPECT_THROW(smt::PatchExtractor(8, 8, 1, 0, 1, -1), smt::Error);
  EXPECT_THROW(smt::PatchExtractor(8, 8, 1, 3, 0, -1), smt::Error);
  EXPECT_THROW(smt::PatchExtractor(8, 8, 1, 3, 1, -2), smt::Error);
}

// Contents, ordering and context-mean removal at once, against the naive
// definition, for c = 0, 1, 3, grid-1, whole image (-1) and c >= grid.
TEST(PatchExtractor, ContentsMatchNaiveForAllContexts) {
  struct Case {
    int h, w, c, ps, stride;
  };
  const Case cases[] = {{28, 28, 1, 6, 1}, {32, 32, 1, 6, 1}, {28, 28, 1, 6, 2},
                        {13, 11, 1, 4, 2}, {12, 12, 3, 4, 1}, {15, 17, 3, 5, 3}};
  std::uint32_t seed = 1;
  for (const Case& cs : cases) {
    const auto img = random_image(cs.h, cs.w, cs.c, seed++);
    int gh = 0, gw = 0;
    const auto raw = naive_raw(img, cs.h, cs.w, cs.c, cs.ps, cs.stride, gh, gw);
    const int dim = cs.ps * cs.ps * cs.c;
    const int grid_max = std::max(gh, gw);
    for (int context : {0, 1, 3, -1, grid_max, grid_max + 5, std::max(gh, gw) - 1}) {
      SCOPED_TRACE(testing::Message() << cs.h << "x" << cs.w << "x" << cs.c << " ps" << cs.ps
                                      << " s" << cs.stride << " context " << context);
      smt::PatchExtractor ex(cs.h, cs.w, cs.c, cs.ps, cs.stride, context);
      ASSERT_EQ(ex.grid_h(), gh);
      ASSERT_EQ(ex.grid_w(), gw);
      ASSERT_EQ(ex.dim(), dim);
      const auto got = run(ex, img, false);
      const auto want = naive_context(raw, gh, gw, dim, context >= grid_max ? -1 : context);
      EXPECT_LT(max_abs_diff(got, want), 2e-6);
    }
  }
}

// --context-mean channel: one mean per colour channel, against the naive
// definition for local and whole-image windows; on one channel it is the
// ordinary removal bit for bit, and on colour images it differs from it.
TEST(PatchExtractor, PerChannelMeansMatchNaive) {
  struct Case {
    int h, w, c, ps, stride;
  };
  const Case cases[] = {{12, 12, 3, 4, 1}, {15, 17, 3, 5, 3}, {32, 32, 3, 6, 1}, {9, 10, 2, 3, 1}};
  std::uint32_t seed = 40;
  for (const Case& cs : cases) {
    const auto img = random_image(cs.h, cs.w, cs.c, seed++);
    int gh = 0, gw = 0;
    const auto raw = naive_raw(img, cs.h, cs.w, cs.c, cs.ps, cs.stride, gh, gw);
    const int dim = cs.ps * cs.ps * cs.c;
    for (int context : {0, 1, 2, -1}) {
      SCOPED_TRACE(testing::Message() << cs.h << "x" << cs.w << "x" << cs.c << " ps" << cs.ps
                                      << " s" << cs.stride << " context " << context);
      smt::PatchExtractor ex(cs.h, cs.w, cs.c, cs.ps, cs.stride, context, true);
      EXPECT_TRUE(ex.per_channel());
      const auto got = run(ex, img, false);
      const auto want = naive_context_per_channel(raw, gh, gw, dim, cs.c, context);
      EXPECT_LT(max_abs_diff(got, want), 2e-6);
      const auto global =
          run(smt::PatchExtractor(cs.h, cs.w, cs.c, cs.ps, cs.stride, context), img, false);
      EXPECT_GT(max_abs_diff(global, want), 1e-3) << "per-channel removal changed nothing";
      // With the whole image as window every channel of the image sums to ~0.
      if (context < 0) {
        for (int ch = 0; ch < cs.c; ++ch) {
          double s = 0;
          for (std::size_t e = ch; e < got.size(); e += cs.c) s += got[e];
          EXPECT_NEAR(s / static_cast<double>(got.size() / cs.c), 0.0, 1e-6) << "channel " << ch;
        }
      }
    }
  }
  const auto gray = random_image(20, 20, 1, 9);
  EXPECT_EQ(run(smt::PatchExtractor(20, 20, 1, 5, 1, 2, true), gray, false),
            run(smt::PatchExtractor(20, 20, 1, 5, 1, 2, false), gray, false));
  EXPECT_FALSE(smt::PatchExtractor(20, 20, 1, 5, 1, 2, true).per_channel());
}

// Context c >= grid and c = -1 are the same (whole image), bit for bit.
TEST(PatchExtractor, LargeContextIsWholeImage) {
  const auto img = random_image(20, 20, 1, 7);
  smt::PatchExtractor whole(20, 20, 1, 5, 1, -1), big(20, 20, 1, 5, 1, 16),
      huge(20, 20, 1, 5, 1, 1000);
  const auto a = run(whole, img, false), b = run(big, img, false), c = run(huge, img, false);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  // Whole-image removal: every image's patch entries sum to ~0.
  double s = 0;
  for (float x : a) s += x;
  EXPECT_NEAR(s / static_cast<double>(a.size()), 0.0, 1e-6);
}

TEST(PatchExtractor, FlipEqualsMirroredImage) {
  for (int c : {1, 3}) {
    const int h = 14, w = 11;
    const auto img = random_image(h, w, c, 11 + c);
    std::vector<std::uint8_t> mirrored(img.size());
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int ch = 0; ch < c; ++ch)
          mirrored[(static_cast<std::size_t>(y) * w + x) * c + ch] =
              img[(static_cast<std::size_t>(y) * w + (w - 1 - x)) * c + ch];
    for (int context : {-1, 0, 2}) {
      for (int stride : {1, 2}) {
        smt::PatchExtractor ex(h, w, c, 4, stride, context);
        const auto flipped = run(ex, img, true);
        const auto direct = run(ex, mirrored, false);
        EXPECT_EQ(flipped, direct) << "c=" << c << " context=" << context << " stride=" << stride;
        // And flip is not a no-op.
        EXPECT_NE(flipped, run(ex, img, false));
      }
    }
  }
}

// Multi-channel ordering (dy, dx, channel) on a hand-built image whose pixel
// value encodes its coordinates, with context 0 and known own-patch means.
TEST(PatchExtractor, MultiChannelOrdering) {
  const int h = 7, w = 9, c = 3, ps = 3, stride = 2;
  std::vector<std::uint8_t> img(static_cast<std::size_t>(h) * w * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch)
        img[(static_cast<std::size_t>(y) * w + x) * c + ch] =
            static_cast<std::uint8_t>(y * 30 + x * 3 + ch);
  smt::PatchExtractor ex(h, w, c, ps, stride, 0);
  ASSERT_EQ(ex.grid_h(), 3);
  ASSERT_EQ(ex.grid_w(), 4);
  const auto out = run(ex, img, false);
  const int dim = ex.dim();
  for (int i = 0; i < ex.grid_h(); ++i)
    for (int j = 0; j < ex.grid_w(); ++j) {
      const float* p = out.data() + (static_cast<std::size_t>(i) * ex.grid_w() + j) * dim;
      // Own mean: y runs over 2i..2i+2, x over 2j..2j+2, ch over 0..2.
      const double mean = ((2 * i + 1) * 30 + (2 * j + 1) * 3 + 1) / 255.0;
      for (int dy = 0; dy < ps; ++dy)
        for (int dx = 0; dx < ps; ++dx)
          for (int ch = 0; ch < c; ++ch) {
            const double v = ((i * stride + dy) * 30 + (j * stride + dx) * 3 + ch) / 255.0 - mean;
            EXPECT_NEAR(p[(dy * ps + dx) * c + ch], v, 1e-6)
                << "patch " << i << "," << j << " entry " << dy << "," << dx << "," << ch;
          }
    }
}

// Scratch reuse across images of the same extractor does not leak state.
TEST(PatchExtractor, ScratchReuse) {
  smt::PatchExtractor ex(12, 12, 3, 4, 1, 1);
  const auto a = random_image(12, 12, 3, 21), b = random_image(12, 12, 3, 22);
  std::vector<float> out1(static_cast<std::size_t>(ex.num_patches()) * ex.dim()), out2(out1.size());
  std::vector<float> scratch;
  ex.extract(a.data(), false, out1.data(), scratch);
  ex.extract(b.data(), true, out2.data(), scratch);
  ex.extract(a.data(), false, out2.data(), scratch);
  EXPECT_EQ(out1, out2);
}

}  // namespace
