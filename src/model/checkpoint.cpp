#include "smt/model/checkpoint.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "smt/core/error.h"
#include "smt/core/param_table.h"
#include "smt/io/binary_format.h"
#include "smt/model/model.h"

namespace smt {

namespace fs = std::filesystem;

namespace {

// The parameters a resumed fit must share with the one that saved: those of
// the model and of its execution, less the thread count (which changes no
// bit of the result).
nlohmann::json shaping_parameters(const Config& config) {
  nlohmann::json all = config.to_json(), out = nlohmann::json::object();
  for (auto it = all.begin(); it != all.end(); ++it) {
    const ParamScope scope = param_scope(it.key());
    if ((scope == ParamScope::kModel || scope == ParamScope::kExec) && it.key() != "threads")
      out[it.key()] = it.value();
  }
  return out;
}

nlohmann::json data_fingerprint(const ImageSet& train) {
  return {{"images", train.size()},
          {"height", train.height},
          {"width", train.width},
          {"channels", train.channels},
          {"classes", train.num_classes},
          {"pixels_crc32", crc32_bytes(train.pixels.data(), train.pixels.size())},
          {"labels_crc32", crc32_bytes(train.labels.data(), train.labels.size() * sizeof(int))}};
}

std::string describe_data(const nlohmann::json& d) {
  return str_cat(d.value("images", 0), " images of ", d.value("height", 0), "x",
                 d.value("width", 0), "x", d.value("channels", 0), ", pixel CRC-32 ",
                 d.value("pixels_crc32", 0u));
}

// "dict-size 4096 there, 8192 here; ..." for the keys whose values differ.
std::string differences(const nlohmann::json& there, const nlohmann::json& here) {
  std::string out;
  auto note = [&out](const std::string& key, const std::string& a, const std::string& b) {
    out += str_cat(out.empty() ? "" : "; ", key, " ", a, " there, ", b, " here");
  };
  for (auto it = here.begin(); it != here.end(); ++it) {
    if (!there.contains(it.key()))
      note(it.key(), "(absent)", it.value().dump());
    else if (there[it.key()] != it.value())
      note(it.key(), there[it.key()].dump(), it.value().dump());
  }
  for (auto it = there.begin(); it != there.end(); ++it)
    if (!here.contains(it.key())) note(it.key(), it.value().dump(), "(absent)");
  return out;
}

FitStage checked_stage(std::int64_t v, const std::string& path) {
  SMT_CHECK(v >= static_cast<std::int64_t>(FitStage::kStart) &&
                v <= static_cast<std::int64_t>(FitStage::kFitted),
            "checkpoint '", path, "': invalid stage ", v);
  return static_cast<FitStage>(v);
}

// Temporaries of fit.smtc that a killed process left (the atomic writer's
// `<path>.tmp-<pid>-<random>`; SIGKILL gives it no chance to remove them):
// those whose process is gone.
void remove_stale_temporaries(const std::string& dir) {
  const std::string prefix = std::string(FitCheckpoint::kFileName) + ".tmp-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
    }
  }
}

}  // namespace

const char* stage_name(FitStage stage) {
  switch (stage) {
    case FitStage::kStart:
      return "start";
    case FitStage::kWhitened:
      return "whitening done";
    case FitStage::kDictionary:
      return "dictionary done";
    case FitStage::kCoding:
      return "coding and statistics in progress";
    case FitStage::kCoded:
      return "coding and statistics done";
    case FitStage::kFitted:
      return "eigenproblem solved";
  }
  return "?";
}

FitCheckpoint::FitCheckpoint(CheckpointOptions options, const Config& config, const ImageSet& train,
                             const Context& ctx)
    : options_(std::move(options)) {
  if (options_.dir.empty()) return;
  SMT_CHECK(options_.every_images >= 0, "--checkpoint-every must be >= 0 images, got ",
            options_.every_images);
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  SMT_CHECK(fs::is_directory(options_.dir), "--checkpoint: cannot create the directory '",
            options_.dir, "'", ec ? str_cat(" (", ec.message(), ")") : std::string(),
            "; name a writable directory");
  path_ = (fs::path(options_.dir) / kFileName).string();
  remove_stale_temporaries(options_.dir);
  const nlohmann::json config_record = shaping_parameters(config);
  const nlohmann::json data_record = data_fingerprint(train);
  config_record_ = config_record.dump();
  data_record_ = data_record.dump();
  if (!fs::exists(path_)) {
    if (options_.resume)
      ctx.log(str_cat("checkpoint: nothing to resume in '", options_.dir,
                      "'; starting from the beginning"));
    return;
  }
  SMT_CHECK(options_.resume, "'", options_.dir, "' already holds a checkpoint (", path_,
            "); pass --resume to continue that fit, or remove the file (or name another "
            "--checkpoint directory) to start over");
  const SectionReader r(path_, kMagic, kFormatVersion);
  const std::string version = r.str("smt.version");
  SMT_CHECK(version == SMT_VERSION_STRING, "checkpoint '", path_, "' was written by smt ", version,
            " and this is smt ", SMT_VERSION_STRING,
            ": a checkpoint resumes only with the version that wrote it; remove it to start over");
  nlohmann::json there_config, there_data;
  try {
    there_config = nlohmann::json::parse(r.str("config"));
    there_data = nlohmann::json::parse(r.str("data"));
  } catch (const nlohmann::json::exception& e) {
    SMT_THROW("checkpoint '", path_, "': damaged configuration record (", e.what(), ")");
  }
  SMT_CHECK(there_config == config_record, "checkpoint '", path_,
            "' was written for another configuration (", differences(there_config, config_record),
            "): resume with the options it was started with, or remove it to start over");
  SMT_CHECK(there_data == data_record, "checkpoint '", path_,
            "' was written for other training images (", describe_data(there_data), " there; ",
            describe_data(data_record),
            " here): resume on the same dataset and limits, or remove it to start over");
  FitState& s = resumed_;
  s.stage = checked_stage(r.i64("stage"), path_);
  // A fitted checkpoint holds only the model (which has the rest).
  const bool fitted = s.stage == FitStage::kFitted;
  if (s.stage >= FitStage::kWhitened && !fitted) s.whitener = Whitener::load(r);
  if (s.stage >= FitStage::kDictionary && !fitted) s.dictionary = Dictionary::load(r);
  if (s.stage == FitStage::kCoding || s.stage == FitStage::kCoded) {
    s.stats = SmtStatistics::load(r);
    const std::int64_t next = r.i64("coding.next_image");
    SMT_CHECK(next >= 0, "checkpoint '", path_, "': invalid coding position ", next);
    s.next_image = static_cast<std::size_t>(next);
    s.active_entries = r.i64("coding.active_entries");
  }
  if (fitted) s.model_bytes = r.str("model");
  last_image_ = s.next_image;
  ctx.log(str_cat(
      "checkpoint: resuming from '", path_, "' (", stage_name(s.stage),
      s.stage == FitStage::kCoding ? str_cat(", ", s.next_image, " images coded") : std::string(),
      ")"));
}

void FitCheckpoint::save(const FitProgress& p, const Context& ctx) {
  if (!enabled()) return;
  Timer t;
  SectionWriter w;
  w.add_string("smt.version", SMT_VERSION_STRING);
  w.add_string("config", config_record_);
  w.add_string("data", data_record_);
  w.add_i64("stage", static_cast<std::int64_t>(p.stage));
  const bool fitted = p.stage == FitStage::kFitted;
  if (p.stage >= FitStage::kWhitened && !fitted) {
    SMT_CHECK(p.whitener, "checkpoint: no whitener to save");
    p.whitener->save(w, true);
  }
  if (p.stage >= FitStage::kDictionary && !fitted) {
    SMT_CHECK(p.dictionary, "checkpoint: no dictionary to save");
    p.dictionary->save(w);
  }
  if (p.stage == FitStage::kCoding || p.stage == FitStage::kCoded) {
    SMT_CHECK(p.stats, "checkpoint: no statistics to save");
    p.stats->save(w);
    w.add_i64("coding.next_image", static_cast<std::int64_t>(p.next_image));
    w.add_i64("coding.active_entries", p.active_entries);
  }
  if (fitted) {
    SMT_CHECK(p.model, "checkpoint: no model to save");
    std::ostringstream bytes;
    p.model->save(bytes);
    w.add_string("model", bytes.str());
  }
  w.save(path_, kMagic, kFormatVersion);
  last_image_ = p.next_image;
  last_seconds_ = t.seconds();
  since_last_ = Timer();
  ++saves_;
  seconds_saving_ += last_seconds_;
  ctx.log(str_cat(
      "checkpoint: saved (", stage_name(p.stage),
      p.stage == FitStage::kCoding ? str_cat(", ", p.next_image, " images coded") : std::string(),
      ") in ", last_seconds_, "s"));
}

bool FitCheckpoint::due(std::size_t next_image) const {
  if (!enabled()) return false;
  if (options_.every_images > 0)
    return next_image >= last_image_ + static_cast<std::size_t>(options_.every_images);
  return since_last_.seconds() >= std::max(kAutoMinSeconds, kAutoOverheadRatio * last_seconds_);
}

void FitCheckpoint::remove() {
  if (!enabled()) return;
  std::error_code ec;
  fs::remove(path_, ec);
}

}  // namespace smt
