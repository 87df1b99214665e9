// Resumable fits (model/checkpoint.h) in process: a fit stopped at each
// stage (through the observer, just after a save, as a crash would) and
// resumed, with another thread count, saves the same model bytes as an
// uninterrupted fit; statistics survive a save and load exactly; a
// checkpoint of another configuration, other images or another smt version,
// a damaged one, and one that would be overwritten are refused with messages
// that say which.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/io/binary_format.h"
#include "smt/model/checkpoint.h"
#include "smt/model/fit.h"
#include "smt/model/model.h"
#include "smt/model/run_metrics.h"
#include "test_util.h"

namespace {

smt::Config small_config(double threshold) {
  smt::Config c;
  c.patch_size = 4;
  c.whiten_tol = 1e-2;
  c.dict_size = 96;
  c.dict_threshold = 0.6;
  c.threshold = threshold;
  c.flip = true;
  c.embed_dim = 6;
  c.pool_window = 4;
  c.pool_stride = 3;
  c.seed = 5;
  c.batch_images = 10;
  return c;
}

// Stops the fit at its first cancellation point after the nth log line
// containing `marker` (the moment a crash right after that line would hit).
class StopAfter : public smt::Observer {
 public:
  StopAfter(std::string marker, int nth) : marker_(std::move(marker)), left_(nth) {}
  void log(const std::string& line) override {
    if (line.find(marker_) != std::string::npos && --left_ == 0) stop_ = true;
  }
  bool cancelled() override { return stop_.load(); }
  bool fired() const { return stop_.load(); }

 private:
  std::string marker_;
  int left_;
  std::atomic<bool> stop_{false};
};

smt::Context context(int threads, std::shared_ptr<smt::Observer> observer = nullptr) {
  smt::Context ctx;
  ctx.threads = threads;
  ctx.seed = 5;
  ctx.observer = std::move(observer);
  return ctx;
}

std::string bytes_of(const smt::SmtModel& m) {
  std::ostringstream out;
  m.save(out);
  return out.str();
}

std::string fit_bytes(const smt::ImageSet& train, const smt::Config& c, const smt::Context& ctx,
                      smt::FitCheckpoint* ckpt = nullptr) {
  const smt::ScopedThreadLimit limit(ctx.threads);
  smt::RunMetrics metrics;
  smt::FitOptions options;
  options.checkpoint = ckpt;
  // The subspace solver checks for cancellation at every step (the dense one
  // runs as one LAPACK call), so that a stop can land inside it.
  options.eigen_method = smt::EigenMethod::kSubspace;
  return bytes_of(smt::fit_model(train, c, ctx, metrics, nullptr, options));
}

smt::CheckpointOptions every(const std::string& dir, std::int64_t images, bool resume) {
  smt::CheckpointOptions o;
  o.dir = dir;
  o.every_images = images;
  o.resume = resume;
  return o;
}

struct StopCase {
  const char* marker;
  int nth;
};

TEST(Checkpoint, StoppedAtAnyStageAndResumedGivesTheSameModelBytes) {
  const smt::ImageSet train = smt::testing::blobs(50, 12, 1, 1);
  const StopCase stops[] = {
      {"checkpoint: saved (whitening done)", 1},
      {"checkpoint: saved (dictionary done)", 1},
      {"checkpoint: saved (coding and statistics in progress", 1},
      {"checkpoint: saved (coding and statistics in progress", 4},
      {"eigenproblem:", 1},  // after the statistics' save, in the eigensolve
  };
  for (double threshold : {1.0, 0.3}) {  // one-hot codes (diagonal V), dense V
    const smt::Config c = small_config(threshold);
    const std::string reference = fit_bytes(train, c, context(1));
    for (const StopCase& stop : stops) {
      SCOPED_TRACE(std::string(stop.marker) + " #" + std::to_string(stop.nth) +
                   (threshold < 1 ? ", threshold 0.3" : ", vector quantisation"));
      smt::testing::TempDir dir("smt_checkpoint");
      {
        auto observer = std::make_shared<StopAfter>(stop.marker, stop.nth);
        smt::FitCheckpoint ckpt(every(dir.path().string(), 20, false), c, train, context(2));
        EXPECT_THROW(fit_bytes(train, c, context(2, observer), &ckpt), smt::Cancelled);
        ASSERT_TRUE(observer->fired());
      }
      smt::FitCheckpoint resumed(every(dir.path().string(), 20, true), c, train, context(3));
      EXPECT_NE(resumed.resumed().stage, smt::FitStage::kStart);
      EXPECT_TRUE(fit_bytes(train, c, context(3), &resumed) == reference);
    }
    // A fit that completed leaves its model as the last save: resuming it
    // returns that model without fitting again.
    smt::testing::TempDir dir("smt_checkpoint");
    {
      smt::FitCheckpoint ckpt(every(dir.path().string(), 0, false), c, train, context(2));
      EXPECT_TRUE(fit_bytes(train, c, context(2), &ckpt) == reference);
    }
    smt::FitCheckpoint done(every(dir.path().string(), 0, true), c, train, context(1));
    EXPECT_EQ(done.resumed().stage, smt::FitStage::kFitted);
    EXPECT_TRUE(fit_bytes(train, c, context(1), &done) == reference);
  }
}

TEST(Checkpoint, StatisticsSurviveSaveAndLoadExactly) {
  for (bool diagonal : {true, false}) {
    smt::SmtStatistics st(40, diagonal,
                          smt::OperatorSpec{smt::Operator::kFirst, 2, smt::ZeroCode::kDrop});
    std::vector<smt::PatchCodes> codes;
    std::mt19937 rng(7);
    for (int i = 0; i < 6; ++i)
      codes.push_back(
          smt::testing::random_patch_codes(5 * 5, 40, diagonal ? 1 : 4, !diagonal, rng));
    std::vector<const smt::PatchCodes*> ptrs;
    for (const auto& c : codes) ptrs.push_back(&c);
    st.add_images(ptrs, 5, 5, context(2));
    smt::SectionWriter w;
    st.save(w);
    std::stringstream file;
    w.write(file, smt::FitCheckpoint::kMagic, 1);
    const smt::SectionReader r(file, "statistics", smt::FitCheckpoint::kMagic, 1);
    const smt::SmtStatistics back = smt::SmtStatistics::load(r);
    EXPECT_EQ(back.dict_size(), 40);
    EXPECT_EQ(back.diagonal_v(), diagonal);
    EXPECT_EQ(back.spec().op, smt::Operator::kFirst);
    EXPECT_EQ(back.spec().neighborhood, 2);
    EXPECT_EQ(back.spec().zero_code, smt::ZeroCode::kDrop);
    EXPECT_EQ(back.num_patches(), st.num_patches());
    EXPECT_EQ(back.num_images(), st.num_images());
    EXPECT_EQ(back.num_columns(), st.num_columns());
    EXPECT_TRUE(back.v_sum() == st.v_sum());
    EXPECT_TRUE(back.l_upper() == st.l_upper());
  }
}

TEST(Checkpoint, RefusesOtherOptionsDataVersionDamageAndOverwriting) {
  const smt::ImageSet train = smt::testing::blobs(30, 12, 1, 2);
  const smt::Config c = small_config(1.0);
  smt::testing::TempDir dir("smt_checkpoint");
  const std::string d = dir.path().string();
  {
    auto observer = std::make_shared<StopAfter>("checkpoint: saved (dictionary done)", 1);
    smt::FitCheckpoint ckpt(every(d, 20, false), c, train, context(2));
    EXPECT_THROW(fit_bytes(train, c, context(2, observer), &ckpt), smt::Cancelled);
  }
  auto refusal = [&](const smt::Config& cfg, const smt::ImageSet& images, bool resume) {
    return smt::testing::error_of(
        [&] { smt::FitCheckpoint(every(d, 20, resume), cfg, images, context(2)); });
  };
  const std::string overwrite = refusal(c, train, false);
  EXPECT_NE(overwrite.find("already holds a checkpoint"), std::string::npos) << overwrite;
  EXPECT_NE(overwrite.find("--resume"), std::string::npos) << overwrite;

  smt::Config other = c;
  other.dict_size = 80;
  const std::string config_error = refusal(other, train, true);
  EXPECT_NE(config_error.find("another configuration (dict-size 96 there, 80 here)"),
            std::string::npos)
      << config_error;
  smt::Config more_threads = c;  // the thread count is not part of the fit
  more_threads.threads = 7;
  EXPECT_EQ(refusal(more_threads, train, true), "<no error>");

  smt::ImageSet changed = train;
  changed.pixels[100] ^= 1;
  const std::string data_error = refusal(c, changed, true);
  EXPECT_NE(data_error.find("other training images"), std::string::npos) << data_error;

  const std::string file = dir.file(smt::FitCheckpoint::kFileName);
  std::string raw = smt::testing::read_bytes(file);
  std::string damaged = raw;
  damaged[damaged.size() / 2] ^= 0x40;
  ASSERT_TRUE(smt::testing::write_bytes(file, damaged));
  const std::string damage_error = refusal(c, train, true);
  EXPECT_NE(damage_error.find(file), std::string::npos) << damage_error;

  smt::SectionWriter w;  // a checkpoint from another smt version
  w.add_string("smt.version", "0.0.1-other");
  w.add_string("config", "{}");
  w.add_string("data", "{}");
  w.add_i64("stage", 0);
  w.save(file, smt::FitCheckpoint::kMagic, smt::FitCheckpoint::kFormatVersion);
  const std::string version_error = refusal(c, train, true);
  EXPECT_NE(version_error.find("written by smt 0.0.1-other"), std::string::npos) << version_error;

  ASSERT_TRUE(smt::testing::write_bytes(file, raw));
  EXPECT_EQ(refusal(c, train, true), "<no error>");
}

}  // namespace

namespace {

// A save cut short by SIGKILL leaves the atomic writer's temporary: the next
// fit in the directory removes those of dead processes, not a live one's.
TEST(Checkpoint, RemovesTemporariesOfKilledSaves) {
  smt::testing::TempDir dir("smt_checkpoint");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // its pid now names no process
  const std::string dead = dir.file(std::string(smt::FitCheckpoint::kFileName) + ".tmp-" +
                                    std::to_string(child) + "-0123456789abcdef");
  const std::string live = dir.file(std::string(smt::FitCheckpoint::kFileName) + ".tmp-" +
                                    std::to_string(::getpid()) + "-0123456789abcdef");
  ASSERT_TRUE(smt::testing::write_bytes(dead, "partial"));
  ASSERT_TRUE(smt::testing::write_bytes(live, "partial"));
  const smt::ImageSet train = smt::testing::blobs(10, 12, 1, 3);
  smt::FitCheckpoint ckpt(every(dir.path().string(), 0, true), small_config(1.0), train,
                          context(1));
  EXPECT_EQ(ckpt.resumed().stage, smt::FitStage::kStart);
  EXPECT_EQ(dir.entries(),
            std::vector<std::string>{std::filesystem::path(live).filename().string()});
}

}  // namespace
