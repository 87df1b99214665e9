#include "smt/demo/manifold_demo.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <random>

#include "kernels/lapack.h"
#include "smt/io/atomic_file.h"
#include "smt/stages/dictionary.h"
#include "smt/core/error.h"
#include "smt/demo/plot.h"
#include "smt/demo/png_image.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Radius of the sphere the disk is lifted onto for threshold coding.
constexpr double kLiftRadius = 2.0;

// Circle check: spans of m = 1..kMaxCircleM harmonic pairs.
constexpr int kMaxCircleM = 5;
constexpr double kMinCanonicalCorrelation = 0.98;
constexpr double kMaxPairRelDiff = 0.1;
// Disk check: the first seven functions.
constexpr int kDiskChecked = 7;
constexpr int kDiskExpectedM[kDiskChecked] = {1, 1, 2, 2, 0, 3, 3};
constexpr double kMinPurity = 0.9;

// Evaluation grids.
constexpr int kCircleGrid = 2048;
constexpr int kDiskRadii = 40, kDiskAngles = 128;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

const char* name(Manifold m) {
  return m == Manifold::kCircle ? "circle" : "disk";
}

std::vector<Point2> circle_points(int n) {
  std::vector<Point2> p(n);
  for (int i = 0; i < n; ++i) {
    const double t = kTwoPi * i / n;
    p[i] = {std::cos(t), std::sin(t)};
  }
  return p;
}

}  // namespace

// ---------------------------------------------------------------- coder

class ManifoldCoder {
 public:
  explicit ManifoldCoder(const ManifoldDemoOptions& o, const Context& ctx)
      : manifold_(o.manifold),
        coding_(o.coding),
        circle_(o.manifold == Manifold::kCircle ? o.dict_size : 3) {
    std::vector<Point2> landmarks;
    if (manifold_ == Manifold::kCircle) {
      for (int k = 0; k < o.dict_size; ++k)
        landmarks.push_back({std::cos(circle_.angle(k)), std::sin(circle_.angle(k))});
      spacing_ = circle_.spacing();
    } else {
      landmarks = o.layout == DiskLayout::kRings
                      ? disk_ring_layout(o.dict_size)
                      : disk_kmeans_layout(o.dict_size, std::max(50 * o.dict_size, 20000), 50,
                                           splitmix(ctx.seed ^ 0x6C616E646D61726Bull), ctx);
      planar_ = std::make_unique<PlanarLandmarks>(landmarks);
      spacing_ = std::sqrt(kPi / o.dict_size);
    }
    landmarks_ = landmarks;
    if (coding_ == LandmarkCoding::kThreshold) {
      std::vector<float> atoms;
      double threshold = o.threshold;
      const double rho = o.threshold_radius * spacing_;
      if (manifold_ == Manifold::kCircle) {
        std::vector<double> angles(o.dict_size);
        for (int k = 0; k < o.dict_size; ++k) angles[k] = circle_.angle(k);
        atoms = lift_angles(angles);
        if (threshold <= 0) threshold = std::cos(rho);
      } else {
        atoms = lift_planar(landmarks, kLiftRadius);
        // Lifted unit vectors at chordal distance c have cosine 1 - c^2 / 2;
        // c = rho / R for planar distance rho at equal radius.
        if (threshold <= 0) threshold = 1.0 - rho * rho / (2.0 * kLiftRadius * kLiftRadius);
      }
      threshold_ = threshold;
      dictionary_ = std::make_unique<Dictionary>(o.dict_size, dim(), std::move(atoms));
      coder_ = std::make_unique<SparseCoder>(*dictionary_, threshold, o.code_values);
    }
  }

  int dim() const { return manifold_ == Manifold::kCircle ? 2 : 3; }
  double spacing() const { return spacing_; }
  double threshold() const { return threshold_; }
  const std::vector<Point2>& landmarks() const { return landmarks_; }
  const PlanarLandmarks* planar() const { return planar_.get(); }

  // Appends the codes of the points (circle: by their angle). Thread-safe
  // with one scratch per thread.
  void encode(const std::vector<Point2>& pts, PatchCodes& out, SparseCoder::Scratch& scratch,
              std::int64_t* outside_hull = nullptr) const {
    const int n = static_cast<int>(pts.size());
    if (coder_) {
      std::vector<float> lifted;
      if (manifold_ == Manifold::kCircle) {
        std::vector<double> angles(n);
        for (int i = 0; i < n; ++i) angles[i] = std::atan2(pts[i].y, pts[i].x);
        lifted = lift_angles(angles);
      } else {
        lifted = lift_planar(pts, kLiftRadius);
      }
      coder_->encode(lifted.data(), n, out, scratch);
      return;
    }
    std::vector<LandmarkCode> codes(n);
    for (int i = 0; i < n; ++i) {
      if (manifold_ == Manifold::kCircle) {
        codes[i] = circle_.code(std::atan2(pts[i].y, pts[i].x));
      } else {
        codes[i] = planar_->code(pts[i]);
        if (outside_hull && codes[i].count == 2) ++*outside_hull;
      }
    }
    append_codes(codes, out);
  }

 private:
  Manifold manifold_;
  LandmarkCoding coding_;
  CircleLandmarks circle_;
  std::unique_ptr<PlanarLandmarks> planar_;
  std::vector<Point2> landmarks_;
  double spacing_ = 0, threshold_ = 0;
  std::unique_ptr<Dictionary> dictionary_;
  std::unique_ptr<SparseCoder> coder_;  // refers to *dictionary_
};

// ---------------------------------------------------------------- options

ManifoldDemoOptions resolved(const ManifoldDemoOptions& in) {
  ManifoldDemoOptions o = in;
  const bool circle = o.manifold == Manifold::kCircle;
  if (o.trajectories == 0) o.trajectories = 400;
  if (o.steps == 0) o.steps = 2500;
  SMT_CHECK(o.dict_size >= (circle ? 3 : 4) && o.dict_size <= 65536, "--dict-size ", o.dict_size,
            " out of range [", circle ? 3 : 4, ", 65536]");
  SMT_CHECK(o.embed_dim >= 1 && o.skip >= 0 && o.skip + o.embed_dim < o.dict_size, "--embed-dim ",
            o.embed_dim, " + --skip ", o.skip, " must be below --dict-size ", o.dict_size);
  SMT_CHECK(o.trajectories >= 1, "--trajectories must be >= 1");
  SMT_CHECK(o.steps >= 3, "--steps must be >= 3");
  SMT_CHECK(static_cast<double>(o.trajectories) * o.steps <= 2e8,
            "--trajectories x --steps must stay below 2e8 points");
  SMT_CHECK(o.step_size > 0 && std::isfinite(o.step_size), "--step-size must be positive");
  SMT_CHECK(o.smoothness >= 0 && o.smoothness < 1, "--smoothness must be in [0, 1)");
  SMT_CHECK(o.neighborhood == -1 || o.neighborhood >= 1, "--neighborhood must be >= 1 or -1");
  SMT_CHECK(o.threshold >= 0 && o.threshold <= 1, "--threshold must be in [0, 1] (0: auto)");
  SMT_CHECK(o.threshold_radius > 0, "--threshold-radius must be positive");
  SMT_CHECK(o.v_reg >= 0, "--v-reg must be >= 0");
  return o;
}

// ---------------------------------------------------------------- measurements

std::vector<double> canonical_correlations(const std::vector<double>& a, int ka,
                                           const std::vector<double>& b, int kb, int n) {
  SMT_CHECK(ka >= 1 && kb >= 1 && n >= ka && n >= kb, "canonical correlations: ", n,
            " rows cannot span ", ka, " and ", kb, " columns");
  SMT_CHECK(
      a.size() == static_cast<std::size_t>(n) * ka && b.size() == static_cast<std::size_t>(n) * kb,
      "canonical correlations: matrix sizes disagree");
  auto orthonormal = [n](std::vector<double> m, int k) {
    std::vector<double> tau(k);
    int info = 0, lwork = -1;
    double wq = 0;
    dgeqrf_(&n, &k, m.data(), &n, tau.data(), &wq, &lwork, &info);
    lwork = std::max(1, static_cast<int>(wq));
    std::vector<double> work(lwork);
    dgeqrf_(&n, &k, m.data(), &n, tau.data(), work.data(), &lwork, &info);
    SMT_CHECK(info == 0, "LAPACK dgeqrf failed (info=", info, ")");
    lwork = -1;
    dorgqr_(&n, &k, &k, m.data(), &n, tau.data(), &wq, &lwork, &info);
    lwork = std::max(1, static_cast<int>(wq));
    work.resize(lwork);
    dorgqr_(&n, &k, &k, m.data(), &n, tau.data(), work.data(), &lwork, &info);
    SMT_CHECK(info == 0, "LAPACK dorgqr failed (info=", info, ")");
    return m;
  };
  const std::vector<double> qa = orthonormal(a, ka), qb = orthonormal(b, kb);
  // M = Qa^T Qb (ka x kb). Its singular values are the canonical
  // correlations: the square roots of the eigenvalues of the smaller of
  // M M^T and M^T M (accurate for the correlations near 1 that matter here).
  std::vector<double> m(static_cast<std::size_t>(ka) * kb);
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, ka, kb, n, 1.0, qa.data(), n, qb.data(), n,
              0.0, m.data(), ka);
  const int r = std::min(ka, kb);
  std::vector<double> g(static_cast<std::size_t>(r) * r);
  if (ka <= kb)
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, ka, ka, kb, 1.0, m.data(), ka, m.data(),
                ka, 0.0, g.data(), ka);
  else
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, kb, kb, ka, 1.0, m.data(), ka, m.data(),
                ka, 0.0, g.data(), kb);
  std::vector<double> w(r), z(static_cast<std::size_t>(r) * r);
  lapack::syev(r, g.data(), w.data(), z.data());
  std::vector<double> out(r);
  for (int i = 0; i < r; ++i) out[i] = std::sqrt(std::clamp(w[r - 1 - i], 0.0, 1.0));
  return out;
}

AngularSpectrum angular_spectrum(const std::vector<double>& values, int nr, int nt,
                                 const std::vector<double>& weights) {
  SMT_CHECK(nr >= 1 && nt >= 4 && values.size() == static_cast<std::size_t>(nr) * nt &&
                weights.size() == static_cast<std::size_t>(nr),
            "angular spectrum: grid sizes disagree");
  const int mmax = nt / 2 - 1;  // the Nyquist term stays in `total` only
  AngularSpectrum s;
  s.energy.assign(mmax + 1, 0.0);
  // cos(2 pi m j / nt) = cs[(m j) mod nt].
  std::vector<double> cs(nt), sn(nt);
  for (int j = 0; j < nt; ++j) {
    cs[j] = std::cos(kTwoPi * j / nt);
    sn[j] = std::sin(kTwoPi * j / nt);
  }
  std::vector<double> ca(static_cast<std::size_t>(nr) * (mmax + 1)), cb(ca.size());
  for (int i = 0; i < nr; ++i) {
    const double* f = values.data() + static_cast<std::size_t>(i) * nt;
    double sq = 0;
    for (int j = 0; j < nt; ++j) sq += f[j] * f[j];
    // Integral over the angle of f^2 is (2 pi / nt) sum f^2 (Parseval).
    s.total += weights[i] * kTwoPi / nt * sq;
    for (int m = 0; m <= mmax; ++m) {
      double a = 0, b = 0;
      for (int j = 0, idx = 0; j < nt; ++j, idx = (idx + m) % nt) {
        a += f[j] * cs[idx];
        b += f[j] * sn[idx];
      }
      // f = a0 + sum a_m cos + b_m sin: a_0 = mean, a_m = 2/nt sum f cos.
      const double norm = m == 0 ? 1.0 / nt : 2.0 / nt;
      a *= norm;
      b *= norm;
      ca[static_cast<std::size_t>(i) * (mmax + 1) + m] = a;
      cb[static_cast<std::size_t>(i) * (mmax + 1) + m] = b;
      s.energy[m] += weights[i] * (m == 0 ? kTwoPi * a * a : kPi * (a * a + b * b));
    }
  }
  s.dominant =
      static_cast<int>(std::max_element(s.energy.begin(), s.energy.end()) - s.energy.begin());
  s.purity = s.total > 0 ? s.energy[s.dominant] / s.total : 0.0;
  // Signed radial profile: the (a_m, b_m) curve projected on its principal
  // direction (for m = 0 just a_0).
  const int m = s.dominant;
  double saa = 0, sab = 0, sbb = 0;
  for (int i = 0; i < nr; ++i) {
    const double a = ca[static_cast<std::size_t>(i) * (mmax + 1) + m];
    const double b = cb[static_cast<std::size_t>(i) * (mmax + 1) + m];
    saa += a * a;
    sab += a * b;
    sbb += b * b;
  }
  const double phi = 0.5 * std::atan2(2 * sab, saa - sbb);
  s.profile.resize(nr);
  double peak = 0;
  for (int i = 0; i < nr; ++i) {
    const double a = ca[static_cast<std::size_t>(i) * (mmax + 1) + m];
    const double b = cb[static_cast<std::size_t>(i) * (mmax + 1) + m];
    s.profile[i] = a * std::cos(phi) + b * std::sin(phi);
    peak = std::max(peak, std::abs(s.profile[i]));
  }
  int last = 0;
  for (double p : s.profile) {
    if (std::abs(p) < 0.05 * peak) continue;
    const int sign = p > 0 ? 1 : -1;
    if (last != 0 && sign != last) ++s.sign_changes;
    last = sign;
  }
  return s;
}

double bessel_derivative_zero(int m, int n) {
  SMT_CHECK(m >= 0 && m <= 100 && n >= 1 && n <= 100, "Bessel zero (", m, ", ", n,
            ") out of the supported range");
  auto dj = [m](double x) {
    if (m == 0) return -std::cyl_bessel_j(1.0, x);
    return 0.5 * (std::cyl_bessel_j(m - 1.0, x) - std::cyl_bessel_j(m + 1.0, x));
  };
  const double step = 0.01;
  double x = step, fx = dj(x);
  int found = 0;
  while (x < 1000) {
    const double y = x + step, fy = dj(y);
    if ((fx < 0) != (fy < 0)) {
      if (++found == n) {
        double lo = x, hi = y, flo = fx;
        for (int it = 0; it < 100; ++it) {
          const double mid = 0.5 * (lo + hi), fm = dj(mid);
          if ((fm < 0) == (flo < 0)) {
            lo = mid;
            flo = fm;
          } else {
            hi = mid;
          }
        }
        return 0.5 * (lo + hi);
      }
    }
    x = y;
    fx = fy;
  }
  SMT_THROW("Bessel derivative zero (", m, ", ", n, ") not found");
}

// ---------------------------------------------------------------- the run

std::vector<double> evaluate_functions(const ManifoldDemoResult& r,
                                       const std::vector<Point2>& points) {
  SMT_CHECK(r.coder != nullptr, "evaluate_functions: no fitted demo");
  PatchCodes codes;
  SparseCoder::Scratch scratch;
  r.coder->encode(points, codes, scratch);
  const int d = r.projection.embed_dim();
  const auto& p = r.projection.by_atom();
  std::vector<double> f(points.size() * static_cast<std::size_t>(d), 0.0);
  for (int i = 0; i < codes.num_patches(); ++i) {
    double* row = f.data() + static_cast<std::size_t>(i) * d;
    for (auto e = codes.begin(i); e < codes.end(i); ++e) {
      const double a = codes.value(i, e);
      const float* col = p.data() + static_cast<std::size_t>(codes.atoms[e]) * d;
      for (int j = 0; j < d; ++j) row[j] += a * col[j];
    }
  }
  return f;
}

namespace {

// One trajectory of `steps` points, seeded by (seed, index).
// Starts are stratified (trajectory i of n starts in the i-th of n equal-area
// strata: an arc of the circle, a sunflower cell of the disk) so that the
// visited density is uniform at low frequencies, where diffusing walks
// average out slowest.
std::vector<Point2> trajectory(const ManifoldDemoOptions& o, double spacing, std::uint64_t seed,
                               int index) {
  std::mt19937_64 rng(splitmix(seed ^ splitmix(static_cast<std::uint64_t>(index) + 1)));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  const double sigma = o.step_size * spacing, rho = o.smoothness;
  const double kick = std::sqrt(1.0 - rho * rho) * sigma;
  std::vector<Point2> out(o.steps);
  if (o.manifold == Manifold::kCircle) {
    double theta = kTwoPi * (index + unit(rng)) / o.trajectories, v = sigma * normal(rng);
    for (int t = 0; t < o.steps; ++t) {
      out[t] = {std::cos(theta), std::sin(theta)};
      v = rho * v + kick * normal(rng);
      theta = std::remainder(theta + v, kTwoPi);
    }
    return out;
  }
  const double golden_angle = kPi * (3.0 - std::sqrt(5.0));
  const double r0 = std::sqrt((index + unit(rng)) / o.trajectories);
  const double a0 = golden_angle * index + 0.1 * unit(rng);
  Point2 x{r0 * std::cos(a0), r0 * std::sin(a0)};
  Point2 v{sigma * normal(rng), sigma * normal(rng)};
  for (int t = 0; t < o.steps; ++t) {
    out[t] = x;
    v.x = rho * v.x + kick * normal(rng);
    v.y = rho * v.y + kick * normal(rng);
    // Move by v with specular reflection at the unit circle.
    Point2 d = v;
    for (int bounce = 0;; ++bounce) {
      const Point2 q{x.x + d.x, x.y + d.y};
      if (q.x * q.x + q.y * q.y <= 1.0) {
        x = q;
        break;
      }
      if (bounce == 8) {  // grazing pathologies: stop on the boundary
        const double r = std::hypot(q.x, q.y);
        x = {q.x / r * (1 - 1e-12), q.y / r * (1 - 1e-12)};
        break;
      }
      // |x + s d| = 1 for s in (0, 1].
      const double a = d.x * d.x + d.y * d.y, b = 2 * (x.x * d.x + x.y * d.y);
      const double c = x.x * x.x + x.y * x.y - 1.0;
      const double s = (-b + std::sqrt(std::max(0.0, b * b - 4 * a * c))) / (2 * a);
      Point2 hit{x.x + s * d.x, x.y + s * d.y};
      const double hr = std::hypot(hit.x, hit.y);
      const Point2 nrm{hit.x / hr, hit.y / hr};
      Point2 rest{(1 - s) * d.x, (1 - s) * d.y};
      const double rn = rest.x * nrm.x + rest.y * nrm.y, vn = v.x * nrm.x + v.y * nrm.y;
      rest = {rest.x - 2 * rn * nrm.x, rest.y - 2 * rn * nrm.y};
      v = {v.x - 2 * vn * nrm.x, v.y - 2 * vn * nrm.y};
      x = {hit.x / hr * (1 - 1e-12), hit.y / hr * (1 - 1e-12)};
      d = rest;
    }
  }
  return out;
}

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

std::vector<double> column(const std::vector<double>& f, int d, int j) {
  std::vector<double> c(f.size() / d);
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = f[i * d + j];
  return c;
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

void analyse_circle(ManifoldDemoResult& r, nlohmann::json& m) {
  const int d = r.projection.embed_dim();
  const int n = kCircleGrid;
  const std::vector<double> f = evaluate_functions(r, circle_points(n));
  r.vanishing = vanishing_functions(r);
  const std::vector<double> one(1, 1.0);
  for (int j = 0; j < d; ++j) {
    const AngularSpectrum s = angular_spectrum(column(f, d, j), 1, n, one);
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
    const AngularSpectrum s = angular_spectrum(column(f, d, j), kDiskRadii, kDiskAngles, weights);
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

}  // namespace

ManifoldDemoResult run_manifold_demo(const ManifoldDemoOptions& options, const Context& ctx) {
  ManifoldDemoResult r;
  r.options = resolved(options);
  const ManifoldDemoOptions& o = r.options;
  Timer timer;
  auto coder = std::make_shared<ManifoldCoder>(o, ctx);
  r.coder = coder;
  ctx.log(str_cat(name(o.manifold), ": ", o.dict_size, " landmarks, ", o.trajectories,
                  " trajectories x ", o.steps, " steps, ",
                  o.coding == LandmarkCoding::kInterpolate ? "interpolation" : "threshold",
                  " coding"));
  // Trajectories and their codes, in parallel; each depends only on its index.
  std::vector<PatchCodes> codes(o.trajectories);
  std::int64_t outside = 0;
  const int threads = ctx.num_threads();
#pragma omp parallel num_threads(threads) reduction(+ : outside)
  {
    SparseCoder::Scratch scratch;
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < o.trajectories; ++i)
      coder->encode(trajectory(o, coder->spacing(), ctx.seed, i), codes[i], scratch, &outside);
  }
  std::int64_t entries = 0;
  for (const PatchCodes& c : codes) entries += static_cast<std::int64_t>(c.atoms.size());
  const double points = static_cast<double>(o.trajectories) * o.steps;
  r.mean_atoms_per_code = static_cast<double>(entries) / points;
  r.outside_hull_fraction = static_cast<double>(outside) / points;
  SmtStatistics stats(o.dict_size, false, {o.op, o.neighborhood, ZeroCode::kArgmax});
  std::vector<const PatchCodes*> seqs;
  for (const PatchCodes& c : codes) seqs.push_back(&c);
  stats.add_sequences(seqs, ctx);
  std::vector<PatchCodes>().swap(codes);
  const std::int64_t columns = stats.num_columns();
  r.projection =
      Projection::fit(stats, o.embed_dim, o.skip, o.v_reg, EigenMethod::kAuto, ctx, &r.report);
  r.eigenvalues = r.projection.eigenvalues();
  r.fit_seconds = timer.seconds();
  ctx.log(str_cat("fitted in ", r.fit_seconds, "s; ", r.mean_atoms_per_code, " atoms per code"));

  nlohmann::json& m = r.metrics;
  m["manifold"] = name(o.manifold);
  m["dict_size"] = o.dict_size;
  m["embed_dim"] = o.embed_dim;
  m["skip"] = o.skip;
  m["seed"] = ctx.seed;
  m["trajectories"] = o.trajectories;
  m["steps"] = o.steps;
  m["step_size"] = o.step_size;
  m["smoothness"] = o.smoothness;
  m["operator"] = to_string(o.op);
  m["neighborhood"] = o.neighborhood;
  m["coding"] = o.coding == LandmarkCoding::kInterpolate ? "landmark" : "threshold";
  if (o.coding == LandmarkCoding::kThreshold) {
    m["threshold"] = coder->threshold();
    m["code_values"] = to_string(o.code_values);
  }
  if (o.manifold == Manifold::kDisk)
    m["layout"] = o.layout == DiskLayout::kRings ? "rings" : "kmeans";
  m["mean_atoms_per_code"] = r.mean_atoms_per_code;
  if (o.manifold == Manifold::kDisk && o.coding == LandmarkCoding::kInterpolate)
    m["outside_hull_fraction"] = r.outside_hull_fraction;
  m["operator_columns"] = columns;
  m["active_atoms"] = r.report.active_atoms;
  m["eigenvalues"] = r.eigenvalues;
  m["skipped_eigenvalues"] =
      std::vector<double>(r.report.eigenvalues.begin(), r.report.eigenvalues.begin() + o.skip);
  std::vector<double> ratio;
  for (double l : r.eigenvalues) ratio.push_back(l / r.eigenvalues[0]);
  m["eigenvalue_ratio"] = ratio;
  m["eigen_method"] = r.report.method;
  m["eigen_max_rel_residual"] = r.report.max_rel_residual;
  if (o.manifold == Manifold::kCircle)
    analyse_circle(r, m);
  else
    analyse_disk(r, m);
  m["laplacian_ratio"] = r.laplacian_ratio;
  m["vanishing_functions"] = r.vanishing;
  if (!r.vanishing.empty())
    ctx.log(str_cat("warning: ", r.vanishing.size(),
                    " embedding functions vanish on the manifold (P directions in the null "
                    "space of the codes); with threshold coding change --threshold-radius"));
  m["checks_passed"] = r.checks_passed;
  m["fit_seconds"] = r.fit_seconds;
  m["seconds"] = timer.seconds();
  return r;
}

// ---------------------------------------------------------------- figures

namespace {

std::string caption(const ManifoldDemoResult& r, int j) {
  const int pct = static_cast<int>(std::lround(100 * r.angular_purity[j]));
  return str_cat(j + 1, ": M=", r.angular_frequency[j], " (", pct, "%)");
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m > 0 ? m : 1.0;
}

RgbImage function_panels(const ManifoldDemoResult& r, int panel) {
  const int d = r.projection.embed_dim();
  const double half = 0.5 * panel;
  std::vector<RgbImage> panels;
  std::vector<std::string> captions;
  if (r.options.manifold == Manifold::kCircle) {
    const int n = kCircleGrid;
    const std::vector<double> f = evaluate_functions(r, circle_points(n));
    for (int j = 0; j < d; ++j) {
      const std::vector<double> c = column(f, d, j);
      const double s = max_abs(c);
      RgbImage img(panel, panel);
      // Ring coloured by f(theta); inside it the polar graph r = 0.4 + 0.18 f / max|f|.
      for (int y = 0; y < panel; ++y)
        for (int x = 0; x < panel; ++x) {
          const double px = (x + 0.5 - half) / half, py = (half - y - 0.5) / half;
          const double rr = std::hypot(px, py);
          if (rr < 0.68 || rr > 0.96) continue;
          double t = std::atan2(py, px);
          if (t < 0) t += kTwoPi;
          const int i = static_cast<int>(t / kTwoPi * n) % n;
          img.set(x, y, diverging_color(c[i] / s));
        }
      for (int i = 0; i < 256; ++i) {
        const double t = kTwoPi * i / 256;
        draw_line(img, half + 0.4 * half * std::cos(t), half - 0.4 * half * std::sin(t),
                  half + 0.4 * half * std::cos(t + kTwoPi / 256),
                  half - 0.4 * half * std::sin(t + kTwoPi / 256), colors::kLightGrey);
      }
      for (int i = 0; i < n; i += 4) {
        const int k = (i + 4) % n;
        const double ti = kTwoPi * i / n, tk = kTwoPi * k / n;
        const double ri = (0.4 + 0.18 * c[i] / s) * half, rk = (0.4 + 0.18 * c[k] / s) * half;
        draw_line(img, half + ri * std::cos(ti), half - ri * std::sin(ti), half + rk * std::cos(tk),
                  half - rk * std::sin(tk), colors::kBlack);
      }
      panels.push_back(std::move(img));
      captions.push_back(caption(r, j));
    }
  } else {
    std::vector<Point2> pts;
    std::vector<std::pair<int, int>> pix;
    for (int y = 0; y < panel; ++y)
      for (int x = 0; x < panel; ++x) {
        const double px = (x + 0.5 - half) / (half - 2), py = (half - y - 0.5) / (half - 2);
        if (px * px + py * py > 1.0) continue;
        pts.push_back({px, py});
        pix.emplace_back(x, y);
      }
    const std::vector<double> f = evaluate_functions(r, pts);
    for (int j = 0; j < d; ++j) {
      const std::vector<double> c = column(f, d, j);
      const double s = max_abs(c);
      RgbImage img(panel, panel);
      for (std::size_t i = 0; i < pix.size(); ++i)
        img.set(pix[i].first, pix[i].second, diverging_color(c[i] / s));
      panels.push_back(std::move(img));
      captions.push_back(caption(r, j));
    }
  }
  const ManifoldDemoOptions& o = r.options;
  const std::string title =
      str_cat("SMT ON THE ", o.manifold == Manifold::kCircle ? "CIRCLE" : "DISK",
              ": ROWS OF P (K=", o.dict_size, ", D=", o.embed_dim, ")");
  return panel_grid(panels, captions, 7, title);
}

RgbImage spectrum_plot(const ManifoldDemoResult& r) {
  SeriesPlot skipped, kept, predicted;
  const int skip = r.options.skip;
  for (std::size_t i = 0; i < r.report.eigenvalues.size(); ++i) {
    SeriesPlot& s = static_cast<int>(i) < skip ? skipped : kept;
    s.x.push_back(static_cast<double>(i) + 1 - skip);
    s.y.push_back(r.report.eigenvalues[i]);
  }
  for (std::size_t j = 0; j < r.laplacian_ratio.size(); ++j) {
    predicted.x.push_back(static_cast<double>(j) + 1);
    predicted.y.push_back(r.laplacian_ratio[j] * r.eigenvalues[0]);
  }
  skipped.color = {colors::kGrey};
  kept.lines = true;
  predicted.color = {colors::kRed};
  predicted.dot = 2.0;
  return plot_series({skipped, predicted, kept}, 720, 420,
                     "EIGENVALUES: SMT (BLUE), LAPLACIAN X LAMBDA1 (RED)",
                     "FUNCTION INDEX (0: SKIPPED)", "LAMBDA");
}

RgbImage embedding_plot(const ManifoldDemoResult& r) {
  const int d = r.projection.embed_dim();
  const int n = 720;
  const std::vector<double> f = evaluate_functions(r, circle_points(n));
  SeriesPlot flat, solid;
  const double az = 0.6, el = 0.45;
  for (int i = 0; i < n; ++i) {
    const double* b = f.data() + static_cast<std::size_t>(i) * d;
    const Rgb c = cyclic_color(static_cast<double>(i) / n);
    flat.x.push_back(b[0]);
    flat.y.push_back(d > 1 ? b[1] : 0.0);
    flat.color.push_back(c);
    const double x = b[0], y = d > 1 ? b[1] : 0.0, z = d > 2 ? b[2] : 0.0;
    solid.x.push_back(x * std::cos(az) - y * std::sin(az));
    solid.y.push_back((x * std::sin(az) + y * std::cos(az)) * std::sin(el) + z * std::cos(el));
    solid.color.push_back(c);
  }
  flat.dot = solid.dot = 2.0;
  const RgbImage a = plot_series({flat}, 420, 420, "F1 VS F2", "F1", "F2", true);
  const RgbImage b = plot_series({solid}, 420, 420, "(F1, F2, F3) OBLIQUE", "", "", true);
  return panel_grid({a, b}, {"", ""}, 2, "CIRCLE EMBEDDED BY P (COLOUR: ANGLE)");
}

}  // namespace

void write_manifold_demo(const ManifoldDemoResult& r, const std::string& dir, const Context& ctx,
                         int panel) {
  SMT_CHECK(panel >= 32 && panel <= 1024, "panel size ", panel, " out of range [32, 1024]");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  SMT_CHECK(!ec && std::filesystem::is_directory(dir), "cannot create output directory '", dir,
            "': ", ec.message());
  const std::filesystem::path base(dir);
  write_png((base / "functions.png").string(), function_panels(r, panel));
  write_png((base / "spectrum.png").string(), spectrum_plot(r));
  if (r.options.manifold == Manifold::kCircle)
    write_png((base / "embedding.png").string(), embedding_plot(r));
  const std::string text = r.metrics.dump(2) + "\n";
  write_file_atomically((base / "metrics.json").string(), [&](std::ostream& os) { os << text; });
  ctx.log(str_cat("wrote figures and metrics.json to ", dir));
}

}  // namespace smt
