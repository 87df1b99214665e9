#include "demo_command.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/demo/manifold_demo.h"

namespace smt_cli {

struct DemoCommand::Options {
  std::string manifold;
  std::string out;
  std::string op = "second", coding = "landmark", values = "binary", layout = "rings";
  smt::ManifoldDemoOptions demo;
  std::uint64_t seed = 0;
  int threads = 0;
  int panel = 120;
  bool quiet = false;
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
  cmd_->add_option("--dict-size", o.demo.dict_size, "landmarks K (default 300)")
      ->check(CLI::Range(3, 65536));
  cmd_->add_option("--embed-dim", o.demo.embed_dim, "embedding functions kept, d (default 21)")
      ->check(CLI::Range(1, 65535));
  cmd_->add_option("--skip", o.demo.skip, "smallest eigenvectors skipped (default 1: the constant)")
      ->check(CLI::Range(0, 65535));
  cmd_->add_option("--trajectories", o.demo.trajectories,
                   "number of random trajectories (default 400)")
      ->check(CLI::Range(1, 100000000));
  cmd_->add_option("--steps", o.demo.steps, "time steps per trajectory (default 2500)")
      ->check(CLI::Range(3, 100000000));
  cmd_->add_option("--step-size", o.demo.step_size,
                   "RMS step per time step, in landmark spacings (default 1)");
  cmd_->add_option("--smoothness", o.demo.smoothness,
                   "velocity autocorrelation of the trajectories in [0, 1) (default 0.9; 0 = "
                   "plain random walk)");
  cmd_->add_option("--operator", o.op,
                   "temporal operator: second or first derivative (default second)")
      ->check(CLI::IsMember({"second", "first"}));
  cmd_->add_option("--neighborhood", o.demo.neighborhood,
                   "temporal half-window in steps; -1 = whole trajectory (default 1)");
  cmd_->add_option("--coding", o.coding,
                   "landmark: interpolation between nearest landmarks (default); threshold: the "
                   "engine's cosine-threshold coder on lifted points")
      ->check(CLI::IsMember({"landmark", "threshold"}));
  cmd_->add_option("--threshold", o.demo.threshold,
                   "threshold coding: cosine threshold (default 0 = landmarks within "
                   "--threshold-radius spacings)");
  cmd_->add_option("--threshold-radius", o.demo.threshold_radius,
                   "threshold coding: activation radius in landmark spacings (default 2.25)");
  cmd_->add_option("--code-values", o.values,
                   "threshold coding: binary or variable (default binary)")
      ->check(CLI::IsMember({"binary", "variable"}));
  cmd_->add_option("--layout", o.layout,
                   "disk landmarks: rings (regular, boundary ring on the circle; default) or "
                   "kmeans")
      ->check(CLI::IsMember({"rings", "kmeans"}));
  cmd_->add_option("--v-reg", o.demo.v_reg, "V + v_reg * trace(V)/K * I (default 1e-6)");
  cmd_->add_option("--panel", o.panel, "functions.png: panel size in pixels (default 120)")
      ->check(CLI::Range(32, 1024));
  cmd_->add_option("--seed", o.seed, "random seed (default 0)");
  cmd_->add_option("--threads", o.threads, "threads (default 0: all cores)")
      ->check(CLI::Range(0, 4096));
  cmd_->add_flag("--quiet,-q", o.quiet, "no progress on stderr");
}

DemoCommand::~DemoCommand() = default;

bool DemoCommand::selected() const {
  return cmd_->parsed();
}

int DemoCommand::run() const {
  const Options& o = *o_;
  smt::ManifoldDemoOptions d = o.demo;
  d.manifold = o.manifold == "circle" ? smt::Manifold::kCircle : smt::Manifold::kDisk;
  d.op = o.op == "first" ? smt::Operator::kFirst : smt::Operator::kSecond;
  d.coding =
      o.coding == "threshold" ? smt::LandmarkCoding::kThreshold : smt::LandmarkCoding::kInterpolate;
  d.code_values = o.values == "variable" ? smt::CodeValues::kVariable : smt::CodeValues::kBinary;
  d.layout = o.layout == "kmeans" ? smt::DiskLayout::kKMeans : smt::DiskLayout::kRings;
  smt::Context ctx;
  ctx.seed = o.seed;
  ctx.threads = o.threads;
  if (!o.quiet) ctx.observer = std::make_shared<smt::StreamObserver>();
  // Fail before the fit, not after it, when --out cannot be a directory.
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  SMT_CHECK(!ec && std::filesystem::is_directory(o.out), "cannot create output directory '", o.out,
            "'", ec ? ": " + ec.message() : std::string(": a file is in the way"));
  const smt::ManifoldDemoResult r = smt::run_manifold_demo(d, ctx);
  smt::write_manifold_demo(r, o.out, ctx, o.panel);
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
