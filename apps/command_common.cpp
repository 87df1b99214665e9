#include <algorithm>
#include <cstdlib>

#include "command.h"
#include "signals.h"
#include "smt/core/error.h"
#include "smt/io/atomic_file.h"
#include "smt/model/data_split.h"
#include "smt/model/resource_usage.h"

namespace smt_cli {

smt::Context make_context(const smt::Config& c, bool quiet,
                          std::shared_ptr<const smt::Communicator> comm) {
  smt::Context ctx;
  ctx.threads = c.threads;
  ctx.seed = c.seed;
  const bool report = !quiet && (!comm || comm->is_root());
  ctx.observer =
      std::make_shared<SignalObserver>(report ? std::make_shared<smt::StreamObserver>() : nullptr);
  ctx.comm = std::move(comm);
  smt::apply_thread_limit(c.threads);
  return ctx;
}

smt::ShardSpec shard_of(const smt::Context& ctx) { return {ctx.rank(), ctx.processes()}; }

bool writes_outputs(const smt::Context& ctx) { return ctx.rank() == 0; }

double max_peak_rss_bytes(const smt::Context& ctx) {
  const double mine = static_cast<double>(smt::peak_rss_bytes());
  return ctx.distributed() ? ctx.comm->max(mine) : mine;
}

void add_process_metrics(nlohmann::json& m, const smt::Context& ctx) {
  if (!ctx.distributed()) return;
  nlohmann::json mine = {{"process", ctx.rank()},
                         {"seconds", m.value("seconds", nlohmann::json::object())},
                         {"communication", m.value("communication", nlohmann::json::object())},
                         {"peak_rss_bytes", smt::peak_rss_bytes()}};
  const smt::CommStats total = ctx.comm->stats();
  mine["communication_total"] = {{"seconds", total.seconds}, {"bytes", total.bytes}};
  const std::vector<std::string> all = ctx.comm->gather(mine.dump(), 0);
  if (!ctx.comm->is_root()) return;
  nlohmann::json per = nlohmann::json::array();
  std::uint64_t rss_max = 0;
  for (const std::string& s : all) {
    per.push_back(nlohmann::json::parse(s));
    rss_max = std::max<std::uint64_t>(rss_max, per.back().value("peak_rss_bytes", 0ULL));
  }
  m["processes"] = per;
  m["process_count"] = ctx.processes();
  m["peak_rss_bytes_max_over_processes"] = rss_max;
}

std::string data_dir_or_env(const std::string& d) {
  if (!d.empty()) return d;
  const char* env = std::getenv("SMT_DATA_DIR");
  SMT_CHECK(env && *env, "no data directory: pass --data DIR or set SMT_DATA_DIR");
  return env;
}

void add_data_option(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--data", o.data_dir, "dataset directory (default: $SMT_DATA_DIR)");
}

void add_checkpoint_options(CLI::App* cmd, smt::CheckpointOptions& o) {
  const std::string group = "Checkpoints";
  cmd->add_option("--checkpoint", o.dir,
                  "save the fit's state in this directory at each stage's end and during coding "
                  "(fit.smtc, replaced atomically), so that --resume can continue it after a "
                  "crash or kill; removed once the outputs are written")
      ->group(group);
  cmd->add_flag("--resume", o.resume,
                "continue the fit saved in --checkpoint DIR (refused if it was made with other "
                "options, data or smt version); without a saved fit, start from the beginning")
      ->group(group);
  cmd->add_option("--checkpoint-every", o.every_images,
                  "during coding, save after this many training images (flips and views "
                  "counted); 0 = by time: at most every 5 minutes and under 2.5 % of the fit")
      ->group(group)
      ->check(CLI::NonNegativeNumber);
}

void write_json(const std::string& path, const nlohmann::json& j) {
  smt::write_file_atomically(path, [&](std::ostream& os) { os << j.dump(2) << "\n"; });
}

nlohmann::json evaluation_json(const smt::RunMetrics& metrics, const smt::Timer& total,
                               const smt::EvalResult& r, const smt::ImageSet& train,
                               const smt::ImageSet& test, const smt::Config& c,
                               const smt::Context& ctx, const std::string& dir) {
  nlohmann::json m = metrics.to_json(total.seconds());
  m["top1"] = r.top1;
  m["top5"] = r.top5;
  m["train_images"] = train.size();
  m["test_images"] = test.size();
  m["threads"] = ctx.num_threads();
  m["train_images"] = train.global_size();
  m["test_images"] = test.global_size();
  m["config"] = c.to_json();
  m["data"] = dir;
  m["evaluated_on"] = smt::evaluated_on(c);
  return m;
}

}  // namespace smt_cli
