// Augmented views (stages/augmented_views.h): the order of the views, the
// luma copy written to every channel, the joint context of an image's views
// in the statistics, and the k-NN reference views the code cache keeps.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/image_set.h"
#include "smt/model/feature_encoder.h"
#include "smt/model/fit.h"
#include "smt/stages/augmented_views.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/projection.h"
#include "smt/stages/statistics.h"
#include "test_util.h"

namespace smt {
namespace {

// Colour images with a bright blob per class on a noisy background.
ImageSet colour_images(int n, int side, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> noise(0, 40), pos(2, side - 3);
  ImageSet set;
  set.height = set.width = side;
  set.channels = 3;
  set.num_classes = 4;
  set.source = "generated colour blobs";
  set.pixels.resize(static_cast<std::size_t>(n) * side * side * 3);
  for (int i = 0; i < n; ++i) {
    const int label = i % 4, cy = pos(rng), cx = pos(rng);
    set.labels.push_back(label);
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        for (int c = 0; c < 3; ++c) {
          const bool in = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= 4;
          const int v = noise(rng) + (in ? 80 + 40 * ((label + c) % 3) : 0);
          set.pixels[((static_cast<std::size_t>(i) * side + y) * side + x) * 3 + c] =
              static_cast<std::uint8_t>(v);
        }
  }
  return set;
}

Config small_config() {
  Config c;
  c.patch_size = 4;
  c.whiten_tol = 1e-2;
  c.dict_size = 48;
  c.dict_threshold = 0.6;
  c.threshold = 0.5;
  c.embed_dim = 4;
  c.skip = 1;
  c.knn_k = 3;
  c.seed = 5;
  c.threads = 2;
  c.batch_images = 12;  // several batches; not a multiple of 4 views on purpose
  c.flip = true;
  c.gray_view = true;
  return c;
}

Context quiet(const Config& c) {
  Context ctx;
  ctx.seed = c.seed;
  ctx.threads = c.threads;
  return ctx;
}

std::vector<float> patches_of(const PatchSource& src, std::size_t i) {
  std::vector<float> out(static_cast<std::size_t>(src.patches_per_image()) * src.dim()), scratch;
  src.patches(i, out.data(), scratch);
  return out;
}

TEST(ViewSet, OrderAndReferenceViews) {
  const ViewSet all(true, true);
  ASSERT_EQ(all.size(), 4);
  EXPECT_EQ(all[0], (View{false, false}));
  EXPECT_EQ(all[1], (View{true, false}));
  EXPECT_EQ(all[2], (View{false, true}));
  EXPECT_EQ(all[3], (View{true, true}));
  EXPECT_EQ(ViewSet(false, true).size(), 2);
  EXPECT_EQ(ViewSet(false, true)[1], (View{false, true}));
  EXPECT_EQ(ViewSet(true), ViewSet(true, false));
  EXPECT_EQ(ViewSet().size(), 1);
  Config c = small_config();
  EXPECT_EQ(ViewSet::training(c), all);
  EXPECT_EQ(ViewSet::references(c), all);
  c.knn_gray_views = false;
  EXPECT_EQ(ViewSet::references(c), ViewSet(true));
  EXPECT_EQ(ViewSet::references(c).augmented(10), 20u);
  using Groups = std::vector<std::vector<int>>;
  EXPECT_EQ(all.contexts(ViewContext::kSeparate), (Groups{{0}, {1}, {2}, {3}}));
  EXPECT_EQ(all.contexts(ViewContext::kJoint), (Groups{{0, 1, 2, 3}}));
  EXPECT_EQ(all.contexts(ViewContext::kLuma), (Groups{{0, 2}, {1, 3}}));
  EXPECT_EQ(ViewSet(true).contexts(ViewContext::kLuma), (Groups{{0}, {1}}));
  EXPECT_EQ(ViewSet(false, true).contexts(ViewContext::kLuma), (Groups{{0, 1}}));
  EXPECT_EQ(all.find(View{true, true}), 3);
  EXPECT_EQ(ViewSet(true).find(View{false, true}), -1);
}

// The luma view's patches are those of the image whose three channels all
// hold the BT.601 luma; its flip those of that image mirrored.
TEST(ViewSet, LumaViewIsTheLumaImageInEveryChannel) {
  const ImageSet rgb = colour_images(3, 10, 1);
  ImageSet luma = rgb;
  for (std::size_t q = 0; q < rgb.pixels.size(); q += 3) {
    const auto y = static_cast<std::uint8_t>(
        (299 * rgb.pixels[q] + 587 * rgb.pixels[q + 1] + 114 * rgb.pixels[q + 2] + 500) / 1000);
    luma.pixels[q] = luma.pixels[q + 1] = luma.pixels[q + 2] = y;
  }
  const PatchExtractor ex(10, 10, 3, 4, 1, -1);
  const PatchSource views(rgb, ex, nullptr, ViewSet(true, true));
  const PatchSource plain(rgb, ex, nullptr, ViewSet(true));
  const PatchSource gray(luma, ex, nullptr, ViewSet(true));
  ASSERT_EQ(views.num_images(), 12u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(patches_of(views, 4 * i), patches_of(plain, 2 * i));
    EXPECT_EQ(patches_of(views, 4 * i + 1), patches_of(plain, 2 * i + 1));
    EXPECT_EQ(patches_of(views, 4 * i + 2), patches_of(gray, 2 * i));
    EXPECT_EQ(patches_of(views, 4 * i + 3), patches_of(gray, 2 * i + 1));
    EXPECT_NE(patches_of(views, 4 * i + 2), patches_of(views, 4 * i));
    EXPECT_EQ(views.label(4 * i + 3), rgb.labels[i]);
  }
}

TEST(ViewSet, LumaViewNeedsColourImages) {
  ImageSet one;
  one.height = one.width = 8;
  one.channels = 1;
  one.num_classes = 1;
  one.source = "gray set";
  one.pixels.assign(64, 9);
  one.labels = {0};
  const std::string msg = testing::error_of(
      [&] { PatchSource(one, PatchExtractor(8, 8, 1, 4, 1, -1), nullptr, ViewSet(false, true)); });
  EXPECT_NE(msg.find("gray-view"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gray set"), std::string::npos) << msg;
  Config c = small_config();
  c.grayscale = true;
  EXPECT_NE(testing::error_of([&] { c.validate(); }).find("gray-view"), std::string::npos);
  c.grayscale = false;
  c.view_context = ViewContext::kJoint;
  c.neighborhood = 2;
  const std::string joint = testing::error_of([&] { c.validate(); });
  EXPECT_NE(joint.find("view-context"), std::string::npos) << joint;
  EXPECT_NE(joint.find("neighborhood"), std::string::npos) << joint;
}

// P rebuilt from the model's own whitening, dictionary and coder, with the
// views of each image joined into the given groups, in the fit's batches
// (batch-images 12 = 3 images of 4 views).
std::vector<float> rebuilt_projection(const SmtModel& model, const ImageSet& train,
                                      const Config& c, const std::vector<std::vector<int>>& groups) {
  const Context ctx = quiet(c);
  const PatchExtractor ex = model.extractor();
  const PatchSource src(train, ex, &model.whitener, ViewSet::training(c));
  const SparseCoder coder = model.coder();
  SmtStatistics stats(c.dict_size, false, OperatorSpec{c.op, c.neighborhood, c.zero_code});
  std::vector<PatchCodes> joined(train.size() * groups.size());
  std::vector<const PatchCodes*> ptrs;
  CodingBuffers buffers;
  std::vector<PatchCodes> views(4);
  for (std::size_t i = 0; i < train.size(); ++i) {
    for (std::size_t j = 0; j < 4; ++j) code_image(src, coder, 4 * i + j, buffers, views[j]);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      for (int j : groups[g]) append_codes(joined[i * groups.size() + g], views[j]);
      ptrs.push_back(&joined[i * groups.size() + g]);
    }
    if (ptrs.size() == 3 * groups.size() || i + 1 == train.size()) {
      stats.add_images(ptrs, static_cast<int>(groups[0].size()) * ex.grid_h(), ex.grid_w(), ctx);
      ptrs.clear();
    }
  }
  ProjectionReport rep;
  return Projection::fit(std::move(stats), c.embed_dim, c.skip, c.v_reg,
                         FitOptions{}.eigen_method, ctx, &rep, c.eigen_tol)
      .by_atom();
}

// The fit's statistics under a joint context are those of one image per
// training image holding every view's patches: rebuilt here from the model's
// own whitening, dictionary and coder, the projection must come out bit for
// bit; the same for luma contexts (each view with its luma copy); and both
// must differ from the separate-view fit.
TEST(ViewContext, JointContextIsOneImageOfAllViews) {
  Config c = small_config();
  c.view_context = ViewContext::kJoint;
  const ImageSet train = colour_images(10, 10, 2);
  const Context ctx = quiet(c);
  RunMetrics metrics;
  const SmtModel model = fit_model(train, c, ctx, metrics);
  EXPECT_EQ(model.fit_report["contexts"].get<std::int64_t>(), 10);
  EXPECT_EQ(model.fit_report["augmented_images"].get<std::int64_t>(), 40);

  EXPECT_EQ(rebuilt_projection(model, train, c, {{0, 1, 2, 3}}), model.projection.by_atom());

  Config luma = c;
  luma.view_context = ViewContext::kLuma;
  RunMetrics m1;
  const SmtModel paired = fit_model(train, luma, ctx, m1);
  EXPECT_EQ(paired.fit_report["contexts"].get<std::int64_t>(), 20);
  EXPECT_EQ(rebuilt_projection(paired, train, luma, {{0, 2}, {1, 3}}), paired.projection.by_atom());
  EXPECT_NE(paired.projection.eigenvalues(), model.projection.eigenvalues());

  Config sep = c;
  sep.view_context = ViewContext::kSeparate;
  RunMetrics m2;
  const SmtModel separate = fit_model(train, sep, ctx, m2);
  EXPECT_EQ(separate.fit_report["contexts"].get<std::int64_t>(), 40);
  EXPECT_EQ(separate.dictionary.atoms(), model.dictionary.atoms());
  EXPECT_NE(separate.projection.eigenvalues(), model.projection.eigenvalues());
}

// gray-view-prep false: whitening and atoms are those of the fit without luma
// copies; only the statistics see the copies.
TEST(ViewContext, LumaCopiesOnlyInTheStatistics) {
  Config c = small_config();
  c.view_context = ViewContext::kLuma;
  c.gray_view_prep = false;
  const ImageSet train = colour_images(10, 10, 4);
  const Context ctx = quiet(c);
  RunMetrics m0, m1;
  const SmtModel model = fit_model(train, c, ctx, m0);
  Config colour_only = c;
  colour_only.gray_view = false;
  const SmtModel plain = fit_model(train, colour_only, ctx, m1);
  EXPECT_EQ(model.whitener.matrix(), plain.whitener.matrix());
  EXPECT_EQ(model.dictionary.atoms(), plain.dictionary.atoms());
  EXPECT_EQ(model.fit_report["contexts"].get<std::int64_t>(), 20);
  EXPECT_NE(model.projection.eigenvalues(), plain.projection.eigenvalues());
}

// Without luma references the cache keeps the colour views only, in the
// k-NN's order, and the cached features equal recomputed ones.
TEST(ViewContext, CodeCacheKeepsTheReferenceViews) {
  Config c = small_config();
  c.view_context = ViewContext::kJoint;
  c.knn_gray_views = false;
  const ImageSet train = colour_images(9, 10, 3);
  const Context ctx = quiet(c);
  RunMetrics metrics;
  TrainCodes codes;
  const SmtModel model = fit_model(train, c, ctx, metrics, &codes);
  EXPECT_EQ(codes.views, ViewSet(true));
  ASSERT_EQ(codes.images.size(), 18u);
  const std::size_t n = 18, fd = model.feature_dim();
  std::vector<float> with(n * fd), without(n * fd);
  compute_features(model, train, ViewSet::references(c), 0, n, with.data(), ctx, &codes);
  compute_features(model, train, ViewSet::references(c), 0, n, without.data(), ctx);
  EXPECT_EQ(with, without);
  // A cache of other views is not used for these: the luma views' features
  // differ from the colour ones.
  std::vector<float> all(36 * fd);
  compute_features(model, train, ViewSet::training(c), 0, 36, all.data(), ctx, &codes);
  EXPECT_EQ(std::vector<float>(all.begin(), all.begin() + 2 * fd),
            std::vector<float>(without.begin(), without.begin() + 2 * fd));
  EXPECT_NE(std::vector<float>(all.begin() + 2 * fd, all.begin() + 3 * fd),
            std::vector<float>(without.begin() + 2 * fd, without.begin() + 3 * fd));
}

}  // namespace
}  // namespace smt
