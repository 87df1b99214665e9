#include <cstdlib>

#include "command.h"
#include "signals.h"
#include "smt/core/error.h"
#include "smt/io/atomic_file.h"
#include "smt/model/data_split.h"

namespace smt_cli {

smt::Context make_context(const smt::Config& c, bool quiet) {
  smt::Context ctx;
  ctx.threads = c.threads;
  ctx.seed = c.seed;
  ctx.observer =
      std::make_shared<SignalObserver>(quiet ? nullptr : std::make_shared<smt::StreamObserver>());
  smt::apply_thread_limit(c.threads);
  return ctx;
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
  m["config"] = c.to_json();
  m["data"] = dir;
  m["evaluated_on"] = smt::evaluated_on(c);
  return m;
}

}  // namespace smt_cli
