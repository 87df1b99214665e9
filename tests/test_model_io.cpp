// End to end on a tiny generated image set: fit_model, save, load, and
// compute_features reproducing the in-process features bit for bit; corrupted
// model files are rejected; impossible dictionaries and bad configurations
// fail with smt::Error naming the problem.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/core/image_set.h"
#include "smt/eval/knn.h"
#include "smt/model/model.h"
#include "smt/smt.h"
#include "smt/stages/patch_source.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

struct TempDir : smt::testing::TempDir {
  TempDir() : smt::testing::TempDir("smt_test_model_io") {}
};

// n grayscale h x w images of 10 classes: a bright Gaussian blob whose
// position depends on the class, a second faint blob and pixel noise.
smt::ImageSet blob_images(int n, int h, int w, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uni = [&rng]() { return static_cast<double>(rng() >> 11) / 9007199254740992.0; };
  smt::ImageSet set;
  set.height = h;
  set.width = w;
  set.channels = 1;
  set.num_classes = 10;
  set.source = "generated blobs";
  set.pixels.resize(static_cast<std::size_t>(n) * h * w);
  for (int i = 0; i < n; ++i) {
    const int label = i % 10;
    set.labels.push_back(label);
    const double cy = 2.5 + (label / 5) * 6.0 + uni(), cx = 1.5 + (label % 5) * 2.2 + uni();
    const double fy = uni() * h, fx = uni() * w;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double d1 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
        const double d2 = (y - fy) * (y - fy) + (x - fx) * (x - fx);
        double v = 30 + 190 * std::exp(-d1 / 4.0) + 60 * std::exp(-d2 / 2.0) + 25 * uni();
        v = std::min(255.0, std::max(0.0, v));
        set.pixels[(static_cast<std::size_t>(i) * h + y) * w + x] = static_cast<std::uint8_t>(v);
      }
  }
  return set;
}

smt::Config tiny_config() {
  smt::Config c;
  c.patch_size = 4;
  c.stride = 1;
  c.context = -1;
  c.whiten_tol = 1e-2;
  c.dict_size = 32;
  c.dict_method = smt::DictMethod::kGreedy;
  c.dict_threshold = 0.5;
  c.threshold = 1.0;
  c.embed_dim = 4;
  c.skip = 1;
  c.pool_window = 4;
  c.pool_stride = 2;
  c.knn_k = 5;
  c.seed = 3;
  c.threads = 2;
  c.batch_images = 16;  // several streaming batches
  return c;
}

smt::Context quiet(const smt::Config& c) {
  smt::Context ctx;
  ctx.threads = c.threads;
  ctx.seed = c.seed;
  return ctx;
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<float> features(const smt::SmtModel& m, const smt::ImageSet& images, bool flip,
                            const smt::Context& ctx) {
  const std::size_t n = images.size() * (flip ? 2 : 1);
  std::vector<float> f(n * m.feature_dim());
  smt::compute_features(m, images, smt::ViewSet(flip), 0, n, f.data(), ctx);
  return f;
}

struct FitCase {
  std::string name;
  double threshold;
  smt::DictMethod method;
  smt::CodeValues values;
};

class ModelRoundTrip : public testing::TestWithParam<FitCase> {};

TEST_P(ModelRoundTrip, SaveLoadReproducesFeaturesBitForBit) {
  const FitCase fc = GetParam();
  smt::Config cfg = tiny_config();
  cfg.threshold = fc.threshold;
  cfg.dict_method = fc.method;
  cfg.code_values = fc.values;
  cfg.kmeans_iters = 5;
  cfg.kmeans_batch = 500;
  const smt::ImageSet train = blob_images(40, 12, 12, 17);
  const smt::ImageSet test = blob_images(10, 12, 12, 18);
  const smt::Context ctx = quiet(cfg);
  smt::RunMetrics metrics;
  const smt::SmtModel model = smt::fit_model(train, cfg, ctx, metrics);
  EXPECT_EQ(model.dictionary.size(), 32);
  EXPECT_EQ(model.dictionary.dim(), 16);
  EXPECT_EQ(model.projection.embed_dim(), 4);
  EXPECT_EQ(model.pooled_grid(), 3);  // grid 9, (9 - 4) / 2 + 1
  EXPECT_EQ(model.feature_dim(), 3u * 3u * 4u);
  // Dictionary atoms are unit vectors.
  for (int k = 0; k < model.dictionary.size(); ++k) {
    double ss = 0;
    for (int d = 0; d < 16; ++d)
      ss += static_cast<double>(model.dictionary.atom(k)[d]) * model.dictionary.atom(k)[d];
    EXPECT_NEAR(ss, 1.0, 1e-5) << "atom " << k;
  }

  TempDir dir;
  const std::string path = dir.file("model.smt");
  model.save(path);
  const smt::SmtModel loaded = smt::SmtModel::load(path);
  nlohmann::json fitted = model.config.to_json();
  fitted["threads"] = 0;  // not recorded: the model is the same for any thread count
  EXPECT_EQ(loaded.config.to_json(), fitted);
  EXPECT_EQ(loaded.height, 12);
  EXPECT_EQ(loaded.width, 12);
  EXPECT_EQ(loaded.channels, 1);
  EXPECT_EQ(loaded.num_classes, 10);
  EXPECT_EQ(loaded.whitener.matrix(), model.whitener.matrix());
  EXPECT_EQ(loaded.dictionary.atoms(), model.dictionary.atoms());
  EXPECT_EQ(loaded.projection.by_atom(), model.projection.by_atom());
  EXPECT_EQ(loaded.projection.eigenvalues(), model.projection.eigenvalues());
  EXPECT_EQ(loaded.fit_report, model.fit_report);

  for (bool flip : {false, true}) {
    const auto a = features(model, test, flip, ctx);
    const auto b = features(loaded, test, flip, ctx);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
        << "features differ after save/load (flip " << flip << ")";
    // Each pooled cell is L2-normalised (or zero) and finite.
    const int d = model.projection.embed_dim();
    for (std::size_t cell = 0; cell < a.size() / d; ++cell) {
      double ss = 0;
      for (int j = 0; j < d; ++j) {
        ASSERT_TRUE(std::isfinite(a[cell * d + j]));
        ss += static_cast<double>(a[cell * d + j]) * a[cell * d + j];
      }
      EXPECT_TRUE(std::abs(ss - 1.0) < 1e-4 || ss == 0.0) << "cell " << cell << " norm^2 " << ss;
    }
  }
  // One thread gives the same features as two.
  smt::Context one = ctx;
  one.threads = 1;
  EXPECT_EQ(features(loaded, test, false, one), features(model, test, false, ctx));
  // Sub-ranges agree with the full run.
  {
    const auto all = features(model, train, true, ctx);
    std::vector<float> part(5 * model.feature_dim());
    smt::compute_features(model, train, smt::ViewSet(true), 7, 12, part.data(), ctx);
    EXPECT_EQ(0, std::memcmp(part.data(), all.data() + 7 * model.feature_dim(),
                             part.size() * sizeof(float)));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fits, ModelRoundTrip,
    testing::Values(FitCase{"vq_greedy", 1.0, smt::DictMethod::kGreedy, smt::CodeValues::kBinary},
                    FitCase{"t03_greedy", 0.3, smt::DictMethod::kGreedy, smt::CodeValues::kBinary},
                    FitCase{"t03_kmeans_variable", 0.3, smt::DictMethod::kKMeans,
                            smt::CodeValues::kVariable},
                    FitCase{"t03_online", 0.3, smt::DictMethod::kOnline, smt::CodeValues::kBinary}),
    [](const testing::TestParamInfo<FitCase>& pinfo) { return pinfo.param.name; });

class ModelFile : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const smt::Config cfg = tiny_config();
    smt::RunMetrics metrics;
    model_ =
        new smt::SmtModel(smt::fit_model(blob_images(20, 12, 12, 5), cfg, quiet(cfg), metrics));
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static smt::SmtModel* model_;
};
smt::SmtModel* ModelFile::model_ = nullptr;

TEST_F(ModelFile, TruncatedFileIsRejected) {
  TempDir dir;
  const std::string good = dir.file("good.smt");
  model_->save(good);
  const auto bytes = read_bytes(good);
  ASSERT_GT(bytes.size(), 64u);
  EXPECT_NO_THROW(smt::SmtModel::load(good));
  for (std::size_t keep : {std::size_t{0}, std::size_t{7}, std::size_t{20}, bytes.size() / 2,
                           bytes.size() - 5, bytes.size() - 1}) {
    const std::string bad = dir.file("truncated.smt");
    write_bytes(
        bad, std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)));
    EXPECT_THROW(smt::SmtModel::load(bad), smt::Error) << "kept " << keep << " bytes";
  }
  // Trailing garbage is not a valid file either.
  auto longer = bytes;
  longer.push_back('x');
  write_bytes(dir.file("longer.smt"), longer);
  EXPECT_THROW(smt::SmtModel::load(dir.file("longer.smt")), smt::Error);
  EXPECT_THROW(smt::SmtModel::load(dir.file("missing.smt")), smt::Error);
}

TEST_F(ModelFile, FlippedByteIsRejected) {
  TempDir dir;
  const std::string good = dir.file("good.smt");
  model_->save(good);
  const auto bytes = read_bytes(good);
  // Header, a tag, payloads at several places, the trailer.
  for (std::size_t pos : {std::size_t{0}, std::size_t{9}, std::size_t{30}, bytes.size() / 3,
                          bytes.size() / 2, bytes.size() * 4 / 5, bytes.size() - 2}) {
    auto bad = bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    const std::string p = dir.file("flipped.smt");
    write_bytes(p, bad);
    EXPECT_THROW(smt::SmtModel::load(p), smt::Error) << "byte " << pos << " of " << bytes.size();
  }
}

// Found by fuzz_model (tests/data/fuzz/model/channels-overflow): an image
// shape far out of range overflowed the patch dimension computed from it
// (undefined behaviour) before the size check could reject the file.
TEST_F(ModelFile, ImageShapeOutOfRangeIsRejectedNamingTheSection) {
  TempDir dir;
  for (int channels : {0, 5, -2002190336}) {
    smt::SmtModel bad = *model_;
    bad.channels = channels;
    const std::string p = dir.file("channels.smt");
    bad.save(p);
    const std::string msg = smt::testing::error_of([&] { smt::SmtModel::load(p); });
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find("image.channels = " + std::to_string(channels) + ", expected 1..3"),
              std::string::npos)
        << msg;
  }
  smt::SmtModel tall = *model_;
  tall.height = 1 << 17;
  tall.save(dir.file("tall.smt"));
  EXPECT_NE(smt::testing::error_of([&] { smt::SmtModel::load(dir.file("tall.smt")); })
                .find("image.height = 131072"),
            std::string::npos);
}

TEST(ModelIoDictionary, ImpossibleGreedyThresholdNamesAtomsFound) {
  smt::Config cfg = tiny_config();
  cfg.dict_threshold = -0.9;
  cfg.dict_size = 32;
  smt::RunMetrics metrics;
  const smt::ImageSet train = blob_images(20, 12, 12, 8);
  try {
    smt::fit_model(train, cfg, quiet(cfg), metrics);
    FAIL() << "a greedy dictionary of 32 atoms with pairwise cosine <= -0.9 cannot exist";
  } catch (const smt::Error& e) {
    const std::string msg = e.what();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(msg, m, std::regex("found only ([0-9]+) atoms"))) << msg;
    const int found = std::stoi(m[1].str());
    EXPECT_GE(found, 1) << msg;
    EXPECT_LT(found, 32) << msg;
    EXPECT_NE(msg.find("32"), std::string::npos) << msg;
  }
}

TEST(ModelIoConfig, ValidateRejectsTooLargeEmbedding) {
  smt::Config c = tiny_config();
  EXPECT_NO_THROW(c.validate());
  c.embed_dim = 30;
  c.skip = 1;
  EXPECT_NO_THROW(c.validate());  // 31 < 32
  c.embed_dim = 31;
  EXPECT_THROW(c.validate(), smt::Error);  // 32 >= 32
  c.embed_dim = 20;
  c.skip = 12;
  EXPECT_THROW(c.validate(), smt::Error);
  c.skip = 40;
  EXPECT_THROW(c.validate(), smt::Error);
  // fit_model validates too.
  smt::RunMetrics metrics;
  EXPECT_THROW(smt::fit_model(blob_images(4, 12, 12, 1), c, quiet(c), metrics), smt::Error);
}

TEST(ModelIoConfig, RejectsBadWhitenTol) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const nlohmann::json& v :
       {nlohmann::json(nan), nlohmann::json(inf), nlohmann::json(-1e-3), nlohmann::json(0.0),
        nlohmann::json(1e9), nlohmann::json("1e-3x"), nlohmann::json(nullptr)}) {
    smt::Config c = tiny_config();
    try {
      c.update_from_json({{"whiten-tol", v}}, "test");
      FAIL() << "whiten-tol " << v.dump() << " was accepted";
    } catch (const smt::Error& e) {
      EXPECT_NE(std::string(e.what()).find("whiten-tol"), std::string::npos) << e.what();
    }
    EXPECT_EQ(c.whiten_tol, tiny_config().whiten_tol) << "rejected value must not be stored";
  }
  // Set in code, then validated.
  for (double bad : {nan, inf, -1e-3, 0.0}) {
    smt::Config c = tiny_config();
    c.whiten_tol = bad;
    EXPECT_THROW(c.validate(), smt::Error) << bad;
  }
  smt::Config ok = tiny_config();
  ok.update_from_json({{"whiten-tol", 2e-3}}, "test");
  EXPECT_EQ(ok.whiten_tol, 2e-3);
  EXPECT_NO_THROW(ok.validate());
}

TEST(ModelIoConfig, RejectsUnknownKeysAndWrongTypes) {
  smt::Config c;
  try {
    c.update_from_json({{"whiten_tolerance", 1e-3}}, "test");
    FAIL() << "unknown key accepted";
  } catch (const smt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("whiten_tolerance"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.update_from_json({{"dict-size", 12.5}}, "test"), smt::Error);
  EXPECT_THROW(c.update_from_json({{"dict-size", "64"}}, "test"), smt::Error);
  EXPECT_THROW(c.update_from_json({{"operator", "three"}}, "test"), smt::Error);
  EXPECT_THROW(c.update_from_json({{"threshold", nullptr}}, "test"), smt::Error);
  EXPECT_THROW(c.update_from_json(nlohmann::json::array({1, 2}), "test"), smt::Error);
  // Round trip of the resolved configuration.
  smt::Config t = tiny_config();
  smt::Config u;
  u.update_from_json(t.to_json(), "roundtrip");
  EXPECT_EQ(u.to_json(), t.to_json());
}

}  // namespace

// Training codes kept by fit_model (all of them, or the prefix a small budget
// allows) give the same features as recoding, and the same model as no cache.
TEST(TrainCodeCache, CachedPrefixGivesTheSameFeatures) {
  smt::Config cfg = tiny_config();
  cfg.threshold = 0.3;
  const smt::ImageSet train = blob_images(30, 12, 12, 21);
  const smt::Context ctx = quiet(cfg);
  smt::RunMetrics m0;
  const smt::SmtModel plain = smt::fit_model(train, cfg, ctx, m0);
  const std::vector<float> want = features(plain, train, cfg.flip, ctx);
  const std::size_t n_aug = train.size() * (cfg.flip ? 2 : 1);
  for (std::size_t budget : {std::size_t{1} << 30, std::size_t{20000}, std::size_t{0}}) {
    SCOPED_TRACE(budget);
    smt::TrainCodes codes;
    smt::FitOptions opt;
    opt.code_cache_bytes = budget;
    smt::RunMetrics m;
    const smt::SmtModel model = smt::fit_model(train, cfg, ctx, m, &codes, opt);
    EXPECT_EQ(model.projection.by_atom(), plain.projection.by_atom());
    if (budget == (std::size_t{1} << 30)) {
      EXPECT_EQ(codes.images.size(), n_aug);
    }
    if (budget == 20000) {
      EXPECT_GT(codes.images.size(), 0u);
      EXPECT_LT(codes.images.size(), n_aug);
    }
    if (budget == 0) {
      EXPECT_EQ(codes.images.size(), 0u);
    }
    std::vector<float> got(want.size());
    smt::compute_features(model, train, smt::ViewSet::training(cfg), 0, n_aug, got.data(), ctx,
                          &codes);
    EXPECT_EQ(got, want);
  }
}

// The k-NN evaluation gives the brute-force answer on the model's features
// whichever side it keeps in memory, for several block sizes, and streaming
// the test side releases the cached training codes.
TEST(EvaluateKnn, BothStreamingSidesEqualBruteForce) {
  smt::Config cfg = tiny_config();
  cfg.threshold = 0.3;
  cfg.knn_k = 5;
  const smt::ImageSet train = blob_images(24, 12, 12, 31);
  const smt::ImageSet test = blob_images(17, 12, 12, 32);
  const smt::Context ctx = quiet(cfg);
  smt::RunMetrics m0;
  smt::TrainCodes all_codes;
  const smt::SmtModel model = smt::fit_model(train, cfg, ctx, m0, &all_codes);
  const std::size_t n_aug = train.size() * (cfg.flip ? 2 : 1);
  ASSERT_EQ(all_codes.images.size(), n_aug);
  const std::vector<float> train_f = features(model, train, cfg.flip, ctx);
  const std::vector<float> test_f = features(model, test, false, ctx);
  const smt::PatchSource labels_src(train, model.extractor(), nullptr, smt::ViewSet::training(cfg),
                                    cfg.grayscale);
  std::vector<int> train_labels(n_aug);
  for (std::size_t i = 0; i < n_aug; ++i) train_labels[i] = labels_src.label(i);
  const int classes = std::max(train.num_classes, test.num_classes);
  const smt::KnnResult want = smt::brute_force_knn(
      test_f.data(), test.size(), train_f.data(), train_labels.data(), n_aug, model.feature_dim(),
      cfg.knn_k, classes, static_cast<float>(cfg.knn_temperature), test.labels);
  for (auto side : {smt::KnnStreaming::kStreamTrain, smt::KnnStreaming::kStreamTest}) {
    for (std::size_t block : {std::size_t{1}, std::size_t{5}, std::size_t{64}}) {
      SCOPED_TRACE(testing::Message() << "side " << static_cast<int>(side) << " block " << block);
      smt::TrainCodes codes = all_codes;
      smt::RunMetrics m;
      smt::EvalOptions eo;
      eo.streaming = side;
      eo.block_images = block;
      const smt::EvalResult r = smt::evaluate_knn(model, train, test, ctx, m, &codes, eo);
      EXPECT_EQ(r.predictions, want.top1);
      EXPECT_DOUBLE_EQ(r.top1, want.top1_accuracy);
      EXPECT_DOUBLE_EQ(r.top5, want.top5_accuracy);
      EXPECT_EQ(m.extra()["knn_streamed"],
                side == smt::KnnStreaming::kStreamTest ? "test" : "train");
      if (side == smt::KnnStreaming::kStreamTest) {
        EXPECT_TRUE(codes.images.empty());
      }
    }
  }
  EXPECT_EQ(smt::resolve_streaming(smt::KnnStreaming::kAuto, 10, 20),
            smt::KnnStreaming::kStreamTest);
  EXPECT_EQ(smt::resolve_streaming(smt::KnnStreaming::kAuto, 20, 20),
            smt::KnnStreaming::kStreamTrain);
}
