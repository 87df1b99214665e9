// The estimator facade (model/estimator.h) on images held in memory: the
// same model file and features as `smt fit` + `smt embed` on the same images
// written as IDX files; stream save/load; float32 input; observer progress
// and cancellation; the errors of misuse. Also the library's train/validation
// split (model/data_split.h).
#include <cblas.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "smt/smt.h"
#include "test_util.h"

namespace {

struct Images {
  int n = 0, side = 14;
  std::vector<std::uint8_t> pixels;
  std::vector<std::int32_t> labels;
  smt::ImageView view() const {
    return {pixels.data(), static_cast<std::size_t>(n), side, side, 1, smt::PixelType::kUint8,
            labels.data()};
  }
};

// Ten classes of bars and diagonals on noise, slightly jittered.
Images make_images(int n, std::uint64_t seed) {
  Images im;
  im.n = n;
  const int s = im.side;
  im.pixels.assign(static_cast<std::size_t>(n) * s * s, 0);
  smt::Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const int c = i % 10;
    im.labels.push_back(c);
    std::uint8_t* img = im.pixels.data() + static_cast<std::size_t>(i) * s * s;
    for (int p = 0; p < s * s; ++p) img[p] = static_cast<std::uint8_t>(rng.below(40));
    const int d = static_cast<int>(rng.below(3)) - 1;
    for (int t = 1; t < s - 1; ++t) {
      const int a = std::clamp(2 + c + d, 0, s - 1);
      int y = t, x = t;
      if (c < 4)
        y = a;  // horizontal bars at different heights
      else if (c < 8)
        x = a - 4;  // vertical bars
      else if (c == 8)
        x = s - 1 - t;  // anti-diagonal
      img[y * s + x] = 230;
    }
  }
  return im;
}

void put_be32(std::string& s, std::uint32_t v) {
  for (int k = 3; k >= 0; --k) s += static_cast<char>((v >> (8 * k)) & 0xff);
}

void write_idx(const std::string& dir, const std::string& prefix, const Images& im) {
  std::string img, lab;
  put_be32(img, 0x803);
  put_be32(img, static_cast<std::uint32_t>(im.n));
  put_be32(img, static_cast<std::uint32_t>(im.side));
  put_be32(img, static_cast<std::uint32_t>(im.side));
  img.append(reinterpret_cast<const char*>(im.pixels.data()), im.pixels.size());
  put_be32(lab, 0x801);
  put_be32(lab, static_cast<std::uint32_t>(im.n));
  for (int l : im.labels) lab += static_cast<char>(l);
  ASSERT_TRUE(smt::testing::write_bytes(dir + "/" + prefix + "-images-idx3-ubyte", img));
  ASSERT_TRUE(smt::testing::write_bytes(dir + "/" + prefix + "-labels-idx1-ubyte", lab));
}

smt::Config small_config() {
  smt::Config c;
  c.patch_size = 4;
  c.dict_size = 64;
  c.dict_threshold = 0.9;
  c.threshold = 0.6;
  c.embed_dim = 6;
  c.pool_window = 4;
  c.pool_stride = 3;
  c.knn_k = 5;
  c.threads = 2;
  c.batch_images = 16;
  return c;
}

std::vector<std::string> cli_flags() {
  return {"--patch-size",   "4",   "--dict-size", "64", "--dict-threshold", "0.9",
          "--threshold",    "0.6", "--embed-dim", "6",  "--pool-window",    "4",
          "--pool-stride",  "3",   "--knn-k",     "5",  "--threads",        "2",
          "--batch-images", "16",  "-q"};
}

int run_cli(const std::vector<std::string>& args) {
  std::string cmd = SMT_BINARY;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " </dev/null";
  return std::system(cmd.c_str());
}

std::vector<float> transform(const smt::Estimator& e, const Images& im) {
  std::vector<float> f(static_cast<std::size_t>(im.n) * e.feature_dim());
  e.transform(im.view(), f.data(), f.size());
  return f;
}

TEST(Estimator, InMemoryEqualsTheCommandLineBitForBit) {
  const Images train = make_images(60, 1), test = make_images(20, 2);
  smt::testing::TempDir tmp("smt_estimator");
  const std::string data = tmp.file("data");
  std::filesystem::create_directory(data);
  write_idx(data, "train", train);
  write_idx(data, "t10k", test);
  std::vector<std::string> fit = {"fit", "--data", data, "--model", tmp.file("cli.smtm")};
  for (const std::string& a : cli_flags()) fit.push_back(a);
  ASSERT_EQ(run_cli(fit), 0);
  ASSERT_EQ(run_cli({"embed", "--model", tmp.file("cli.smtm"), "--data", data, "--split", "test",
                     "--out", tmp.file("cli.npy"), "-q"}),
            0);

  smt::Estimator est(small_config());
  est.fit(train.view());  // with labels, so the model records the same class count
  est.save(tmp.file("lib.smtm"));
  EXPECT_EQ(smt::testing::read_bytes(tmp.file("lib.smtm")),
            smt::testing::read_bytes(tmp.file("cli.smtm")));
  const std::vector<float> cli = smt::read_npy(tmp.file("cli.npy")).as_float();
  EXPECT_EQ(transform(est, test), cli);
}

TEST(Estimator, FitNeedsNoLabelsAndGivesTheSameFeatures) {
  const Images train = make_images(40, 3), test = make_images(10, 4);
  smt::Estimator labelled(small_config()), unlabelled(small_config());
  labelled.fit(train.view());
  smt::ImageView v = train.view();
  v.labels = nullptr;
  unlabelled.fit(v);
  EXPECT_EQ(unlabelled.model().num_classes, 0);
  EXPECT_EQ(transform(labelled, test), transform(unlabelled, test));
}

TEST(Estimator, StreamSaveLoadIsTheFileFormat) {
  const Images train = make_images(40, 5), test = make_images(10, 6);
  smt::Estimator est(small_config());
  est.fit(train.view());
  std::stringstream blob;
  est.save(blob);
  smt::testing::TempDir tmp("smt_estimator");
  est.save(tmp.file("m.smtm"));
  EXPECT_EQ(blob.str(), smt::testing::read_bytes(tmp.file("m.smtm")));
  const smt::Estimator loaded = smt::Estimator::load(blob);
  EXPECT_EQ(transform(loaded, test), transform(est, test));
  // Everything but the thread count, which the file leaves out (how the fit
  // ran, not what it fitted): a loaded model runs on all cores unless told.
  nlohmann::json fitted = est.config().to_json();
  fitted["threads"] = 0;
  EXPECT_EQ(loaded.config().to_json(), fitted);

  std::stringstream cut(blob.str().substr(0, blob.str().size() / 2));
  EXPECT_THROW(smt::Estimator::load(cut, "half a model"), smt::Error);
  std::stringstream cut2(blob.str().substr(0, blob.str().size() / 2));
  EXPECT_NE(smt::testing::error_of([&] {
              smt::Estimator::load(cut2, "half a model");
            }).find("half a model"),
            std::string::npos);
}

TEST(Estimator, Float32PixelsEqualTheirUint8Values) {
  const Images train = make_images(40, 7), test = make_images(10, 8);
  smt::Estimator est(small_config());
  est.fit(train.view());
  std::vector<float> scaled(test.pixels.size());
  for (std::size_t i = 0; i < scaled.size(); ++i) scaled[i] = test.pixels[i] / 255.0f;
  smt::ImageView fv{scaled.data(), 10, 14, 14, 1, smt::PixelType::kFloat32};
  std::vector<float> f(10 * est.feature_dim());
  est.transform(fv, f.data(), f.size());
  EXPECT_EQ(f, transform(est, test));
  scaled[5] = 1.5f;
  EXPECT_THROW(est.transform(fv, f.data(), f.size()), smt::Error);
  scaled[5] = std::nanf("");
  EXPECT_THROW(est.transform(fv, f.data(), f.size()), smt::Error);
}

// NumPy hands over views with any strides (a slice, a mirror image, a
// transpose) and float64 pixels: they are read exactly like the contiguous
// uint8 images they show.
TEST(Estimator, StridedAndFloat64ViewsEqualTheContiguousImages) {
  const Images train = make_images(40, 7), test = make_images(10, 8);
  smt::Estimator est(small_config());
  est.fit(train.view());
  const int side = test.side;
  // The mirror images, contiguous, and as a view with a negative column stride.
  Images mirrored = test;
  for (int i = 0; i < test.n; ++i)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        mirrored.pixels[(static_cast<std::size_t>(i) * side + y) * side + x] =
            test.pixels[(static_cast<std::size_t>(i) * side + y) * side + (side - 1 - x)];
  smt::ImageView view = test.view();
  view.data = test.pixels.data() + (side - 1);
  view.strides = std::array<std::ptrdiff_t, 4>{side * side, side, -1, 1};
  std::vector<float> f(static_cast<std::size_t>(test.n) * est.feature_dim());
  est.transform(view, f.data(), f.size());
  EXPECT_EQ(f, transform(est, mirrored));
  // Every other image of a float64 copy, channel stride 8 bytes.
  std::vector<double> wide(test.pixels.size());
  for (std::size_t i = 0; i < wide.size(); ++i) wide[i] = test.pixels[i] / 255.0;
  smt::ImageView every_other{wide.data(), 5, side, side, 1, smt::PixelType::kFloat64};
  every_other.strides = std::array<std::ptrdiff_t, 4>{2 * side * side * 8, side * 8, 8, 8};
  std::vector<float> g(5 * est.feature_dim());
  est.transform(every_other, g.data(), g.size());
  Images even = test;
  even.n = 5;
  even.pixels.clear();
  for (int i = 0; i < test.n; i += 2)
    even.pixels.insert(even.pixels.end(), test.pixels.begin() + i * side * side,
                       test.pixels.begin() + (i + 1) * side * side);
  EXPECT_EQ(g, transform(est, even));
  wide[3] = -0.25;
  const std::string msg =
      smt::testing::error_of([&] { est.transform(every_other, g.data(), g.size(), "X"); });
  EXPECT_NE(msg.find("X: float64 pixel -0.25 of image 0"), std::string::npos) << msg;
}

TEST(Estimator, LeavesTheCallersThreadSettingsAsItFoundThem) {
  const Images train = make_images(40, 5);
  omp_set_num_threads(3);
  openblas_set_num_threads(3);
  smt::Config c = small_config();
  c.threads = 1;
  smt::Estimator(c).fit(train.view());
  EXPECT_EQ(omp_get_max_threads(), 3);
  EXPECT_EQ(openblas_get_num_threads(), 3);
}

TEST(Estimator, RepeatedTransformsAreIdentical) {
  const Images train = make_images(40, 9), test = make_images(12, 10);
  smt::Estimator est(small_config());
  est.fit(train.view());
  EXPECT_EQ(transform(est, test), transform(est, test));
}

TEST(Estimator, MisuseIsAnErrorNamingTheProblem) {
  const Images train = make_images(40, 11);
  smt::Estimator est(small_config());
  std::vector<float> f(10);
  EXPECT_THROW(est.transform(train.view(), f.data(), f.size()), smt::Error);  // not fitted
  EXPECT_THROW(est.feature_dim(), smt::Error);
  est.fit(train.view());
  const std::string wrong_size =
      smt::testing::error_of([&] { est.transform(train.view(), f.data(), f.size()); });
  EXPECT_NE(wrong_size.find("output buffer"), std::string::npos) << wrong_size;
  smt::ImageView other = train.view();
  other.height = 12;
  std::vector<float> g(static_cast<std::size_t>(train.n) * est.feature_dim());
  EXPECT_THROW(est.transform(other, g.data(), g.size()), smt::Error);
  smt::ImageView four = train.view();
  four.channels = 4;
  EXPECT_THROW(smt::Estimator(small_config()).fit(four), smt::Error);

  smt::Config bad = small_config();
  bad.embed_dim = 64;  // not below dict_size
  try {
    smt::Estimator e(bad);
    FAIL() << "an impossible configuration was accepted";
  } catch (const smt::Error& e) {
    EXPECT_NE(e.message(smt::Spelling::kPython).find("embed_dim"), std::string::npos)
        << e.message(smt::Spelling::kPython);
    EXPECT_NE(e.message(smt::Spelling::kCli).find("--embed-dim"), std::string::npos)
        << e.message(smt::Spelling::kCli);
  }
}

// Records what the library reports and cancels after a given number of
// progress reports.
class CountingObserver : public smt::Observer {
 public:
  explicit CountingObserver(int cancel_after) : cancel_after_(cancel_after) {}
  void log(const std::string& line) override { lines.push_back(line); }
  void progress(const std::string& what, std::int64_t done, std::int64_t total, double) override {
    loops.insert(what);
    EXPECT_LE(done, total);
    ++reports;
  }
  // Also polled from worker threads: reports is atomic.
  bool cancelled() override { return cancel_after_ >= 0 && reports >= cancel_after_; }
  std::vector<std::string> lines;
  std::set<std::string> loops;
  std::atomic<int> reports{0};

 private:
  int cancel_after_;
};

TEST(Estimator, ObserverSeesProgressAndCanCancel) {
  const Images train = make_images(60, 12), test = make_images(20, 13);
  auto watch = std::make_shared<CountingObserver>(-1);
  smt::Estimator est(small_config());
  est.set_observer(watch);
  est.fit(train.view());
  EXPECT_GT(watch->reports, 2);
  EXPECT_TRUE(watch->loops.count("coding training images"));
  EXPECT_FALSE(watch->lines.empty());

  auto cancel = std::make_shared<CountingObserver>(1);
  smt::Estimator cancelled(small_config());
  cancelled.set_observer(cancel);
  EXPECT_THROW(cancelled.fit(train.view()), smt::Cancelled);
  EXPECT_FALSE(cancelled.fitted());

  est.set_observer(std::make_shared<CountingObserver>(0));
  std::vector<float> f(static_cast<std::size_t>(test.n) * est.feature_dim());
  EXPECT_THROW(est.transform(test.view(), f.data(), f.size()), smt::Cancelled);
}

TEST(DataSplit, ValidationHoldsOutABalancedDisjointSubset) {
  smt::ImageSet all;
  all.height = all.width = 2;
  all.channels = 1;
  all.num_classes = 5;
  const int n = 100;
  for (int i = 0; i < n; ++i) {
    all.labels.push_back(i % 5);
    for (int p = 0; p < 4; ++p) all.pixels.push_back(static_cast<std::uint8_t>(i));  // id
  }
  smt::Config c;
  c.validation = 20;
  c.train_limit = 50;
  c.seed = 4;
  const smt::TrainEvalSets s = smt::split_train_eval(all, smt::ImageSet{}, c);
  ASSERT_TRUE(s.validation);
  ASSERT_EQ(s.eval.size(), 20u);
  ASSERT_EQ(s.train.size(), 50u);
  std::vector<int> per_class(5, 0);
  std::set<int> eval_ids, train_ids;
  for (std::size_t i = 0; i < s.eval.size(); ++i) {
    ++per_class[s.eval.labels[i]];
    eval_ids.insert(s.eval.image(i)[0]);
  }
  for (int k : per_class) EXPECT_EQ(k, 4);
  for (std::size_t i = 0; i < s.train.size(); ++i) train_ids.insert(s.train.image(i)[0]);
  for (int id : eval_ids) EXPECT_EQ(train_ids.count(id), 0u) << "image " << id << " in both";
  // Same seed, same split; another seed, another split.
  const smt::TrainEvalSets again = smt::split_train_eval(all, smt::ImageSet{}, c);
  EXPECT_EQ(again.eval.pixels, s.eval.pixels);
  c.seed = 5;
  EXPECT_NE(smt::split_train_eval(all, smt::ImageSet{}, c).eval.pixels, s.eval.pixels);
  c.validation = 100;
  EXPECT_THROW(smt::split_train_eval(all, smt::ImageSet{}, c), smt::Error);
  c.validation = 0;
  smt::ImageSet test = all;
  test.source = "the test split";
  EXPECT_EQ(smt::split_train_eval(all, test, c).eval.source, "the test split");
}

}  // namespace

namespace {

// A corrupt entry of the training-code cache is found inside the parallel
// feature loop; the error must reach the caller (before parallel_for it
// ended the process through std::terminate).
TEST(FeatureEncoder, ErrorInsideTheParallelLoopReachesTheCaller) {
  const Images train = make_images(40, 14);
  smt::Estimator est(small_config());
  est.fit(train.view());
  const smt::ImageSet set = smt::to_image_set(train.view(), "train");
  smt::TrainCodes cache;
  cache.valid = true;
  smt::PatchCodes one_patch;
  one_patch.offsets = {0, 1};
  one_patch.atoms = {3};
  for (int i = 0; i < 40; ++i) cache.images.emplace_back(one_patch);
  smt::Context ctx;
  ctx.threads = 2;
  std::vector<float> f(40 * est.feature_dim());
  smt::FeatureEncoder encoder(std::make_shared<const smt::SmtModel>(est.model()));
  const std::string msg = smt::testing::error_of(
      [&] { encoder.encode(set, smt::ViewSet(), 0, 40, f.data(), ctx, &cache); });
  EXPECT_NE(msg.find("cached codes of image 0"), std::string::npos) << msg;
}

}  // namespace
