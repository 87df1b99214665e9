#include "smt/model/pipeline.h"

#include <cblas.h>
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>

#include "smt/core/error.h"
#include "smt/eval/knn.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/pooling.h"
#include "smt/stages/statistics.h"

namespace smt {

void RunMetrics::add_seconds(const std::string& stage, double s) {
  peak_rss_after_[stage] = peak_rss_bytes();
  for (auto& [name, v] : seconds_) {
    if (name == stage) {
      v += s;
      return;
    }
  }
  seconds_.emplace_back(stage, s);
}

double RunMetrics::seconds(const std::string& stage) const {
  for (const auto& [name, v] : seconds_)
    if (name == stage) return v;
  return 0;
}

nlohmann::json RunMetrics::to_json(double total) const {
  nlohmann::json j = extra_;
  nlohmann::json s = nlohmann::json::object();
  for (const auto& [name, v] : seconds_) s[name] = v;
  s["total"] = total;
  j["seconds"] = s;
  j["peak_rss_bytes"] = peak_rss_bytes();
  j["peak_rss_bytes_after_stage"] = peak_rss_after_;
  j["disk_write_bytes"] = disk_write_bytes();
  return j;
}

std::int64_t current_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  if (!(f >> pages >> resident)) return 0;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

std::int64_t disk_write_bytes() {
  std::ifstream f("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (f >> key >> value)
    if (key == "write_bytes:") return value;
  return -1;
}

KnnStreaming resolve_streaming(KnnStreaming s, std::size_t train_images, std::size_t test_images) {
  if (s != KnnStreaming::kAuto) return s;
  return train_images < test_images ? KnnStreaming::kStreamTest : KnnStreaming::kStreamTrain;
}

nlohmann::json MemoryPlan::to_json() const {
  return {{"limit_bytes", limit},
          {"base_bytes", base},
          {"fit_fixed_bytes", fit_fixed},
          {"knn_fixed_bytes", knn_fixed},
          {"code_cache_bytes", code_cache},
          {"knn_streamed", streaming == KnnStreaming::kStreamTest ? "test" : "train"},
          {"knn_block_images", knn_block_images}};
}

MemoryPlan plan_memory(const Config& cfg, int height, int width, std::size_t train_images,
                       std::size_t test_images) {
  MemoryPlan p;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  if (cfg.memory_limit_gb > 0) {
    p.limit = static_cast<std::size_t>(cfg.memory_limit_gb * gib);
  } else {
    const double phys =
        static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    p.limit = static_cast<std::size_t>(0.6 * phys);
  }
  p.base = static_cast<std::size_t>(current_rss_bytes()) + (std::size_t{256} << 20);
  const std::size_t k = static_cast<std::size_t>(cfg.dict_size);
  // Statistics: L and (unless codes are one-hot) V as K x K doubles, reused in
  // place by the solver, plus its n x p blocks (p = 2 (skip + d) columns: the
  // basis, its image, the Ritz vectors and their image, QR workspace).
  const std::size_t m = static_cast<std::size_t>(cfg.skip + cfg.embed_dim);
  const std::size_t block = std::min(k, std::max(2 * m, m + 16));
  p.fit_fixed = ((cfg.vector_quantization() ? 1 : 2) * k * k + 5 * k * block) * sizeof(double);
  const int g_h = (height - cfg.patch_size) / cfg.stride + 1;
  const int g_w = (width - cfg.patch_size) / cfg.stride + 1;
  const int o_h = g_h >= cfg.pool_window ? (g_h - cfg.pool_window) / cfg.pool_stride + 1 : 0;
  const int o_w = g_w >= cfg.pool_window ? (g_w - cfg.pool_window) / cfg.pool_stride + 1 : 0;
  const std::size_t fdim = static_cast<std::size_t>(std::max(o_h, 1)) * std::max(o_w, 1) *
                           static_cast<std::size_t>(cfg.embed_dim);
  const std::size_t feature_bytes = fdim * sizeof(float);
  p.streaming = resolve_streaming(KnnStreaming::kAuto, train_images, test_images);
  const bool stream_test = p.streaming == KnnStreaming::kStreamTest;
  const std::size_t resident_images = stream_test ? train_images : test_images;
  const std::size_t other_images = stream_test ? test_images : train_images;
  const std::size_t resident_bytes = resident_images * feature_bytes;
  // A streamed block: up to 5 % of the budget (12.5 % when streaming the test
  // side, where each block re-reads the resident training features), 16..4096
  // images, with its row of similarities.
  const std::size_t per_image = feature_bytes + resident_images * sizeof(float);
  p.knn_block_images = std::clamp<std::size_t>(
      p.limit / (stream_test ? 8 : 20) / std::max<std::size_t>(per_image, 1), 16, 4096);
  p.knn_block_images = std::min(p.knn_block_images, std::max<std::size_t>(other_images, 1));
  // Plus the k-NN's own buffers (similarity block, normalised references).
  p.knn_fixed = resident_bytes + p.knn_block_images * per_image + (std::size_t{160} << 20);
  const std::size_t need = p.base + std::max(p.fit_fixed, p.knn_fixed);
  auto in_gib = [&](std::size_t b) { return std::round(static_cast<double>(b) / gib * 100) / 100; };
  SMT_CHECK(need <= p.limit, "--memory-limit ", in_gib(p.limit), " GiB is below the ", in_gib(need),
            " GiB this run needs at least (", in_gib(p.fit_fixed), " GiB for the ", k, "x", k,
            " statistics and their solve, ", in_gib(resident_bytes), " GiB for the features of ",
            resident_images, stream_test ? " training" : " test", " images, ", in_gib(p.base),
            " GiB already in use); raise --memory-limit or lower --dict-size / --test-limit");
  // Kept codes live through the fit and, streaming the training side, through
  // the k-NN; streaming the test side they are dropped once the training
  // features exist (both are resident for that moment).
  const std::size_t with_codes =
      stream_test ? p.base + std::max(p.fit_fixed, resident_bytes) : need;
  p.code_cache = p.limit > with_codes ? p.limit - with_codes : 0;
  return p;
}

std::int64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::int64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

double measure_sgemm_gflops(double seconds) {
  const int n = 1024;
  std::vector<float> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<float>(i % 7) * 0.1f;
    b[i] = static_cast<float>(i % 5) * 0.2f;
  }
  auto once = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
  };
  once();  // warm-up: thread pool start, page faults
  Timer t;
  int reps = 0;
  do {
    once();
    ++reps;
  } while (t.seconds() < seconds);
  return 2.0 * n * n * static_cast<double>(n) * reps / t.seconds() / 1e9;
}

namespace {

void code_image(const PatchSource& src, const SparseCoder& coder, std::size_t i,
                std::vector<float>& patches, std::vector<float>& scratch,
                SparseCoder::Scratch& coder_scratch, PatchCodes& out) {
  src.patches(i, patches.data(), scratch);
  out.clear();
  coder.encode(patches.data(), src.patches_per_image(), out, coder_scratch);
}

}  // namespace

SmtModel fit_model(const ImageSet& train, const Config& cfg, const Context& ctx,
                   RunMetrics& metrics, TrainCodes* keep, const FitOptions& options) {
  cfg.validate();
  SMT_CHECK(train.size() >= 1, "the training set is empty");
  const int threads = ctx.num_threads();
  SmtModel model;
  model.config = cfg;
  model.height = train.height;
  model.width = train.width;
  model.channels = cfg.grayscale ? 1 : train.channels;
  model.num_classes = train.num_classes;
  const PatchExtractor ex = model.extractor();
  const std::size_t n_aug = train.size() * (cfg.flip ? 2 : 1);
  ctx.log(str_cat("fit: ", train.size(), " training images", cfg.flip ? " + flips" : "", ", ",
                  ex.grid_h(), "x", ex.grid_w(), " patches of ", ex.dim(), " values each"));

  // 1. Whitening from the moments of every training patch.
  Timer t_white;
  {
    const PatchSource raw(train, ex, nullptr, cfg.flip, cfg.grayscale);
    std::vector<MomentAccumulator> parts(threads, MomentAccumulator(ex.dim()));
#pragma omp parallel num_threads(threads)
    {
      std::vector<float> buf(static_cast<std::size_t>(ex.num_patches()) * ex.dim()), scratch;
      MomentAccumulator& acc = parts[omp_get_thread_num()];
#pragma omp for schedule(static)
      for (std::size_t i = 0; i < n_aug; ++i) {
        raw.patches(i, buf.data(), scratch);
        acc.add(buf.data(), ex.num_patches());
      }
    }
    for (int t = 1; t < threads; ++t) parts[0].merge(parts[t]);  // fixed order
    model.whitener = Whitener::fit(parts[0], cfg.whiten_tol);
  }
  metrics.add_seconds("whitening", t_white.seconds());
  ctx.log(str_cat("whitening fitted in ", t_white.seconds(), "s"));

  const PatchSource src(train, ex, &model.whitener, cfg.flip, cfg.grayscale);
  // 2. Dictionary.
  Timer t_dict;
  model.dictionary = Dictionary::fit(src, cfg, ctx);
  metrics.add_seconds("dictionary", t_dict.seconds());

  // 3. Coding of every training patch, streamed into the statistics.
  Timer t_code;
  const SparseCoder coder = model.coder();
  OperatorSpec spec{cfg.op, cfg.neighborhood, cfg.zero_code};
  SmtStatistics stats(cfg.dict_size, coder.vector_quantization(), spec);
  bool caching = keep != nullptr && options.code_cache_bytes > 0;
  std::size_t cached_bytes = 0;
  if (keep) {
    keep->images.clear();
    keep->valid = false;
  }
  const std::size_t batch = static_cast<std::size_t>(cfg.batch_images);
  std::vector<PatchCodes> codes(batch);
  std::vector<CompactCodes> packed(batch);  // the batch's codes as the cache keeps them
  std::vector<const PatchCodes*> ptrs;
  double stats_seconds = 0;
  std::int64_t active_entries = 0;
  Progress progress(ctx, "coding training images", static_cast<std::int64_t>(n_aug));
  for (std::size_t b0 = 0; b0 < n_aug; b0 += batch) {
    const std::size_t bn = std::min(batch, n_aug - b0);
#pragma omp parallel num_threads(threads) reduction(+ : active_entries)
    {
      std::vector<float> patches(static_cast<std::size_t>(ex.num_patches()) * ex.dim()), scratch;
      SparseCoder::Scratch cs;
#pragma omp for schedule(dynamic, 1)
      for (std::size_t i = 0; i < bn; ++i) {
        code_image(src, coder, b0 + i, patches, scratch, cs, codes[i]);
        active_entries += static_cast<std::int64_t>(codes[i].atoms.size());
        if (caching) packed[i] = CompactCodes(codes[i]);
      }
    }
    Timer t_stats;
    ptrs.clear();
    for (std::size_t i = 0; i < bn; ++i) ptrs.push_back(&codes[i]);
    stats.add_images(ptrs, ex.grid_h(), ex.grid_w(), ctx);
    stats_seconds += t_stats.seconds();
    // Keep codes while they fit the budget: the images that do not fit are
    // recoded for the k-NN (a prefix of the training set stays cached).
    for (std::size_t i = 0; caching && i < bn; ++i) {
      if (cached_bytes + packed[i].bytes() > options.code_cache_bytes) {
        ctx.log(str_cat("training codes fill the ", options.code_cache_bytes >> 20,
                        " MiB cache budget after ", keep->images.size(), " of ", n_aug,
                        " images: the rest will be recoded for the k-NN"));
        caching = false;
        break;
      }
      cached_bytes += packed[i].bytes();
      keep->images.push_back(std::move(packed[i]));
    }
    progress.update(static_cast<std::int64_t>(b0 + bn));
  }
  progress.finish();
  std::vector<PatchCodes>().swap(codes);  // the last batch's codes: memory the solver can use
  std::vector<CompactCodes>().swap(packed);
  if (keep) keep->valid = true;
  metrics.extra()["train_codes_cached_images"] = keep ? keep->images.size() : 0;
  metrics.extra()["train_code_bytes"] = cached_bytes;
  const double code_seconds = t_code.seconds();
  metrics.add_seconds("coding", code_seconds - stats_seconds);
  metrics.add_seconds("statistics", stats_seconds);
  const std::int64_t n_patches = static_cast<std::int64_t>(n_aug) * ex.num_patches();
  const double code_flops = coder.flops(n_patches);
  auto& x = metrics.extra();
  x["train_patches"] = n_patches;
  x["coding_flops"] = code_flops;
  x["coding_gflops_per_s"] = code_flops / std::max(code_seconds - stats_seconds, 1e-9) / 1e9;
  x["mean_active_atoms_per_patch"] =
      static_cast<double>(active_entries) / static_cast<double>(n_patches);
  x["operator_columns"] = stats.num_columns();

  // 4. Eigenproblem.
  Timer t_solve;
  ProjectionReport rep;
  model.projection = Projection::fit(stats, cfg.embed_dim, cfg.skip, cfg.v_reg,
                                     options.eigen_method, ctx, &rep, cfg.eigen_tol);
  metrics.add_seconds("solve", t_solve.seconds());
  ctx.log(str_cat("eigenproblem solved (", rep.method, ", ", rep.iterations, " iterations) in ",
                  t_solve.seconds(), "s"));
  model.fit_report = {
      {"train_images", train.size()},
      {"augmented_images", n_aug},
      {"train_patches", n_patches},
      {"active_atoms", rep.active_atoms},
      {"v_reg_absolute", rep.v_reg},
      {"eigenvalues", rep.eigenvalues},
      {"eigen_method", rep.method},
      {"eigen_iterations", rep.iterations},
      {"eigen_max_rel_residual", rep.max_rel_residual},
      {"mean_active_atoms_per_patch", x["mean_active_atoms_per_patch"]},
      {"patch_covariance_eigenvalues", model.whitener.covariance_spectrum()},
  };
  x["fit"] = model.fit_report;
  return model;
}

void compute_features(const SmtModel& model, const ImageSet& images, bool flip, std::size_t begin,
                      std::size_t end, float* out, const Context& ctx, const TrainCodes* cached) {
  const PatchExtractor ex = model.extractor();
  const PatchSource src(images, ex, &model.whitener, flip, model.config.grayscale);
  SMT_CHECK(end <= src.num_images() && begin <= end, "feature range out of bounds");
  const SparseCoder coder = model.coder();
  const int g = ex.grid_h(), d = model.projection.embed_dim();
  const std::size_t fdim = model.feature_dim();
  const bool use_cache = cached && cached->valid && cached->images.size() <= src.num_images();
  const std::int64_t n = static_cast<std::int64_t>(end - begin);
#pragma omp parallel num_threads(ctx.num_threads())
  {
    std::vector<float> patches(static_cast<std::size_t>(ex.num_patches()) * ex.dim()), scratch,
        beta(static_cast<std::size_t>(ex.num_patches()) * d);
    SparseCoder::Scratch cs;
    PatchCodes codes;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t r = 0; r < n; ++r) {
      const std::size_t i = begin + static_cast<std::size_t>(r);
      if (use_cache && i < cached->images.size()) {
        cached->images[i].unpack(codes);
      } else {
        code_image(src, coder, i, patches, scratch, cs, codes);
      }
      model.projection.embed(codes, beta.data());
      average_pool(beta.data(), g, d, model.config.pool_window, model.config.pool_stride,
                   out + static_cast<std::size_t>(r) * fdim);
    }
  }
}

namespace {

// Features of augmented images [begin, end) into out, in batches of
// config.batch_images (each batch parallel over its images), reporting
// progress under `what` when it is non-null.
void features_in_batches(const SmtModel& model, const ImageSet& images, bool flip,
                         std::size_t begin, std::size_t end, float* out, const Context& ctx,
                         const TrainCodes* cached, const char* what) {
  const std::size_t batch = static_cast<std::size_t>(model.config.batch_images);
  const std::size_t fdim = model.feature_dim();
  std::optional<Progress> progress;
  if (what) progress.emplace(ctx, what, static_cast<std::int64_t>(end - begin));
  for (std::size_t b0 = begin; b0 < end; b0 += batch) {
    const std::size_t b1 = std::min(end, b0 + batch);
    compute_features(model, images, flip, b0, b1, out + (b0 - begin) * fdim, ctx, cached);
    if (progress) progress->update(static_cast<std::int64_t>(b1 - begin));
  }
  if (progress) progress->finish();
}

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
EvalResult evaluate_streaming_test(const SmtModel& model, const ImageSet& train,
                                   const ImageSet& test, const Context& ctx, RunMetrics& metrics,
                                   TrainCodes* cached, std::size_t block, int num_classes) {
  const Config& cfg = model.config;
  const std::size_t fdim = model.feature_dim();
  const std::size_t n_aug = train.size() * (cfg.flip ? 2 : 1);
  Timer t_train;
  std::vector<float> train_features(n_aug * fdim);
  std::vector<int> train_labels(n_aug);
  {
    const PatchSource labels_src(train, model.extractor(), nullptr, cfg.flip, cfg.grayscale);
    features_in_batches(model, train, cfg.flip, 0, n_aug, train_features.data(), ctx, cached,
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

  KnnResult all;  // the blocks' answers, in test order
  all.top1.resize(test.size());
  all.top5.resize(test.size());
  double embed_seconds = 0;
  Progress progress(ctx, "k-NN over test images", static_cast<std::int64_t>(test.size()));
  for (std::size_t b0 = 0; b0 < test.size(); b0 += block) {
    const std::size_t bn = std::min(block, test.size() - b0);
    Timer t_embed;
    std::vector<float> queries(bn * fdim);
    features_in_batches(model, test, false, b0, b0 + bn, queries.data(), ctx, nullptr, nullptr);
    embed_seconds += t_embed.seconds();
    Timer t_knn;
    KnnAccumulator knn(std::move(queries), bn, fdim, cfg.knn_k);
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

EvalResult evaluate_knn(const SmtModel& model, const ImageSet& train, const ImageSet& test,
                        const Context& ctx, RunMetrics& metrics, TrainCodes* cached,
                        const EvalOptions& options) {
  const Config& cfg = model.config;
  SMT_CHECK(test.size() >= 1, "the test set is empty");
  const std::size_t fdim = model.feature_dim();
  const int num_classes = std::max({model.num_classes, train.num_classes, test.num_classes});
  const std::size_t n_aug = train.size() * (cfg.flip ? 2 : 1);
  SMT_CHECK(static_cast<std::size_t>(cfg.knn_k) <= n_aug, "--knn-k ", cfg.knn_k, " exceeds the ",
            n_aug, " training images");
  const std::size_t block =
      options.block_images > 0 ? options.block_images : static_cast<std::size_t>(cfg.batch_images);
  const KnnStreaming streaming = resolve_streaming(options.streaming, n_aug, test.size());
  metrics.extra()["knn_streamed"] = streaming == KnnStreaming::kStreamTest ? "test" : "train";
  metrics.extra()["knn_block_images"] = block;
  if (streaming == KnnStreaming::kStreamTest)
    return evaluate_streaming_test(model, train, test, ctx, metrics, cached, block, num_classes);

  // Test features stay in memory; training features are streamed.
  Timer t_test;
  std::vector<float> test_features(test.size() * fdim);
  features_in_batches(model, test, false, 0, test.size(), test_features.data(), ctx, nullptr,
                      "embedding test images");
  metrics.add_seconds("embed_test", t_test.seconds());

  Timer t_knn;
  KnnAccumulator knn(std::move(test_features), test.size(), fdim, cfg.knn_k);
  const PatchSource labels_src(train, model.extractor(), nullptr, cfg.flip, cfg.grayscale);
  std::vector<float> features(block * fdim);
  std::vector<int> labels(block);
  double embed_seconds = 0;
  Progress progress(ctx, "k-NN over training images", static_cast<std::int64_t>(n_aug));
  for (std::size_t b0 = 0; b0 < n_aug; b0 += block) {
    const std::size_t bn = std::min(block, n_aug - b0);
    Timer t_embed;
    compute_features(model, train, cfg.flip, b0, b0 + bn, features.data(), ctx, cached);
    embed_seconds += t_embed.seconds();
    for (std::size_t i = 0; i < bn; ++i) labels[i] = labels_src.label(b0 + i);
    knn.add_references(features.data(), labels.data(), bn);
    progress.update(static_cast<std::int64_t>(b0 + bn));
  }
  KnnResult res = knn.classify(num_classes, static_cast<float>(cfg.knn_temperature), test.labels);
  progress.finish();
  metrics.add_seconds("embed_train", embed_seconds);
  metrics.add_seconds("knn", t_knn.seconds() - embed_seconds);
  record_knn_rate(metrics, test.size(), n_aug, fdim, t_knn.seconds() - embed_seconds);
  EvalResult r;
  r.top1 = res.top1_accuracy;
  r.top5 = res.top5_accuracy;
  r.predictions = res.top1;
  return r;
}

}  // namespace smt
