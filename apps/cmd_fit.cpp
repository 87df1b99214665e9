// `smt fit`: fit a model on the training split (less any validation images)
// and save it.
#include <filesystem>

#include "command.h"
#include "smt/core/error.h"
#include "smt/model/data_split.h"
#include "smt/model/fit.h"

namespace smt_cli {

namespace {

class FitCommand : public Subcommand {
 public:
  explicit FitCommand(CLI::App& app) {
    cmd_ = app.add_subcommand("fit", "fit a model on the training split and save it");
    add_param_options(cmd_, o_, Command::kFit);
    add_data_option(cmd_, o_);
    cmd_->add_option("--model", model_path_, "model file to write")->required();
    cmd_->add_option("--metrics", o_.metrics_file, "write timings as JSON here");
    add_checkpoint_options(cmd_, checkpoint_);
  }
  bool selected() const override { return cmd_->parsed(); }

  int run() const override {
    smt::Timer total;
    const smt::Config c = resolve_config(o_, smt::Config{});
    const smt::Context ctx = make_context(c, o_.quiet, comm_);
    // Fail on an unwritable output before hours of work, not after.
    // (Only process 0 writes: other nodes of a cluster need not see it.)
    const auto parent = std::filesystem::absolute(model_path_).parent_path();
    SMT_CHECK(!writes_outputs(ctx) || std::filesystem::is_directory(parent),
              "--model: directory '", parent.string(), "' does not exist");
    smt::RunMetrics metrics;
    const smt::ImageSet train =
        smt::load_train_eval(data_dir_or_env(o_.data_dir), c, ctx, false, shard_of(ctx)).train;
    smt::FitCheckpoint checkpoint(checkpoint_, c, train, ctx);
    smt::FitOptions options;
    options.checkpoint = &checkpoint;
    const smt::SmtModel model = smt::fit_model(train, c, ctx, metrics, nullptr, options);
    nlohmann::json m = metrics.to_json(total.seconds());
    m["train_images"] = train.global_size();
    m["config"] = c.to_json();
    add_process_metrics(m, ctx);
    if (!writes_outputs(ctx)) return 0;
    model.save(model_path_);
    ctx.log("model written to " + model_path_);
    if (!o_.metrics_file.empty()) write_json(o_.metrics_file, m);
    checkpoint.remove();  // the outputs it stood for are written
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  CommonOptions o_;
  std::string model_path_;
  smt::CheckpointOptions checkpoint_;
};

}  // namespace

std::unique_ptr<Subcommand> make_fit_command(CLI::App& app) {
  return std::make_unique<FitCommand>(app);
}

}  // namespace smt_cli
