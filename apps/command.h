// One `smt` subcommand: registers its options on the CLI11 app, and runs
// when the user selected it. Each command lives in its own file.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_params.h"
#include "smt/core/config.h"
#include "smt/core/communicator.h"
#include "smt/core/context.h"
#include "smt/core/image_set.h"
#include "smt/eval/knn_evaluation.h"
#include "smt/model/checkpoint.h"
#include "smt/model/data_split.h"
#include "smt/model/run_metrics.h"

namespace smt_cli {

class Subcommand {
 public:
  virtual ~Subcommand() = default;
  virtual bool selected() const = 0;
  virtual int run() const = 0;  // throws smt::Error
  // The processes of a distributed run (main sets it under mpirun); null: one.
  void set_communicator(std::shared_ptr<const smt::Communicator> comm) { comm_ = std::move(comm); }

 protected:
  std::shared_ptr<const smt::Communicator> comm_;
};

std::unique_ptr<Subcommand> make_run_command(CLI::App& app);
std::unique_ptr<Subcommand> make_fit_command(CLI::App& app);
std::unique_ptr<Subcommand> make_embed_command(CLI::App& app);
std::unique_ptr<Subcommand> make_eval_command(CLI::App& app);

// Helpers the commands share.
// The run context of a resolved configuration: threads (also applied to
// OpenMP and OpenBLAS), seed, and progress on stderr unless quiet.
// In a distributed run only process 0 reports progress.
smt::Context make_context(const smt::Config& c, bool quiet,
                          std::shared_ptr<const smt::Communicator> comm);
// This process's shard of the images (all of them in one process).
smt::ShardSpec shard_of(const smt::Context& ctx);
// Only process 0 writes output files and prints results.
bool writes_outputs(const smt::Context& ctx);
// A distributed run's per-process figures for the metrics JSON, on process 0
// ("processes": each one's seconds, communication and peak RSS; the peak
// RSS's maximum over processes); nothing in one process. Collective.
void add_process_metrics(nlohmann::json& m, const smt::Context& ctx);
// The largest peak RSS over the processes (this one's in one process). Collective.
double max_peak_rss_bytes(const smt::Context& ctx);
// --data, else $SMT_DATA_DIR.
std::string data_dir_or_env(const std::string& dir);
void add_data_option(CLI::App* cmd, CommonOptions& o);
// --checkpoint DIR, --resume, --checkpoint-every N (fit and run).
void add_checkpoint_options(CLI::App* cmd, smt::CheckpointOptions& o);
// Writes JSON atomically.
void write_json(const std::string& path, const nlohmann::json& j);
// The results smt run and smt eval both report, for scripts.
nlohmann::json evaluation_json(const smt::RunMetrics& metrics, const smt::Timer& total,
                               const smt::EvalResult& r, const smt::ImageSet& train,
                               const smt::ImageSet& test, const smt::Config& c,
                               const smt::Context& ctx, const std::string& dir);

}  // namespace smt_cli
