// Resumable fits (README "Checkpoints and resuming"). fit_model saves its
// state to DIR/fit.smtc at the end of each stage (whitening, dictionary, the
// coding and statistics pass, the eigenproblem) and during the coding pass
// after whole batches. Each save replaces the previous one atomically, so a
// kill at any moment leaves the last complete save. A resumed fit continues
// from it and writes a model bit-identical to an uninterrupted fit: every
// stage's random stream derives from the seed alone (core/rng.h), so the
// position reached is the whole RNG state, and the statistics are summed in
// the same batches, in the same order, whatever the thread count.
#pragma once

#include <cstdint>
#include <string>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/statistics.h"
#include "smt/stages/whitener.h"

namespace smt {

class SmtModel;

struct CheckpointOptions {
  std::string dir;  // empty: no checkpoints
  bool resume = false;
  // During the coding pass, a save after at least this many (augmented)
  // images; 0: by time, at most one save per kAutoMinSeconds and never more
  // than 1/kAutoOverheadRatio of the time spent coding since the last save.
  std::int64_t every_images = 0;
};

constexpr double kAutoMinSeconds = 300;
constexpr double kAutoOverheadRatio = 40;

// How far a checkpointed fit had come (stored as its integer value).
enum class FitStage {
  kStart = 0,
  kWhitened = 1,
  kDictionary = 2,
  kCoding = 3,
  kCoded = 4,
  kFitted = 5
};
const char* stage_name(FitStage stage);

// The state one checkpoint holds; what is past its stage stays empty.
struct FitState {
  FitStage stage = FitStage::kStart;
  Whitener whitener;                // from kWhitened
  Dictionary dictionary;            // from kDictionary
  SmtStatistics stats;              // kCoding (partial) and kCoded
  std::size_t next_image = 0;       // augmented images coded into stats
  std::int64_t active_entries = 0;  // active code entries so far (for the fit report)
  std::string model_bytes;          // kFitted: the model file
};

// What to save: references into the running fit (nothing is copied).
struct FitProgress {
  FitStage stage = FitStage::kStart;
  const Whitener* whitener = nullptr;
  const Dictionary* dictionary = nullptr;
  const SmtStatistics* stats = nullptr;
  std::size_t next_image = 0;
  std::int64_t active_entries = 0;
  const SmtModel* model = nullptr;
};

class FitCheckpoint {
 public:
  static constexpr char kMagic[8] = {'S', 'M', 'T', 'C', 'K', 'P', 'T', '1'};
  static constexpr std::uint32_t kFormatVersion = 1;
  static constexpr const char* kFileName = "fit.smtc";

  FitCheckpoint() = default;  // disabled
  // Creates options.dir if missing. With resume, reads its checkpoint when
  // there is one, and refuses (smt::Error saying which) one written for
  // another configuration, other training images or another smt version.
  // Without resume an existing checkpoint is refused rather than replaced.
  FitCheckpoint(CheckpointOptions options, const Config& config, const ImageSet& train,
                const Context& ctx);

  bool enabled() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // The state read at construction (stage kStart when there was none).
  FitState& resumed() { return resumed_; }

  void save(const FitProgress& progress, const Context& ctx);
  // During the coding pass: whether a save is due at `next_image`.
  bool due(std::size_t next_image) const;
  // Removes the checkpoint file (the outputs it stood for are written).
  void remove();

  int saves() const { return saves_; }
  double seconds_saving() const { return seconds_saving_; }

 private:
  CheckpointOptions options_;
  std::string path_;
  std::string config_record_;  // the parameters that shape the model, as JSON
  std::string data_record_;    // shape, count and CRCs of the training images
  FitState resumed_;
  // The last save: its coding position, its duration, and when it ended.
  std::size_t last_image_ = 0;
  double last_seconds_ = 0;
  Timer since_last_;
  int saves_ = 0;
  double seconds_saving_ = 0;
};

}  // namespace smt
