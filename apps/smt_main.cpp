// smt: command-line front end. All work happens in the library; this file
// parses options, calls it, and turns smt::Error into a message and exit code.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_params.h"
#include "demo_command.h"
#include "smt/io/atomic_file.h"
#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/io/dataset.h"
#include "smt/core/error.h"
#include "smt/model/model.h"
#include "smt/io/npy.h"
#include "smt/model/pipeline.h"

namespace {

using json = nlohmann::json;
using smt_cli::CommonOptions;
using smt_cli::add_param_options;
using smt_cli::resolve_config;

smt::Context make_context(const smt::Config& c, bool quiet) {
  smt::Context ctx;
  ctx.threads = c.threads;
  ctx.seed = c.seed;
  if (!quiet) ctx.observer = std::make_shared<smt::StreamObserver>();
  return ctx;
}

std::string data_dir_or_env(const std::string& d) {
  if (!d.empty()) return d;
  const char* env = std::getenv("SMT_DATA_DIR");
  SMT_CHECK(env && *env, "no data directory: pass --data DIR or set SMT_DATA_DIR");
  return env;
}

void write_json(const std::string& path, const json& j) {
  smt::write_file_atomically(path, [&](std::ostream& os) { os << j.dump(2) << "\n"; });
}

smt::ImageSet load(const std::string& dir, bool train, std::int64_t limit,
                   const smt::Context& ctx) {
  smt::Timer t;
  // The subset is chosen while loading, so an image folder decodes only it.
  smt::ImageSet s =
      smt::load_split(dir, train, smt::LoadOptions{.limit = limit, .limit_seed = ctx.seed});
  ctx.log(smt::str_cat("loaded ", s.size(), train ? " training" : " test", " images (", s.height,
                       "x", s.width, "x", s.channels, ") from ", s.source, " in ", t.seconds(),
                       "s"));
  return s;
}

// The training split and the evaluation set: the test split, or with
// --validation N a seeded class-balanced choice of N training images (held
// out from training).
std::pair<smt::ImageSet, smt::ImageSet> load_train_test(const std::string& dir,
                                                        const smt::Config& c,
                                                        const smt::Context& ctx,
                                                        bool need_test = true) {
  // --validation draws its held-out images from the whole training split
  // first, so then the training subset can only be cut afterwards.
  smt::ImageSet train = load(dir, true, c.validation > 0 ? 0 : c.train_limit, ctx);
  smt::ImageSet test;
  if (c.validation > 0) {
    SMT_CHECK(static_cast<std::size_t>(c.validation) < train.size(), "--validation ", c.validation,
              " must be smaller than the ", train.size(), " training images");
    test = smt::hold_out(train, static_cast<std::size_t>(c.validation), c.seed);
    smt::apply_limit(test, c.test_limit, c.seed);
    ctx.log(smt::str_cat("validation: evaluating on ", test.size(), " held-out training images"));
  } else if (need_test) {
    test = load(dir, false, c.test_limit, ctx);
  }
  smt::apply_limit(train, c.train_limit, c.seed);
  return {std::move(train), std::move(test)};
}

// The results smt run and smt eval both report, for scripts.
json evaluation_json(const smt::RunMetrics& metrics, const smt::Timer& total,
                     const smt::EvalResult& r, const smt::ImageSet& train,
                     const smt::ImageSet& test, const smt::Config& c, const smt::Context& ctx,
                     const std::string& dir) {
  json m = metrics.to_json(total.seconds());
  m["top1"] = r.top1;
  m["top5"] = r.top5;
  m["train_images"] = train.size();
  m["test_images"] = test.size();
  m["threads"] = ctx.num_threads();
  m["config"] = c.to_json();
  m["data"] = dir;
  m["evaluated_on"] = c.validation > 0 ? "validation (held-out training images)" : "test";
  return m;
}

int cmd_run(const CommonOptions& o) {
  smt::Timer total;
  const smt::Config c = resolve_config(o, smt::Config{});
  smt::Context ctx = make_context(c, o.quiet);
  const std::string dir = data_dir_or_env(o.data_dir);
  smt::RunMetrics metrics;
  smt::Timer t_load;
  auto [train, test] = load_train_test(dir, c, ctx);
  metrics.add_seconds("load", t_load.seconds());
  const double sgemm = smt::measure_sgemm_gflops(0.5);
  ctx.log(smt::str_cat("OpenBLAS sgemm on this machine now: ", sgemm, " GFLOP/s"));
  const smt::MemoryPlan plan =
      smt::plan_memory(c, train.height, train.width, train.size() * (c.flip ? 2 : 1), test.size());
  metrics.extra()["memory_plan"] = plan.to_json();
  smt::TrainCodes codes;
  smt::FitOptions fit_options;
  fit_options.code_cache_bytes = plan.code_cache;
  smt::SmtModel model = smt::fit_model(train, c, ctx, metrics, &codes, fit_options);
  smt::EvalOptions eval_options;
  eval_options.block_images = plan.knn_block_images;
  eval_options.streaming = plan.streaming;
  smt::EvalResult r = smt::evaluate_knn(model, train, test, ctx, metrics, &codes, eval_options);
  json m = evaluation_json(metrics, total, r, train, test, c, ctx, dir);
  m["sgemm_gflops_per_s"] = sgemm;
  std::printf(
      "top-1 %.2f %%  top-5 %.2f %%  (%zu train, %zu test images, %.1f s, peak RSS %.2f GB)\n",
      100 * r.top1, 100 * r.top5, train.size(), test.size(), total.seconds(),
      static_cast<double>(smt::peak_rss_bytes()) / 1e9);
  if (!o.metrics_file.empty()) write_json(o.metrics_file, m);
  return 0;
}

int cmd_fit(const CommonOptions& o, const std::string& model_path) {
  smt::Timer total;
  const smt::Config c = resolve_config(o, smt::Config{});
  smt::Context ctx = make_context(c, o.quiet);
  // Fail on an unwritable output before hours of work, not after.
  const auto parent = std::filesystem::absolute(model_path).parent_path();
  SMT_CHECK(std::filesystem::is_directory(parent), "--model: directory '", parent.string(),
            "' does not exist");
  smt::RunMetrics metrics;
  smt::ImageSet train = load_train_test(data_dir_or_env(o.data_dir), c, ctx, false).first;
  smt::SmtModel model = smt::fit_model(train, c, ctx, metrics);
  model.save(model_path);
  ctx.log("model written to " + model_path);
  if (!o.metrics_file.empty()) {
    json m = metrics.to_json(total.seconds());
    m["train_images"] = train.size();
    m["config"] = c.to_json();
    write_json(o.metrics_file, m);
  }
  return 0;
}

int cmd_embed(const CommonOptions& o, const std::string& model_path, const std::string& split,
              const std::string& out, const std::string& labels_out) {
  smt::SmtModel model = smt::SmtModel::load(model_path);
  const smt::Config c = resolve_config(o, model.config);
  smt::Context ctx = make_context(c, o.quiet);
  const bool train = split == "train";
  const std::string dir = data_dir_or_env(o.data_dir);
  // With --validation N (given here or fixed when the model was fitted) the
  // splits are the ones smt run and smt eval use: "train" is the fit part and
  // "test" the held-out images, not the test split.
  smt::ImageSet images;
  if (train || c.validation > 0) {
    auto [fit_part, held_out] = load_train_test(dir, c, ctx, false);
    images = train ? std::move(fit_part) : std::move(held_out);
  } else {
    images = load(dir, false, c.test_limit, ctx);
  }
  std::vector<float> features(images.size() * model.feature_dim());
  smt::Timer t;
  smt::compute_features(model, images, false, 0, images.size(), features.data(), ctx);
  ctx.log(smt::str_cat("embedded ", images.size(), " images in ", t.seconds(), "s"));
  smt::write_npy(out, features.data(), {images.size(), model.feature_dim()});
  if (!labels_out.empty()) {
    std::vector<std::int32_t> l(images.labels.begin(), images.labels.end());
    smt::write_npy(labels_out, l.data(), {l.size()});
  }
  ctx.log("features written to " + out);
  return 0;
}

int cmd_eval(const CommonOptions& o, const std::string& model_path) {
  smt::Timer total;
  smt::SmtModel model = smt::SmtModel::load(model_path);
  // The model fixes how images become features; only evaluation and
  // execution parameters may change here.
  smt::Config c = resolve_config(o, model.config);
  for (const char* key : {"patch-size", "stride", "context", "dict-size", "threshold", "embed-dim",
                          "code-values", "grayscale"}) {
    SMT_CHECK(c.to_json()[key] == model.config.to_json()[key], "--", key,
              " is fixed by the model file and cannot be changed by smt eval");
  }
  model.config = c;
  smt::Context ctx = make_context(c, o.quiet);
  const std::string dir = data_dir_or_env(o.data_dir);
  smt::RunMetrics metrics;
  auto [train, test] = load_train_test(dir, c, ctx);
  const smt::MemoryPlan plan =
      smt::plan_memory(c, train.height, train.width, train.size() * (c.flip ? 2 : 1), test.size());
  metrics.extra()["memory_plan"] = plan.to_json();
  smt::EvalOptions eval_options;
  eval_options.block_images = plan.knn_block_images;
  eval_options.streaming = plan.streaming;
  smt::EvalResult r = smt::evaluate_knn(model, train, test, ctx, metrics, nullptr, eval_options);
  std::printf("top-1 %.2f %%  top-5 %.2f %%  (%zu train, %zu test images)\n", 100 * r.top1,
              100 * r.top5, train.size(), test.size());
  if (!o.metrics_file.empty())
    write_json(o.metrics_file, evaluation_json(metrics, total, r, train, test, c, ctx, dir));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "smt: the Sparse Manifold Transform (sparse coding + slowness-seeking spectral "
      "embedding) for images"};
  app.require_subcommand(1);
  app.set_version_flag("--version", SMT_VERSION_STRING);

  CommonOptions run_o, fit_o, embed_o, eval_o;
  std::string fit_model, embed_model, embed_out, embed_split = "test", embed_labels, eval_model;

  auto* run = app.add_subcommand("run",
                                 "fit on the training split, embed train and test, "
                                 "evaluate with the weighted k-NN");
  add_param_options(run, run_o, true);
  run->add_option("--data", run_o.data_dir, "dataset directory (default: $SMT_DATA_DIR)");
  run->add_option("--metrics", run_o.metrics_file, "write results and timings as JSON here");

  auto* fit = app.add_subcommand("fit", "fit a model on the training split and save it");
  add_param_options(fit, fit_o, true);
  fit->add_option("--data", fit_o.data_dir, "dataset directory (default: $SMT_DATA_DIR)");
  fit->add_option("--model", fit_model, "model file to write")->required();
  fit->add_option("--metrics", fit_o.metrics_file, "write timings as JSON here");

  auto* embed =
      app.add_subcommand("embed", "apply a saved model to a split, write features (.npy)");
  add_param_options(embed, embed_o, false);
  embed->add_option("--data", embed_o.data_dir, "dataset directory (default: $SMT_DATA_DIR)");
  embed->add_option("--model", embed_model, "model file to read")
      ->required()
      ->check(CLI::ExistingFile);
  embed
      ->add_option("--split", embed_split,
                   "train or test (default test); with --validation N, also when the model was "
                   "fitted with it, test is the N held-out training images and train the rest "
                   "(--validation 0 for the test split)")
      ->check(CLI::IsMember({"train", "test"}));
  embed->add_option("--out", embed_out, "features file to write (.npy, float32 N x D)")->required();
  embed->add_option("--labels-out", embed_labels, "also write the labels (.npy, int32 N)");

  auto* eval = app.add_subcommand("eval", "evaluate a saved model with the weighted k-NN");
  add_param_options(eval, eval_o, true);
  eval->add_option("--data", eval_o.data_dir, "dataset directory (default: $SMT_DATA_DIR)");
  eval->add_option("--model", eval_model, "model file to read")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--metrics", eval_o.metrics_file, "write results as JSON here");

  smt_cli::DemoCommand demo(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors get the same one-line form as every other error.
    std::fprintf(stderr, "smt: error: %s (see smt --help)\n", e.what());
    return 2;
  }
  try {
    if (*run) return cmd_run(run_o);
    if (*fit) return cmd_fit(fit_o, fit_model);
    if (*embed) return cmd_embed(embed_o, embed_model, embed_split, embed_out, embed_labels);
    if (*eval) return cmd_eval(eval_o, eval_model);
    if (demo.selected()) return demo.run();
  } catch (const smt::Error& e) {
    std::fprintf(stderr, "smt: error: %s\n", e.message(smt::Spelling::kCli).c_str());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "smt: error: out of memory; use fewer images or a smaller --dict-size\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smt: internal error: %s\n", e.what());
    return 3;
  }
  return 2;
}
