#include "smt/demo/harmonic_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>

#include "smt/demo/numerics.h"

namespace smt {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Circle check: spans of m = 1..kMaxCircleM harmonic pairs.
constexpr int kMaxCircleM = 5;
constexpr double kMinCanonicalCorrelation = 0.98;
constexpr double kMaxPairRelDiff = 0.1;
// Disk check: the first seven functions.
constexpr int kDiskChecked = 7;
constexpr int kDiskExpectedM[kDiskChecked] = {1, 1, 2, 2, 0, 3, 3};
constexpr double kMinPurity = 0.9;

// Disk evaluation grid.
constexpr int kDiskRadii = 40, kDiskAngles = 128;

std::vector<Point2> polar_grid(std::vector<double>* weights) {
  std::vector<Point2> pts;
  pts.reserve(static_cast<std::size_t>(kDiskRadii) * kDiskAngles);
  if (weights) weights->clear();
  for (int i = 0; i < kDiskRadii; ++i) {
    const double r = (i + 0.5) / kDiskRadii;
    if (weights) weights->push_back(r / kDiskRadii);  // r dr
    for (int j = 0; j < kDiskAngles; ++j) {
      const double a = kTwoPi * j / kDiskAngles;
      pts.push_back({r * std::cos(a), r * std::sin(a)});
    }
  }
  return pts;
}

// Functions that vanish on the manifold: directions p of P in the null space
// of the codes (V p = 0, hence L p = 0). They solve L p = lambda (V + eps I) p
// with lambda = 0 but are not functions on the manifold: their normalisation
// p^T (V + eps I) p = 1 comes from the regulariser, eps |p|^2 ~ 1, while a
// real function has eps |p|^2 << 1. Binary threshold codes of exactly w atoms
// on K equally spaced circle landmarks produce them when w divides K (the
// codes are moving averages of width w).
std::vector<int> vanishing_functions(const ManifoldDemoResult& r) {
  const int d = r.projection.embed_dim(), k = r.projection.dict_size();
  const auto& p = r.projection.by_atom();
  std::vector<int> out;
  for (int j = 0; j < d; ++j) {
    double sq = 0;
    for (int a = 0; a < k; ++a)
      sq += static_cast<double>(p[static_cast<std::size_t>(a) * d + j]) *
            p[static_cast<std::size_t>(a) * d + j];
    if (r.report.v_reg * sq > 0.5) out.push_back(j + 1);
  }
  return out;
}

}  // namespace

std::vector<Point2> circle_points(int n) {
  std::vector<Point2> p(n);
  for (int i = 0; i < n; ++i) {
    const double t = kTwoPi * i / n;
    p[i] = {std::cos(t), std::sin(t)};
  }
  return p;
}

std::vector<double> function_column(const std::vector<double>& f, int d, int j) {
  std::vector<double> c(f.size() / d);
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = f[i * d + j];
  return c;
}

void analyse_circle(ManifoldDemoResult& r, nlohmann::json& m) {
  const int d = r.projection.embed_dim();
  const int n = kCircleGrid;
  const std::vector<double> f = evaluate_functions(r, circle_points(n));
  r.vanishing = vanishing_functions(r);
  const std::vector<double> one(1, 1.0);
  for (int j = 0; j < d; ++j) {
    const AngularSpectrum s = angular_spectrum(function_column(f, d, j), 1, n, one);
    r.angular_frequency.push_back(s.dominant);
    r.angular_purity.push_back(s.purity);
    r.laplacian_ratio.push_back(static_cast<double>(s.dominant) * s.dominant);
  }
  r.min_canonical_correlation = 1.0;
  nlohmann::json cc = nlohmann::json::array();
  for (int mm = 1; mm <= kMaxCircleM && 2 * mm <= d; ++mm) {
    std::vector<double> a(static_cast<std::size_t>(n) * 2 * mm), b(a.size());
    for (int c = 0; c < 2 * mm; ++c)
      for (int i = 0; i < n; ++i)
        a[static_cast<std::size_t>(c) * n + i] = f[static_cast<std::size_t>(i) * d + c];
    for (int k = 1; k <= mm; ++k)
      for (int i = 0; i < n; ++i) {
        const double t = kTwoPi * i / n;
        b[static_cast<std::size_t>(2 * (k - 1)) * n + i] = std::cos(k * t);
        b[static_cast<std::size_t>(2 * (k - 1) + 1) * n + i] = std::sin(k * t);
      }
    const std::vector<double> rho = canonical_correlations(a, 2 * mm, b, 2 * mm, n);
    r.canonical_correlations.push_back(rho);
    r.min_canonical_correlation = std::min(r.min_canonical_correlation, rho.back());
    cc.push_back({{"m", mm}, {"correlations", rho}});
  }
  // Eigenvalue pairs (2k-1, 2k) for k = 1..5.
  nlohmann::json pairs = nlohmann::json::array();
  double max_rel = 0;
  for (int k = 0; 2 * k + 1 < d && k < kMaxCircleM; ++k) {
    const double la = r.eigenvalues[2 * k], lb = r.eigenvalues[2 * k + 1];
    const double rel = (lb - la) / lb;
    const double gap = 2 * k + 2 < d ? (r.eigenvalues[2 * k + 2] - lb) / lb : -1;
    max_rel = std::max(max_rel, rel);
    pairs.push_back({{"functions", {2 * k + 1, 2 * k + 2}},
                     {"eigenvalues", {la, lb}},
                     {"rel_diff", rel},
                     {"rel_gap_to_next", gap}});
  }
  m["canonical_correlations"] = cc;
  m["min_canonical_correlation"] = r.min_canonical_correlation;
  m["eigenvalue_pairs"] = pairs;
  m["max_pair_rel_diff"] = max_rel;
  m["frequency"] = r.angular_frequency;
  m["frequency_purity"] = r.angular_purity;
  const bool cc_ok = r.min_canonical_correlation >= kMinCanonicalCorrelation;
  const bool pairs_ok = max_rel <= kMaxPairRelDiff;
  m["checks"] = {{"min_canonical_correlation_ge_0.98", cc_ok},
                 {"pair_rel_diff_le_0.1", pairs_ok},
                 {"no_vanishing_functions", r.vanishing.empty()}};
  r.checks_passed = cc_ok && pairs_ok && r.vanishing.empty();
}

void analyse_disk(ManifoldDemoResult& r, nlohmann::json& m) {
  const int d = r.projection.embed_dim();
  std::vector<double> weights;
  const std::vector<double> f = evaluate_functions(r, polar_grid(&weights));
  r.vanishing = vanishing_functions(r);
  nlohmann::json modes = nlohmann::json::array();
  const double j11 = bessel_derivative_zero(1, 1);
  for (int j = 0; j < d; ++j) {
    const AngularSpectrum s =
        angular_spectrum(function_column(f, d, j), kDiskRadii, kDiskAngles, weights);
    r.angular_frequency.push_back(s.dominant);
    r.angular_purity.push_back(s.purity);
    r.radial_sign_changes.push_back(s.sign_changes);
    // Neumann mode J_m(j'_mn r) has n - 1 interior zeros for m >= 1 and n for
    // m = 0 (n = 0 is the constant).
    const int n = s.dominant == 0 ? s.sign_changes : s.sign_changes + 1;
    const double z = n == 0 ? 0.0 : bessel_derivative_zero(s.dominant, n);
    r.laplacian_ratio.push_back(z * z / (j11 * j11));
    modes.push_back({{"function", j + 1},
                     {"m", s.dominant},
                     {"n", n},
                     {"purity", s.purity},
                     {"eigenvalue_ratio", r.eigenvalues[j] / r.eigenvalues[0]},
                     {"laplacian_ratio", z * z / (j11 * j11)}});
  }
  const int checked = std::min(d, kDiskChecked);
  bool order_ok = d >= kDiskChecked, purity_ok = true;
  double min_purity = 1.0;
  for (int j = 0; j < checked; ++j) {
    order_ok = order_ok && r.angular_frequency[j] == kDiskExpectedM[j];
    purity_ok = purity_ok && r.angular_purity[j] >= kMinPurity;
    min_purity = std::min(min_purity, r.angular_purity[j]);
  }
  // Runs of equal m >= 1 should have even length (cos/sin pairs; a run cut
  // by the end of the kept functions is not judged), with near-equal
  // eigenvalues within each pair.
  nlohmann::json runs = nlohmann::json::array(), pairs = nlohmann::json::array();
  bool pairs_ok = true;
  double max_rel = 0;
  for (int j = 0; j < d;) {
    int e = j;
    while (e < d && r.angular_frequency[e] == r.angular_frequency[j]) ++e;
    runs.push_back({{"m", r.angular_frequency[j]}, {"count", e - j}});
    if (r.angular_frequency[j] >= 1 && (e - j) % 2 != 0 && e < d && j < checked) pairs_ok = false;
    if (r.angular_frequency[j] >= 1)
      for (int a = j; a + 1 < e; a += 2) {
        const double rel = (r.eigenvalues[a + 1] - r.eigenvalues[a]) / r.eigenvalues[a + 1];
        if (a < checked) max_rel = std::max(max_rel, rel);
        pairs.push_back({{"functions", {a + 1, a + 2}},
                         {"m", r.angular_frequency[j]},
                         {"eigenvalues", {r.eigenvalues[a], r.eigenvalues[a + 1]}},
                         {"rel_diff", rel}});
      }
    j = e;
  }
  m["angular_frequency"] = r.angular_frequency;
  m["angular_purity"] = r.angular_purity;
  m["radial_sign_changes"] = r.radial_sign_changes;
  m["modes"] = modes;
  m["frequency_runs"] = runs;
  m["eigenvalue_pairs"] = pairs;
  m["max_pair_rel_diff_first_seven"] = max_rel;
  m["expected_first_frequencies"] = std::vector<int>(kDiskExpectedM, kDiskExpectedM + kDiskChecked);
  m["min_purity_first_seven"] = min_purity;
  m["checks"] = {{"first_seven_frequencies_1_1_2_2_0_3_3", order_ok},
                 {"first_seven_purity_ge_0.9", purity_ok},
                 {"first_seven_paired", pairs_ok},
                 {"no_vanishing_functions", r.vanishing.empty()}};
  r.checks_passed = order_ok && purity_ok && pairs_ok && r.vanishing.empty();
}

}  // namespace smt
