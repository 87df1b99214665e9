// `smt eval`: the weighted k-NN with a saved model. The model fixes how images
// become features; only evaluation (k-NN) and run parameters may change here
// (resolve_config rejects the others).
#include <cstdio>

#include "command.h"
#include "smt/model/data_split.h"
#include "smt/model/memory_plan.h"
#include "smt/stages/augmented_views.h"

namespace smt_cli {

namespace {

class EvalCommand : public Subcommand {
 public:
  explicit EvalCommand(CLI::App& app) {
    cmd_ = app.add_subcommand("eval", "evaluate a saved model with the weighted k-NN");
    add_param_options(cmd_, o_, Command::kEval);
    add_data_option(cmd_, o_);
    cmd_->add_option("--model", model_path_, "model file to read")
        ->required()
        ->check(CLI::ExistingFile);
    cmd_->add_option("--metrics", o_.metrics_file, "write results as JSON here");
  }
  bool selected() const override { return cmd_->parsed(); }

  int run() const override {
    smt::Timer total;
    smt::SmtModel model = smt::SmtModel::load(model_path_);
    const smt::Config c = resolve_config(o_, model.config);
    model.config = c;
    const smt::Context ctx = make_context(c, o_.quiet, comm_);
    const std::string dir = data_dir_or_env(o_.data_dir);
    smt::RunMetrics metrics;
    smt::TrainEvalSets sets = smt::load_train_eval(dir, c, ctx, true, shard_of(ctx));
    const smt::ImageSet& train = sets.train;
    const smt::ImageSet& test = sets.eval;
    const smt::MemoryPlan plan = smt::plan_memory(
        c, train.height, train.width, smt::ViewSet::references(c).augmented(train.global_size()),
        test.global_size());
    metrics.extra()["memory_plan"] = plan.to_json();
    smt::EvalOptions eval_options;
    eval_options.block_images = plan.knn_block_images;
    eval_options.streaming = plan.streaming;
    const smt::FeatureEncoder encoder(std::make_shared<const smt::SmtModel>(std::move(model)));
    const smt::EvalResult r =
        smt::evaluate_knn(encoder, train, test, ctx, metrics, nullptr, eval_options);
    nlohmann::json m = evaluation_json(metrics, total, r, train, test, c, ctx, dir);
    add_process_metrics(m, ctx);
    if (!writes_outputs(ctx)) return 0;
    std::printf("top-1 %.2f %%  top-5 %.2f %%  (%zu train, %zu test images)\n", 100 * r.top1,
                100 * r.top5, train.global_size(), test.global_size());
    if (!o_.metrics_file.empty()) write_json(o_.metrics_file, m);
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  CommonOptions o_;
  std::string model_path_;
};

}  // namespace

std::unique_ptr<Subcommand> make_eval_command(CLI::App& app) {
  return std::make_unique<EvalCommand>(app);
}

}  // namespace smt_cli
