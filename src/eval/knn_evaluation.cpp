#include "smt/eval/knn_evaluation.h"

#include <algorithm>

#include "smt/core/error.h"
#include "smt/eval/distributed_knn.h"
#include "smt/eval/knn.h"
#include "smt/stages/patch_source.h"

namespace smt {

namespace {

void record_knn_rate(RunMetrics& metrics, std::size_t nq, std::size_t nr, std::size_t fdim,
                     double seconds) {
  const double flops =
      2.0 * static_cast<double>(nq) * static_cast<double>(nr) * static_cast<double>(fdim);
  metrics.extra()["knn_flops"] = flops;
  metrics.extra()["knn_gflops_per_s"] = flops / std::max(seconds, 1e-9) / 1e9;
  metrics.extra()["feature_dim"] = fdim;
}

// Small training sets: training features resident, test images embedded and
// classified block by block.
EvalResult evaluate_streaming_test(const FeatureEncoder& encoder, const ImageSet& train,
                                   const ImageSet& test, const Context& ctx, RunMetrics& metrics,
                                   TrainCodes* cached, std::size_t block, int num_classes) {
  const SmtModel& model = encoder.model();
  const Config& cfg = model.config;
  const std::size_t fdim = model.feature_dim();
  const ViewSet views = ViewSet::references(cfg);
  const std::size_t n_aug = views.augmented(train.size());
  Timer t_train;
  std::vector<float> train_features(n_aug * fdim);
  std::vector<int> train_labels(n_aug);
  {
    const PatchSource labels_src(train, model.extractor(), nullptr, views, cfg.grayscale);
    encoder.encode_in_batches(train, views, 0, n_aug, train_features.data(), ctx, cached,
                              "embedding training images");
    for (std::size_t i = 0; i < n_aug; ++i) train_labels[i] = labels_src.label(i);
  }
  if (cached) {
    std::vector<CompactCodes>().swap(cached->images);  // frees the memory, not just the size
    cached->valid = false;
  }
  metrics.add_seconds("embed_train", t_train.seconds());
  Timer t_norm;
  KnnAccumulator::normalize_references(train_features.data(), n_aug, fdim);  // once, not per block
  double knn_seconds = t_norm.seconds();

  const ShardLayout refs_layout = reference_layout(train, cfg);
  KnnResult all;  // the blocks' answers, in test order
  all.top1.resize(test.size());
  all.top5.resize(test.size());
  double embed_seconds = 0;
  Progress progress(ctx, "k-NN over test images", static_cast<std::int64_t>(test.size()));
  for (std::size_t b0 = 0; b0 < test.size(); b0 += block) {
    const std::size_t bn = std::min(block, test.size() - b0);
    Timer t_embed;
    std::vector<float> queries(bn * fdim);
    encoder.encode_in_batches(test, ViewSet(), b0, b0 + bn, queries.data(), ctx, nullptr, nullptr);
    embed_seconds += t_embed.seconds();
    Timer t_knn;
    KnnAccumulator knn(std::move(queries), bn, fdim, cfg.knn_k);
    knn.set_cancellation(ctx);
    knn.set_reference_layout(refs_layout);
    knn.add_normalized_references(train_features.data(), train_labels.data(), n_aug);
    const std::vector<int> block_labels =
        test.labels.empty()
            ? std::vector<int>()
            : std::vector<int>(test.labels.begin() + static_cast<std::ptrdiff_t>(b0),
                               test.labels.begin() + static_cast<std::ptrdiff_t>(b0 + bn));
    const KnnResult res =
        knn.classify(num_classes, static_cast<float>(cfg.knn_temperature), block_labels);
    std::copy(res.top1.begin(), res.top1.end(), all.top1.begin() + static_cast<std::ptrdiff_t>(b0));
    std::copy(res.top5.begin(), res.top5.end(), all.top5.begin() + static_cast<std::ptrdiff_t>(b0));
    knn_seconds += t_knn.seconds();
    progress.update(static_cast<std::int64_t>(b0 + bn));
  }
  progress.finish();
  metrics.add_seconds("embed_test", embed_seconds);
  metrics.add_seconds("knn", knn_seconds);
  record_knn_rate(metrics, test.size(), n_aug, fdim, knn_seconds);
  all.set_accuracy(test.labels);
  EvalResult r;
  r.top1 = all.top1_accuracy;
  r.top5 = all.top5_accuracy;
  r.predictions = std::move(all.top1);
  return r;
}

}  // namespace

ShardLayout reference_layout(const ImageSet& train, const Config& cfg) {
  const std::size_t views = static_cast<std::size_t>(ViewSet::references(cfg).size());
  const std::size_t block = static_cast<std::size_t>(cfg.shard_block);
  SMT_CHECK(block > 0, param("shard-block"), " ", block, " must be positive");
  if (train.shard.whole()) return ShardLayout::of(train.size(), 0, 1, block).augmented(views);
  SMT_CHECK(train.shard.block == block, "the training images are dealt in blocks of ",
            train.shard.block, " but ", param("shard-block"), " is ", block);
  return train.shard.augmented(views);
}

double stream_references(const FeatureEncoder& encoder, const ImageSet& train, KnnAccumulator& knn,
                         std::size_t block, const Context& ctx, const TrainCodes* cached) {
  const SmtModel& model = encoder.model();
  const ViewSet views = ViewSet::references(model.config);
  const std::size_t n = views.augmented(train.size()), fdim = model.feature_dim();
  const PatchSource labels_src(train, model.extractor(), nullptr, views, model.config.grayscale);
  std::vector<float> features(block * fdim);
  std::vector<int> labels(block);
  double embed_seconds = 0;
  Progress progress(ctx, "k-NN over training images", static_cast<std::int64_t>(n));
  for (std::size_t b0 = 0; b0 < n; b0 += block) {
    const std::size_t bn = std::min(block, n - b0);
    Timer t_embed;
    encoder.encode(train, views, b0, b0 + bn, features.data(), ctx, cached);
    embed_seconds += t_embed.seconds();
    for (std::size_t i = 0; i < bn; ++i) labels[i] = labels_src.label(b0 + i);
    knn.add_references(features.data(), labels.data(), bn);
    progress.update(static_cast<std::int64_t>(b0 + bn));
  }
  progress.finish();
  return embed_seconds;
}

EvalResult evaluate_knn(const FeatureEncoder& encoder, const ImageSet& train, const ImageSet& test,
                        const Context& ctx, RunMetrics& metrics, TrainCodes* cached,
                        const EvalOptions& options) {
  if (ctx.distributed())
    return evaluate_knn_distributed(encoder, train, test, ctx, metrics, cached, options);
  const SmtModel& model = encoder.model();
  const Config& cfg = model.config;
  SMT_CHECK(test.size() >= 1, "the test set is empty");
  const std::size_t fdim = model.feature_dim();
  const int num_classes = std::max({model.num_classes, train.num_classes, test.num_classes});
  const ViewSet views = ViewSet::references(cfg);
  const std::size_t n_aug = views.augmented(train.size());
  SMT_CHECK(static_cast<std::size_t>(cfg.knn_k) <= n_aug, param("knn-k"), " ", cfg.knn_k,
            " exceeds the ", n_aug, " training images");
  const std::size_t block =
      options.block_images > 0 ? options.block_images : static_cast<std::size_t>(cfg.batch_images);
  const KnnStreaming streaming = resolve_streaming(options.streaming, n_aug, test.size());
  metrics.extra()["knn_streamed"] = streaming == KnnStreaming::kStreamTest ? "test" : "train";
  metrics.extra()["knn_block_images"] = block;
  if (streaming == KnnStreaming::kStreamTest)
    return evaluate_streaming_test(encoder, train, test, ctx, metrics, cached, block, num_classes);

  // Test features stay in memory; training features are streamed.
  Timer t_test;
  std::vector<float> test_features(test.size() * fdim);
  encoder.encode_in_batches(test, ViewSet(), 0, test.size(), test_features.data(), ctx, nullptr,
                            "embedding test images");
  metrics.add_seconds("embed_test", t_test.seconds());

  Timer t_knn;
  KnnAccumulator knn(std::move(test_features), test.size(), fdim, cfg.knn_k);
  knn.set_cancellation(ctx);
  knn.set_reference_layout(reference_layout(train, cfg));
  const double embed_seconds = stream_references(encoder, train, knn, block, ctx, cached);
  KnnResult res = knn.classify(num_classes, static_cast<float>(cfg.knn_temperature), test.labels);
  metrics.add_seconds("embed_train", embed_seconds);
  metrics.add_seconds("knn", t_knn.seconds() - embed_seconds);
  record_knn_rate(metrics, test.size(), n_aug, fdim, t_knn.seconds() - embed_seconds);
  EvalResult r;
  r.top1 = res.top1_accuracy;
  r.top5 = res.top5_accuracy;
  r.predictions = res.top1;
  return r;
}

EvalResult evaluate_knn(const SmtModel& model, const ImageSet& train, const ImageSet& test,
                        const Context& ctx, RunMetrics& metrics, TrainCodes* cached,
                        const EvalOptions& options) {
  const FeatureEncoder encoder(std::make_shared<const SmtModel>(model));
  return evaluate_knn(encoder, train, test, ctx, metrics, cached, options);
}

}  // namespace smt
