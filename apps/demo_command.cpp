#include "demo_command.h"

#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "cli_params.h"
#include "signals.h"
#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/core/param_table.h"
#include "smt/demo/manifold_demo.h"

namespace smt_cli {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr smt::ParamScope kModel = smt::ParamScope::kModel;
constexpr smt::ParamScope kRun = smt::ParamScope::kRun;

// The demo's own settings, besides the ones of the fit.
struct DemoRunOptions {
  std::uint64_t seed = 0;
  int threads = 0;  // 0: all cores
  int panel = 120;  // functions.png: pixels per panel
};

// The parameters of the fit; the defaults are ManifoldDemoOptions' member
// initialisers. resolved() (demo_options.cpp) checks what depends on the
// manifold or on several parameters.
const smt::ParamTable<smt::ManifoldDemoOptions>& demo_params() {
  using O = smt::ManifoldDemoOptions;
  static const smt::ParamTable<O> table = [] {
    smt::ParamTable<O> t;
    t.integer("dict-size", &O::dict_size, 3, 65536, kModel, "landmarks K");
    t.integer("embed-dim", &O::embed_dim, 1, 65535, kModel, "embedding functions kept, d");
    t.integer("skip", &O::skip, 0, 65535, kModel,
              "smallest eigenvectors skipped (1: the constant)");
    t.integer("trajectories", &O::trajectories, 1, 1e8, kModel, "number of random trajectories");
    t.integer("steps", &O::steps, 3, 1e8, kModel, "time steps per trajectory");
    t.real("step-size", &O::step_size, 0, kInf, kModel,
           "RMS step per time step, in landmark spacings");
    t.real("smoothness", &O::smoothness, 0, 1, kModel,
           "velocity autocorrelation of the trajectories in [0, 1); 0 = plain random walk");
    t.choice<smt::Operator>("operator", &O::op,
                            {{"two", smt::Operator::kSecond}, {"one", smt::Operator::kFirst}},
                            kModel, "temporal operator: second or first derivative");
    t.integer("neighborhood", &O::neighborhood, -1, 1e8, kModel,
              "temporal half-window in steps; -1 = whole trajectory");
    t.choice<smt::LandmarkCoding>(
        "coding", &O::coding,
        {{"landmark", smt::LandmarkCoding::kInterpolate},
         {"threshold", smt::LandmarkCoding::kThreshold}},
        kModel,
        "landmark: interpolation between nearest landmarks; threshold: the engine's "
        "cosine-threshold coder on lifted points");
    t.real("threshold", &O::threshold, 0, 1, kModel,
           "threshold coding: cosine threshold; 0 = the one that activates the landmarks within "
           "threshold-radius spacings");
    t.real("threshold-radius", &O::threshold_radius, 0, kInf, kModel,
           "threshold coding: activation radius in landmark spacings");
    t.choice<smt::CodeValues>(
        "code-values", &O::code_values,
        {{"binary", smt::CodeValues::kBinary}, {"variable", smt::CodeValues::kVariable}}, kModel,
        "threshold coding: 1 per active landmark or its cosine");
    t.choice<smt::DiskLayout>(
        "layout", &O::layout,
        {{"rings", smt::DiskLayout::kRings}, {"kmeans", smt::DiskLayout::kKMeans}}, kModel,
        "disk landmarks: rings (regular, boundary ring on the circle) or "
        "kmeans");
    t.real("v-reg", &O::v_reg, 0, kInf, kModel, "V + v_reg * trace(V)/K * I");
    return t;
  }();
  return table;
}

const smt::ParamTable<DemoRunOptions>& demo_run_params() {
  using O = DemoRunOptions;
  static const smt::ParamTable<O> table = [] {
    smt::ParamTable<O> t;
    t.integer("panel", &O::panel, 32, 1024, kRun, "functions.png: panel size in pixels");
    t.integer("seed", &O::seed, 0, 9007199254740992.0, kRun, "random seed");
    t.integer("threads", &O::threads, 0, 4096, kRun, "threads; 0 = all cores");
    return t;
  }();
  return table;
}

}  // namespace

struct DemoCommand::Options {
  std::string manifold;
  std::string out;
  bool quiet = false;
  std::map<std::string, std::string> params;      // demo_params(), as given
  std::map<std::string, std::string> run_params;  // demo_run_params(), as given
};

DemoCommand::DemoCommand(CLI::App& app) : o_(std::make_unique<Options>()) {
  Options& o = *o_;
  cmd_ = app.add_subcommand(
      "demo",
      "synthetic manifolds of the first SMT paper (figure 2): landmark-coded points on the "
      "circle or unit disk, neighbours along random trajectories; writes the embedding "
      "functions, spectrum and metrics.json");
  cmd_->add_option("manifold", o.manifold, "circle or disk")
      ->required()
      ->check(CLI::IsMember({"circle", "disk"}));
  cmd_->add_option("--out", o.out, "output directory (created if missing)")->required();
  add_table_options(cmd_, demo_params(), o.params);
  add_table_options(cmd_, demo_run_params(), o.run_params);
  cmd_->add_flag("--quiet,-q", o.quiet, "no progress on stderr");
}

DemoCommand::~DemoCommand() = default;

bool DemoCommand::selected() const {
  return cmd_->parsed();
}

int DemoCommand::run() const {
  const Options& o = *o_;
  smt::ManifoldDemoOptions d;
  apply_table_options(demo_params(), o.params, d);
  DemoRunOptions run;
  apply_table_options(demo_run_params(), o.run_params, run);
  d.manifold = o.manifold == "circle" ? smt::Manifold::kCircle : smt::Manifold::kDisk;
  smt::Context ctx;
  ctx.seed = run.seed;
  ctx.threads = run.threads;
  ctx.observer =
      std::make_shared<SignalObserver>(o.quiet ? nullptr : std::make_shared<smt::StreamObserver>());
  // Fail before the fit, not after it, when --out cannot be a directory.
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  SMT_CHECK(!ec && std::filesystem::is_directory(o.out), "cannot create output directory '", o.out,
            "'", ec ? ": " + ec.message() : std::string(": a file is in the way"));
  const smt::ManifoldDemoResult r = smt::run_manifold_demo(d, ctx);
  smt::write_manifold_demo(r, o.out, ctx, run.panel);
  const auto& m = r.metrics;
  if (d.manifold == smt::Manifold::kCircle) {
    std::printf("circle: min canonical correlation %.4f (m = 1..5), max pair difference %.3f\n",
                m["min_canonical_correlation"].get<double>(), m["max_pair_rel_diff"].get<double>());
  } else {
    std::string freqs;
    for (int f : r.angular_frequency) freqs += (freqs.empty() ? "" : " ") + std::to_string(f);
    std::printf("disk: angular frequencies %s; min purity of the first seven %.3f\n", freqs.c_str(),
                m["min_purity_first_seven"].get<double>());
  }
  std::printf("checks %s; %.1fs; wrote %s\n", r.checks_passed ? "passed" : "FAILED",
              m["seconds"].get<double>(), o.out.c_str());
  return 0;
}

}  // namespace smt_cli
