// `smt embed`: apply a saved model to a split and write the features (.npy).
#include <cstdint>
#include <string>
#include <vector>

#include "command.h"
#include "smt/core/communicator.h"
#include "smt/core/error.h"
#include "smt/io/npy.h"
#include "smt/model/data_split.h"
#include "smt/model/feature_encoder.h"

namespace smt_cli {

namespace {

class EmbedCommand : public Subcommand {
 public:
  explicit EmbedCommand(CLI::App& app) {
    cmd_ = app.add_subcommand("embed", "apply a saved model to a split, write features (.npy)");
    add_param_options(cmd_, o_, Command::kEmbed);
    add_data_option(cmd_, o_);
    cmd_->add_option("--model", model_path_, "model file to read")
        ->required()
        ->check(CLI::ExistingFile);
    cmd_->add_option("--split", split_,
                     "train or test (default test); with --validation N, also when the model was "
                     "fitted with it, test is the N held-out training images and train the rest "
                     "(--validation 0 for the test split)")
        ->check(CLI::IsMember({"train", "test"}));
    cmd_->add_option("--out", out_, "features file to write (.npy, float32 N x D)")->required();
    cmd_->add_option("--labels-out", labels_out_, "also write the labels (.npy, int32 N)");
  }
  bool selected() const override { return cmd_->parsed(); }

  int run() const override {
    auto model = std::make_shared<const smt::SmtModel>(smt::SmtModel::load(model_path_));
    const smt::Config c = resolve_config(o_, model->config);
    const smt::Context ctx = make_context(c, o_.quiet, comm_);
    const bool train = split_ == "train";
    // With --validation N (given here or fixed when the model was fitted) the
    // splits are the ones smt run and smt eval use: "train" is the fit part and
    // "test" the held-out images, not the test split.
    const std::string dir = data_dir_or_env(o_.data_dir);
    smt::ImageSet images;
    if (train || c.validation > 0) {
      smt::TrainEvalSets sets = smt::load_train_eval(dir, c, ctx, false, shard_of(ctx));
      images = train ? std::move(sets.train) : std::move(sets.eval);
    } else {
      images = smt::load_test_split(dir, c, ctx, shard_of(ctx));
    }
    const smt::FeatureEncoder encoder(model);
    std::vector<float> features(images.size() * encoder.feature_dim());
    smt::Timer t;
    encoder.encode(images, smt::ViewSet(), 0, images.size(), features.data(), ctx);
    std::vector<std::int32_t> labels(images.labels.begin(), images.labels.end());
    if (ctx.distributed()) {
      // Each process embedded its shard; process 0 writes them in order.
      features =
          smt::gather_rows(*ctx.comm, images.layout(), features, encoder.feature_dim(), "features");
      labels = smt::gather_rows(*ctx.comm, images.layout(), labels, 1, "labels");
      if (!writes_outputs(ctx)) return 0;
    }
    const std::size_t n = images.global_size();
    SMT_CHECK(features.size() == n * encoder.feature_dim() && labels.size() == n,
              "the processes embedded ", labels.size(), " of ", n, " images");
    ctx.log(smt::str_cat("embedded ", n, " images in ", t.seconds(), "s"));
    smt::write_npy(out_, features.data(), {n, encoder.feature_dim()});
    if (!labels_out_.empty()) smt::write_npy(labels_out_, labels.data(), {labels.size()});
    ctx.log("features written to " + out_);
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  CommonOptions o_;
  std::string model_path_, split_ = "test", out_, labels_out_;
};

}  // namespace

std::unique_ptr<Subcommand> make_embed_command(CLI::App& app) {
  return std::make_unique<EmbedCommand>(app);
}

}  // namespace smt_cli
