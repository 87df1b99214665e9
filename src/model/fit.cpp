#include "smt/model/fit.h"

#include <omp.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "smt/core/cpu_affinity.h"
#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/model/feature_encoder.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/statistics.h"
#include "smt/stages/whitener.h"

namespace smt {

namespace {

void record_communication(RunMetrics& metrics, const char* stage, const CommMeter& meter) {
  const CommStats c = meter.elapsed();
  if (c.calls > 0) metrics.add_communication(stage, c.seconds, c.bytes);
}

}  // namespace

SmtModel fit_model(const ImageSet& train, const Config& cfg, const Context& ctx,
                   RunMetrics& metrics, TrainCodes* keep, const FitOptions& options) {
  cfg.validate();
  SMT_CHECK(train.global_size() >= 1, "the training set is empty");
  const int threads = ctx.num_threads();
  FitCheckpoint no_checkpoint;
  FitCheckpoint& ckpt = options.checkpoint ? *options.checkpoint : no_checkpoint;
  SMT_CHECK(!(ctx.distributed() && ckpt.enabled()),
            "--checkpoint is not available in a distributed run yet (", ctx.processes(),
            " processes); run without it, or in one process");
  FitState& resumed = ckpt.resumed();
  if (resumed.stage == FitStage::kFitted) {
    std::istringstream bytes(resumed.model_bytes);
    SmtModel done = SmtModel::load(bytes, "the model in checkpoint '" + ckpt.path() + "'");
    done.config = cfg;  // the thread count, which the file leaves out
    metrics.extra()["fit"] = done.fit_report;
    metrics.extra()["resumed_from"] = stage_name(resumed.stage);
    if (keep) *keep = TrainCodes{};  // invalid: the k-NN codes the training images
    return done;
  }
  if (resumed.stage != FitStage::kStart)
    metrics.extra()["resumed_from"] = stage_name(resumed.stage);
  SmtModel model;
  model.config = cfg;
  model.height = train.height;
  model.width = train.width;
  model.channels = cfg.grayscale ? 1 : train.channels;
  model.num_classes = train.num_classes;
  const PatchExtractor ex = model.extractor();
  const ViewSet views = ViewSet::training(cfg);
  const std::size_t n_views = static_cast<std::size_t>(views.size());
  // This process's augmented images (its shard in a distributed run) and the
  // whole training set's.
  const std::size_t n_aug = views.augmented(train.size());
  const std::size_t n_aug_all = views.augmented(train.global_size());
  // Which views of an image share a context of the operator (one group
  // each); single-view groups are the views as separate images.
  const std::vector<std::vector<int>> groups = views.contexts(cfg.view_context);
  const std::size_t group_size = groups.front().size();
  const bool shared_contexts = group_size > 1;
  // Whitening and dictionary see these views (the luma copies only when
  // gray-view-prep).
  const ViewSet prep = ViewSet::preprocessing(cfg);
  ctx.log(str_cat("fit: ", train.global_size(), " training images", views.describe(),
                  shared_contexts ? str_cat(" (", group_size, " views a context)") : std::string(),
                  ", ", ex.grid_h(), "x", ex.grid_w(), " patches of ", ex.dim(), " values each"));

  // 1. Whitening from the moments of every training patch.
  Timer t_white;
  const CommMeter comm_white(ctx.comm);
  if (resumed.stage >= FitStage::kWhitened) {
    model.whitener = std::move(resumed.whitener);
  } else {
    const PatchSource raw(train, ex, nullptr, prep, cfg.grayscale);
    const MomentAccumulator moments = patch_moments(raw, ctx);
    model.whitener = Whitener::fit(moments, cfg.whiten_tol);
    metrics.add_seconds("whitening", t_white.seconds());
    record_communication(metrics, "whitening", comm_white);
    ctx.log(str_cat("whitening fitted in ", t_white.seconds(), "s"));
    ckpt.save({FitStage::kWhitened, &model.whitener}, ctx);
  }

  // 2. Dictionary.
  Timer t_dict;
  const CommMeter comm_dict(ctx.comm);
  if (resumed.stage >= FitStage::kDictionary) {
    model.dictionary = std::move(resumed.dictionary);
  } else {
    model.dictionary =
        Dictionary::fit(PatchSource(train, ex, &model.whitener, prep, cfg.grayscale), cfg, ctx);
    metrics.add_seconds("dictionary", t_dict.seconds());
    record_communication(metrics, "dictionary", comm_dict);
    ckpt.save({FitStage::kDictionary, &model.whitener, &model.dictionary}, ctx);
  }

  // 3. Coding of every training patch, streamed into the statistics.
  const PatchSource src(train, ex, &model.whitener, views, cfg.grayscale);
  Timer t_code;
  const SparseCoder coder = model.coder();
  OperatorSpec spec{cfg.op, cfg.neighborhood, cfg.zero_code};
  // A resumed pass continues the checkpoint's statistics (moved, never
  // allocated twice: they are K x K).
  const bool resume_pass = resumed.stage == FitStage::kCoding || resumed.stage == FitStage::kCoded;
  SmtStatistics stats = resume_pass
                            ? std::move(resumed.stats)
                            : SmtStatistics(cfg.dict_size, coder.vector_quantization(), spec);
  const std::size_t first_image = resume_pass ? resumed.next_image : 0;  // where coding starts
  std::int64_t active_entries = resume_pass ? resumed.active_entries : 0;
  SMT_CHECK(stats.dict_size() == cfg.dict_size &&
                stats.diagonal_v() == coder.vector_quantization() && stats.spec().op == spec.op &&
                stats.spec().neighborhood == spec.neighborhood &&
                stats.spec().zero_code == spec.zero_code && first_image <= n_aug,
            "checkpoint '", ckpt.path(), "': its statistics do not fit this configuration");
  // The cache holds a prefix of the training set: not after a resume inside
  // the pass (the k-NN then recodes every training image).
  bool caching = keep != nullptr && options.code_cache_bytes > 0 && first_image == 0;
  std::size_t cached_bytes = 0;
  // The cache holds the k-NN's reference views only, in the k-NN's order
  // (a subsequence of the fit's: both are image-major).
  const ViewSet references = ViewSet::references(cfg);
  std::vector<char> cache_view(n_views);
  for (std::size_t j = 0; j < n_views; ++j)
    cache_view[j] = references.find(views[static_cast<int>(j)]) >= 0;
  if (keep) {
    keep->images.clear();
    keep->valid = false;
    keep->views = references;
  }
  // With shared contexts a batch holds whole images (all their views), so
  // that no context is split.
  const std::size_t batch =
      shared_contexts
          ? std::max<std::size_t>(1, static_cast<std::size_t>(cfg.batch_images) / n_views) * n_views
          : static_cast<std::size_t>(cfg.batch_images);
  std::vector<PatchCodes> codes(batch);
  std::vector<CompactCodes> packed(batch);  // the batch's codes as the cache keeps them
  std::vector<PatchCodes> contexts(shared_contexts ? batch / n_views * groups.size() : 0);
  std::vector<const PatchCodes*> ptrs;
  double stats_seconds = 0;
  Progress progress(ctx, "coding training images", static_cast<std::int64_t>(n_aug));
  SMT_CHECK(first_image % batch == 0 || first_image == n_aug, "checkpoint '", ckpt.path(),
            "': coding position ", first_image, " is not a batch boundary");
  for (std::size_t b0 = first_image; b0 < n_aug; b0 += batch) {
    const std::size_t bn = std::min(batch, n_aug - b0);
    struct Worker {
      CodingBuffers buffers;
      std::int64_t active_entries = 0;
    };
    const std::vector<Worker> workers = parallel_for(
        threads, 0, bn, Schedule::dynamic(1), [] { return Worker{}; },
        [&](Worker& w, std::size_t i) {
          ctx.check_cancelled();  // a batch can take seconds: stop within an image
          code_image(src, coder, b0 + i, w.buffers, codes[i]);
          w.active_entries += static_cast<std::int64_t>(codes[i].atoms.size());
          if (caching && cache_view[(b0 + i) % n_views]) packed[i] = CompactCodes(codes[i]);
        });
    for (const Worker& w : workers) active_entries += w.active_entries;
    Timer t_stats;
    ptrs.clear();
    if (shared_contexts) {
      // One context per group of an image's views: their patches, one view
      // after another, form a grid of group_size times the rows (the
      // whole-image operator ignores the geometry).
      for (std::size_t im = 0; im < bn / n_views; ++im) {
        for (std::size_t g = 0; g < groups.size(); ++g) {
          PatchCodes& joined = contexts[im * groups.size() + g];
          joined.clear();
          for (const int j : groups[g]) append_codes(joined, codes[im * n_views + j]);
          ptrs.push_back(&joined);
        }
      }
      stats.add_images(ptrs, ex.grid_h() * static_cast<int>(group_size), ex.grid_w(), ctx);
    } else {
      for (std::size_t i = 0; i < bn; ++i) ptrs.push_back(&codes[i]);
      stats.add_images(ptrs, ex.grid_h(), ex.grid_w(), ctx);
    }
    stats_seconds += t_stats.seconds();
    // Keep codes while they fit the budget: the images that do not fit are
    // recoded for the k-NN (a prefix of the training set stays cached).
    for (std::size_t i = 0; caching && i < bn; ++i) {
      if (!cache_view[(b0 + i) % n_views]) continue;
      if (cached_bytes + packed[i].bytes() > options.code_cache_bytes) {
        ctx.log(str_cat("training codes fill the ", options.code_cache_bytes >> 20,
                        " MiB cache budget after ", keep->images.size(), " of ",
                        references.augmented(train.size()),
                        " images: the rest will be recoded for the k-NN"));
        caching = false;
        break;
      }
      cached_bytes += packed[i].bytes();
      keep->images.push_back(std::move(packed[i]));
    }
    progress.update(static_cast<std::int64_t>(b0 + bn));
    if (b0 + bn < n_aug && ckpt.due(b0 + bn))
      ckpt.save(
          {FitStage::kCoding, &model.whitener, &model.dictionary, &stats, b0 + bn, active_entries},
          ctx);
  }
  progress.finish();
  if (resumed.stage != FitStage::kCoded)
    ckpt.save({FitStage::kCoded, &model.whitener, &model.dictionary, &stats, n_aug, active_entries},
              ctx);
  std::vector<PatchCodes>().swap(codes);  // the last batch's codes: memory the solver can use
  std::vector<PatchCodes>().swap(contexts);
  std::vector<CompactCodes>().swap(packed);
  if (keep) keep->valid = true;
  metrics.extra()["train_codes_cached_images"] = keep ? keep->images.size() : 0;
  metrics.extra()["train_code_bytes"] = cached_bytes;
  const double code_seconds = t_code.seconds();
  metrics.add_seconds("coding", code_seconds - stats_seconds);
  if (ctx.distributed()) {
    // The shards' sums meet on the first process, which solves.
    Timer t_reduce;
    const CommMeter comm_stats(ctx.comm);
    stats.reduce_to_root(*ctx.comm);
    double active = static_cast<double>(active_entries);  // exact below 2^53
    ctx.comm->reduce_sum(&active, 1, 0);
    active_entries = static_cast<std::int64_t>(active);
    stats_seconds += t_reduce.seconds();
    record_communication(metrics, "statistics", comm_stats);
  }
  metrics.add_seconds("statistics", stats_seconds);
  const std::int64_t n_patches = static_cast<std::int64_t>(n_aug_all) * ex.num_patches();
  // This process's patches: the rate is of the coding it did.
  const double code_flops = coder.flops(static_cast<std::int64_t>(n_aug) * ex.num_patches());
  auto& x = metrics.extra();
  x["train_patches"] = n_patches;
  x["coding_flops"] = code_flops;
  x["coding_gflops_per_s"] = code_flops / std::max(code_seconds - stats_seconds, 1e-9) / 1e9;
  x["mean_active_atoms_per_patch"] =
      static_cast<double>(active_entries) / static_cast<double>(n_patches);
  x["operator_columns"] = stats.num_columns();

  // 4. Eigenproblem: solved once (on the first process of a distributed
  // run, which then sends the model to the others).
  const CommMeter comm_solve(ctx.comm);
  if (ctx.distributed() && !ctx.comm->is_root()) {
    Timer t_wait;
    std::string bytes;
    ctx.comm->broadcast(bytes, 0);
    std::istringstream in(bytes);
    SmtModel received = SmtModel::load(in, "the model sent by process 0");
    received.config = cfg;  // the thread count, which the file leaves out
    metrics.add_seconds("solve", t_wait.seconds());
    record_communication(metrics, "solve", comm_solve);
    x["fit"] = received.fit_report;
    return received;
  }
  Timer t_solve;
  ProjectionReport rep;
  // Process 0 solves alone: it borrows the cores of the processes of its
  // machine, which wait without spinning meanwhile (the solve's bits do not
  // depend on the thread count). A launcher that bound each process to its
  // own cores is overridden for the solve (core/cpu_affinity.h).
  Context solve_ctx = ctx;
  std::optional<ScopedCpuAffinity> solve_cpus;
  std::optional<ScopedThreadLimit> solve_threads;
  if (ctx.distributed() && ctx.threads > 0 && ctx.comm->node_processes() > 1) {
    const std::vector<int> cpus = ctx.comm->node_cpus();
    solve_cpus.emplace(cpus);
    const int usable = std::max(omp_get_num_procs(), static_cast<int>(cpus.size()));
    solve_ctx.threads = std::min(ctx.threads * ctx.comm->node_processes(), usable);
    solve_threads.emplace(solve_ctx.threads);
    ctx.log(str_cat("process 0 solves with ", solve_ctx.threads, " threads on ", usable,
                    " CPUs of its machine"));
  }
  model.projection = Projection::fit(std::move(stats), cfg.embed_dim, cfg.skip, cfg.v_reg,
                                     options.eigen_method, solve_ctx, &rep, cfg.eigen_tol);
  solve_threads.reset();
  solve_cpus.reset();
  ctx.log(str_cat("eigenproblem solved (", rep.method, ", ", rep.iterations, " iterations) in ",
                  t_solve.seconds(), "s"));
  model.fit_report = {
      {"train_images", train.global_size()},
      {"augmented_images", n_aug_all},
      {"contexts", stats.num_images()},
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
  if (ctx.distributed()) {
    std::ostringstream out;
    model.save(out);
    std::string bytes = out.str();
    ctx.comm->broadcast(bytes, 0);
    record_communication(metrics, "solve", comm_solve);
  }
  metrics.add_seconds("solve", t_solve.seconds());
  FitProgress fitted;
  fitted.stage = FitStage::kFitted;
  fitted.model = &model;
  ckpt.save(fitted, ctx);
  if (ckpt.enabled()) {
    x["checkpoint_saves"] = ckpt.saves();
    x["checkpoint_seconds"] = ckpt.seconds_saving();
  }
  return model;
}

}  // namespace smt
