// The synthetic-manifold check of paper 1 (figure 2; docs/algorithm.md, "synthetic
// check"): points on the unit circle or the unit disk, coded against
// landmarks, neighbourhood from time along smooth random trajectories, SMT
// fitted with the library's sequence statistics and eigen solver. The rows of
// P, drawn as functions over the manifold, should be its low-frequency
// harmonics; this module runs the check (the measurements are in
// harmonic_analysis.h and numerics.h, the figures in demo_figures.h).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/demo/landmark_coder.h"
#include "smt/stages/projection.h"
#include "smt/stages/statistics.h"

namespace smt {

enum class Manifold { kCircle, kDisk };
// kInterpolate: landmark interpolation (linear / barycentric). kThreshold: the
// engine's cosine-threshold SparseCoder on lifted points (landmark_coder.h).
enum class LandmarkCoding { kInterpolate, kThreshold };
enum class DiskLayout { kRings, kKMeans };

struct ManifoldDemoOptions {
  Manifold manifold = Manifold::kCircle;
  int dict_size = 300;   // landmarks K
  int embed_dim = 21;    // d (kept eigenvectors after `skip`)
  int skip = 1;          // the constant function
  int trajectories = 400;  // 0: 400 too
  int steps = 2500;        // per trajectory; 0: 2500 too
  // Trajectories: velocity v_{t+1} = rho v_t + sqrt(1 - rho^2) sigma xi
  // (xi standard normal, per coordinate), x_{t+1} = x_t + v_{t+1}; the circle
  // wraps, the disk reflects specularly at its boundary. sigma = step_size
  // landmark spacings (2 pi / K on the circle, sqrt(pi / K) on the disk).
  double step_size = 1.0;
  double smoothness = 0.9;  // rho in [0, 1)
  Operator op = Operator::kSecond;
  int neighborhood = 1;  // temporal half-window; -1: whole trajectory
  LandmarkCoding coding = LandmarkCoding::kInterpolate;
  // Threshold coding: cosine threshold on the lifted points; 0 picks the
  // threshold that activates landmarks within `threshold_radius` spacings.
  double threshold = 0;
  // 2.25: about 4.5 active atoms, 4 or 5 depending on the position. A radius
  // of w/2 spacings activates exactly w atoms everywhere, which makes binary
  // codes moving averages with a null space when w divides K.
  double threshold_radius = 2.25;
  CodeValues code_values = CodeValues::kBinary;
  DiskLayout layout = DiskLayout::kRings;
  double v_reg = 1e-6;
};

// Fills the per-manifold defaults (trajectories, steps) and checks ranges;
// throws smt::Error naming the option.
ManifoldDemoOptions resolved(const ManifoldDemoOptions& options);

class ManifoldCoder;  // turns points of the manifold into codes (manifold_coder.h)

struct ManifoldDemoResult {
  ManifoldDemoOptions options;  // resolved
  std::shared_ptr<const ManifoldCoder> coder;
  Projection projection;
  ProjectionReport report;
  std::vector<double> eigenvalues;  // the d kept, ascending
  double fit_seconds = 0;           // trajectories + coding + statistics + solve
  double mean_atoms_per_code = 0;
  double outside_hull_fraction = 0;  // disk, interpolation: trajectory points projected to the hull

  // Harmonic analysis of each embedding function (both manifolds):
  // dominant angular frequency m and the share of the energy at m.
  std::vector<int> angular_frequency;
  std::vector<double> angular_purity;
  // Circle: canonical correlations of span{f_1..f_2m} with
  // span{cos k theta, sin k theta : k <= m}, for m = 1..5 (descending).
  std::vector<std::vector<double>> canonical_correlations;
  double min_canonical_correlation = 0;
  // Disk: sign changes of the radial profile at the dominant m, the implied
  // Neumann mode (m, n) and its eigenvalue j'_{mn}^2 relative to j'_{11}^2.
  std::vector<int> radial_sign_changes;
  std::vector<double> laplacian_ratio;  // predicted lambda_j / lambda_1 of the Laplacian
  // Functions (1-based) that are zero on the whole evaluation grid: null
  // directions of the codes, not harmonics (see harmonic_analysis.cpp).
  std::vector<int> vanishing;
  nlohmann::json metrics;
  bool checks_passed = false;
};

// Generates the trajectories, codes them, accumulates the sequence statistics
// and solves for P; then evaluates the functions and computes the metrics.
// Deterministic given options and ctx.seed (independent of ctx.threads).
ManifoldDemoResult run_manifold_demo(const ManifoldDemoOptions& options, const Context& ctx);

// Writes functions.png (panels of `panel` pixels), spectrum.png,
// embedding.png (circle) and metrics.json into dir (created if missing), each
// atomically.
void write_manifold_demo(const ManifoldDemoResult& result, const std::string& dir,
                         const Context& ctx, int panel = 120);

// Embedding functions f_j(x) = (P alpha(x))_j, not normalised, at points of
// the manifold (the circle uses their angle): n x d, row-major.
std::vector<double> evaluate_functions(const ManifoldDemoResult& result,
                                       const std::vector<Point2>& points);

}  // namespace smt
