#include "smt/eval/distributed_knn.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "smt/core/error.h"
#include "smt/eval/knn.h"
#include "smt/stages/patch_source.h"

namespace smt {

namespace {

// Every process's neighbour lists of the same n queries, merged on process 0.
KnnNeighbors merge_on_root(const Communicator& comm, const KnnNeighbors& mine, std::size_t n) {
  const std::vector<std::string> parts = comm.gather(neighbors_to_bytes(mine), 0);
  if (!comm.is_root()) return {};
  std::vector<KnnNeighbors> lists;
  lists.reserve(parts.size());
  for (const std::string& p : parts) lists.push_back(neighbors_from_bytes(p, n, mine.k));
  return merge_neighbors(lists, n);
}

}  // namespace

EvalResult evaluate_knn_distributed(const FeatureEncoder& encoder, const ImageSet& train,
                                    const ImageSet& test, const Context& ctx, RunMetrics& metrics,
                                    TrainCodes* cached, const EvalOptions& options) {
  const Communicator& comm = *ctx.comm;
  const SmtModel& model = encoder.model();
  const Config& cfg = model.config;
  const std::size_t fdim = model.feature_dim();
  const int num_classes = std::max({model.num_classes, train.num_classes, test.num_classes});
  const ViewSet views = ViewSet::references(cfg);
  const std::size_t n_local = views.augmented(train.size());
  const std::size_t n_all = views.augmented(train.global_size());
  const ShardLayout ref_layout = reference_layout(train, cfg);
  const std::size_t n_test = test.global_size();
  SMT_CHECK(n_test >= 1, "the test set is empty");
  SMT_CHECK(static_cast<std::size_t>(cfg.knn_k) <= n_all, param("knn-k"), " ", cfg.knn_k,
            " exceeds the ", n_all, " training images");
  const std::size_t block =
      options.block_images > 0 ? options.block_images : static_cast<std::size_t>(cfg.batch_images);
  // Decided on the whole sets, as one process would.
  const KnnStreaming streaming = resolve_streaming(options.streaming, n_all, n_test);
  metrics.extra()["knn_streamed"] = streaming == KnnStreaming::kStreamTest ? "test" : "train";
  metrics.extra()["knn_block_images"] = block;
  const float temperature = static_cast<float>(cfg.knn_temperature);

  // Every process embeds its evaluation shard; all get every feature.
  const CommMeter comm_test(ctx.comm);
  Timer t_test;
  std::vector<float> mine(test.size() * fdim);
  encoder.encode_in_batches(test, ViewSet(), 0, test.size(), mine.data(), ctx, nullptr,
                            "embedding test images");
  std::vector<float> queries = allgather_rows(comm, test.layout(), mine, fdim, "test features");
  std::vector<float>().swap(mine);
  // Every test image has a label (the loaders give one to each).
  const std::vector<int> test_labels =
      allgather_rows(comm, test.layout(), test.labels, 1, "test labels");
  metrics.add_seconds("embed_test", t_test.seconds());
  const CommStats c_test = comm_test.elapsed();
  metrics.add_communication("embed_test", c_test.seconds, c_test.bytes);

  const PatchSource labels_src(train, model.extractor(), nullptr, views, cfg.grayscale);
  EvalResult r;
  r.top1 = r.top5 = std::numeric_limits<double>::quiet_NaN();
  Timer t_knn;
  double embed_seconds = 0;
  const CommMeter comm_knn(ctx.comm);
  KnnResult all;
  if (streaming == KnnStreaming::kStreamTrain) {
    // All queries at once, this shard's references streamed.
    KnnAccumulator knn(std::move(queries), n_test, fdim, cfg.knn_k);
    knn.set_cancellation(ctx);
    knn.set_reference_layout(ref_layout);
    embed_seconds += stream_references(encoder, train, knn, block, ctx, cached);
    const KnnNeighbors merged = merge_on_root(comm, knn.neighbors(), n_test);
    if (comm.is_root())
      all = classify_neighbors(merged, n_test, static_cast<std::int64_t>(n_all), num_classes,
                               temperature, test_labels);
  } else {
    // This shard's references resident; the queries scored in the blocks one
    // process would use (the same sgemm shapes, so the same bits).
    Timer t_embed;
    std::vector<float> refs(n_local * fdim);
    std::vector<int> ref_labels(n_local);
    encoder.encode_in_batches(train, views, 0, n_local, refs.data(), ctx, cached,
                              "embedding training images");
    for (std::size_t i = 0; i < n_local; ++i) ref_labels[i] = labels_src.label(i);
    if (cached) {
      std::vector<CompactCodes>().swap(cached->images);
      cached->valid = false;
    }
    KnnAccumulator::normalize_references(refs.data(), n_local, fdim);
    embed_seconds += t_embed.seconds();
    all.top1.resize(n_test);
    all.top5.resize(n_test);
    Progress progress(ctx, "k-NN over test images", static_cast<std::int64_t>(n_test));
    for (std::size_t b0 = 0; b0 < n_test; b0 += block) {
      const std::size_t bn = std::min(block, n_test - b0);
      KnnAccumulator knn(queries.data() + b0 * fdim, bn, fdim, cfg.knn_k);
      knn.set_cancellation(ctx);
      knn.set_reference_layout(ref_layout);
      knn.add_normalized_references(refs.data(), ref_labels.data(), n_local);
      const KnnNeighbors merged = merge_on_root(comm, knn.neighbors(), bn);
      if (comm.is_root()) {
        const std::vector<int> block_labels =
            test_labels.empty()
                ? std::vector<int>()
                : std::vector<int>(test_labels.begin() + static_cast<std::ptrdiff_t>(b0),
                                   test_labels.begin() + static_cast<std::ptrdiff_t>(b0 + bn));
        const KnnResult res = classify_neighbors(merged, bn, static_cast<std::int64_t>(n_all),
                                                 num_classes, temperature, block_labels);
        std::copy(res.top1.begin(), res.top1.end(),
                  all.top1.begin() + static_cast<std::ptrdiff_t>(b0));
        std::copy(res.top5.begin(), res.top5.end(),
                  all.top5.begin() + static_cast<std::ptrdiff_t>(b0));
      }
      progress.update(static_cast<std::int64_t>(b0 + bn));
    }
    progress.finish();
    if (comm.is_root()) all.set_accuracy(test_labels);
  }
  metrics.add_seconds("embed_train", embed_seconds);
  const double knn_seconds = t_knn.seconds() - embed_seconds;
  metrics.add_seconds("knn", knn_seconds);
  const CommStats c_knn = comm_knn.elapsed();
  metrics.add_communication("knn", c_knn.seconds, c_knn.bytes);
  metrics.extra()["knn_flops"] =
      2.0 * static_cast<double>(n_test) * static_cast<double>(n_local) * static_cast<double>(fdim);
  metrics.extra()["feature_dim"] = fdim;
  if (comm.is_root()) {
    r.top1 = all.top1_accuracy;
    r.top5 = all.top5_accuracy;
    r.predictions = std::move(all.top1);
  }
  return r;
}

}  // namespace smt
