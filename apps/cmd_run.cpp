// `smt run`: fit on the training split, embed train and test, evaluate with
// the weighted k-NN, all in one process (training codes kept between the fit
// and the k-NN as the memory plan allows).
#include <cstdio>

#include "command.h"
#include "smt/model/data_split.h"
#include "smt/model/fit.h"
#include "smt/model/memory_plan.h"
#include "smt/model/resource_usage.h"
#include "smt/model/sgemm_probe.h"
#include "smt/stages/augmented_views.h"

namespace smt_cli {

namespace {

class RunCommand : public Subcommand {
 public:
  explicit RunCommand(CLI::App& app) {
    cmd_ = app.add_subcommand("run",
                              "fit on the training split, embed train and test, "
                              "evaluate with the weighted k-NN");
    add_param_options(cmd_, o_, Command::kRun);
    add_data_option(cmd_, o_);
    cmd_->add_option("--metrics", o_.metrics_file, "write results and timings as JSON here");
    add_checkpoint_options(cmd_, checkpoint_);
  }
  bool selected() const override { return cmd_->parsed(); }

  int run() const override {
    smt::Timer total;
    const smt::Config c = resolve_config(o_, smt::Config{});
    const smt::Context ctx = make_context(c, o_.quiet, comm_);
    const std::string dir = data_dir_or_env(o_.data_dir);
    smt::RunMetrics metrics;
    smt::Timer t_load;
    smt::TrainEvalSets sets = smt::load_train_eval(dir, c, ctx, true, shard_of(ctx));
    const smt::ImageSet& train = sets.train;
    const smt::ImageSet& test = sets.eval;
    metrics.add_seconds("load", t_load.seconds());
    const double sgemm = smt::measure_sgemm_gflops(0.5);
    ctx.log(smt::str_cat("OpenBLAS sgemm on this machine now: ", sgemm, " GFLOP/s"));
    // Planned for the whole sets, as one process would (the k-NN's blocks and
    // streamed side must be those of one process for the same predictions).
    const smt::MemoryPlan plan = smt::plan_memory(
        c, train.height, train.width, smt::ViewSet::references(c).augmented(train.global_size()),
        test.global_size());
    metrics.extra()["memory_plan"] = plan.to_json();
    smt::TrainCodes codes;
    smt::FitOptions fit_options;
    fit_options.code_cache_bytes = plan.code_cache;
    smt::FitCheckpoint checkpoint(checkpoint_, c, train, ctx);
    fit_options.checkpoint = &checkpoint;
    const smt::FeatureEncoder encoder(std::make_shared<const smt::SmtModel>(
        smt::fit_model(train, c, ctx, metrics, &codes, fit_options)));
    smt::EvalOptions eval_options;
    eval_options.block_images = plan.knn_block_images;
    eval_options.streaming = plan.streaming;
    const smt::EvalResult r =
        smt::evaluate_knn(encoder, train, test, ctx, metrics, &codes, eval_options);
    nlohmann::json m = evaluation_json(metrics, total, r, train, test, c, ctx, dir);
    m["sgemm_gflops_per_s"] = sgemm;
    add_process_metrics(m, ctx);
    const double rss = max_peak_rss_bytes(ctx);
    if (!writes_outputs(ctx)) return 0;
    std::printf(
        "top-1 %.2f %%  top-5 %.2f %%  (%zu train, %zu test images, %.1f s, peak RSS %.2f GB%s)\n",
        100 * r.top1, 100 * r.top5, train.global_size(), test.global_size(), total.seconds(),
        rss / 1e9, ctx.distributed() ? smt::str_cat(" max over ", ctx.processes(), " processes").c_str() : "");
    if (!o_.metrics_file.empty()) write_json(o_.metrics_file, m);
    checkpoint.remove();  // the outputs it stood for are written
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  CommonOptions o_;
  smt::CheckpointOptions checkpoint_;
};

}  // namespace

std::unique_ptr<Subcommand> make_run_command(CLI::App& app) {
  return std::make_unique<RunCommand>(app);
}

}  // namespace smt_cli
