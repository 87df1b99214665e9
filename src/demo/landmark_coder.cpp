#include "smt/demo/landmark_coder.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <set>
#include <utility>

#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/core/rng.h"

namespace smt {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Largest dictionary a PatchCodes atom index (uint16) can address.
constexpr int kMaxAtoms = 65536;

double cross(Point2 o, Point2 a, Point2 b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

// > 0 when d lies strictly inside the circumcircle of the counter-clockwise
// triangle (a, b, c). Extended precision keeps near-co-circular decisions
// consistent.
bool in_circumcircle(Point2 a, Point2 b, Point2 c, Point2 d) {
  const long double ax = static_cast<long double>(a.x) - d.x,
                    ay = static_cast<long double>(a.y) - d.y;
  const long double bx = static_cast<long double>(b.x) - d.x,
                    by = static_cast<long double>(b.y) - d.y;
  const long double cx = static_cast<long double>(c.x) - d.x,
                    cy = static_cast<long double>(c.y) - d.y;
  const long double det = (ax * ax + ay * ay) * (bx * cy - cx * by) -
                          (bx * bx + by * by) * (ax * cy - cx * ay) +
                          (cx * cx + cy * cy) * (ax * by - bx * ay);
  return det > 0;
}

// Convex hull area (Andrew's monotone chain), for checking the triangulation.
double hull_area(std::vector<Point2> p) {
  std::sort(p.begin(), p.end(),
            [](Point2 a, Point2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  const std::size_t n = p.size();
  if (n < 3) return 0;
  std::vector<Point2> h(2 * n);
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  for (std::size_t i = n - 1, t = k + 1; i > 0; --i) {
    while (k >= t && cross(h[k - 2], h[k - 1], p[i - 1]) <= 0) --k;
    h[k++] = p[i - 1];
  }
  double area = 0;
  for (std::size_t i = 0; i + 1 < k; ++i) area += h[i].x * h[i + 1].y - h[i + 1].x * h[i].y;
  return 0.5 * area;
}

}  // namespace

void append_codes(const std::vector<LandmarkCode>& codes, PatchCodes& out) {
  for (const LandmarkCode& c : codes) {
    for (int i = 0; i < c.count; ++i) {
      if (c.weights[i] <= 0) continue;
      out.atoms.push_back(static_cast<std::uint16_t>(c.atoms[i]));
      out.values.push_back(static_cast<float>(c.weights[i]));
    }
    out.offsets.push_back(static_cast<std::uint32_t>(out.atoms.size()));
    out.fallback.push_back(0);
  }
}

// ---------------------------------------------------------------- circle

CircleLandmarks::CircleLandmarks(int size) : k_(size) {
  SMT_CHECK(size >= 3 && size <= kMaxAtoms, "circle landmarks: dictionary size ", size,
            " must be in [3, ", kMaxAtoms, "]");
}

double CircleLandmarks::angle(int j) const {
  return kTwoPi * j / k_;
}

double CircleLandmarks::spacing() const {
  return kTwoPi / k_;
}

LandmarkCode CircleLandmarks::code(double theta) const {
  double u = theta / kTwoPi;
  u -= std::floor(u);  // [0, 1)
  u *= k_;
  double j = std::floor(u);
  const double f = u - j;
  int a = static_cast<int>(j);
  if (a >= k_) a = 0;  // u rounded up to K
  LandmarkCode c;
  c.count = 2;
  c.atoms = {a, (a + 1) % k_, 0};
  c.weights = {1.0 - f, f, 0.0};
  return c;
}

void CircleLandmarks::encode(const double* theta, int n, PatchCodes& out) const {
  std::vector<LandmarkCode> codes(n);
  for (int i = 0; i < n; ++i) {
    SMT_CHECK(std::isfinite(theta[i]), "circle landmarks: angle ", i, " is not finite");
    codes[i] = code(theta[i]);
  }
  append_codes(codes, out);
}

// ---------------------------------------------------------------- layouts

std::vector<Point2> disk_ring_layout(int size) {
  SMT_CHECK(size >= 4 && size <= kMaxAtoms, "disk ring layout: dictionary size ", size,
            " must be in [4, ", kMaxAtoms, "]");
  // R rings around the centre with about c j points on ring j; c close to
  // 2 pi makes the spacing along a ring (2 pi j / R / (c j)) match the spacing
  // between rings (1 / R).
  const int rest = size - 1;
  int rings = 1;
  double best = 1e300;
  for (int r = 1; r * (r + 1) / 2 <= rest; ++r) {
    const double c = rest / (0.5 * r * (r + 1));
    if (std::abs(c - kTwoPi) < best) {
      best = std::abs(c - kTwoPi);
      rings = r;
    }
  }
  // Counts proportional to j, summing to `rest` (largest remainder).
  const double total_j = 0.5 * rings * (rings + 1);
  std::vector<int> count(rings + 1, 0);
  std::vector<std::pair<double, int>> remainder;
  int assigned = 0;
  for (int j = 1; j <= rings; ++j) {
    const double want = rest * j / total_j;
    count[j] = static_cast<int>(std::floor(want));
    assigned += count[j];
    remainder.emplace_back(want - count[j], j);
  }
  std::sort(remainder.begin(), remainder.end(), std::greater<>());
  for (int i = 0; assigned < rest; ++i, ++assigned) ++count[remainder[i].second];
  std::vector<Point2> pts;
  pts.reserve(size);
  pts.push_back({0.0, 0.0});
  const double golden = 0.5 * (std::sqrt(5.0) - 1.0);
  for (int j = 1; j <= rings; ++j) {
    const double r = static_cast<double>(j) / rings;
    const double phase = j * golden - std::floor(j * golden);
    for (int i = 0; i < count[j]; ++i) {
      const double a = kTwoPi * (i + phase) / count[j];
      pts.push_back({r * std::cos(a), r * std::sin(a)});
    }
  }
  return pts;
}

std::vector<Point2> disk_kmeans_layout(int size, int samples, int iterations, std::uint64_t seed,
                                       const Context& ctx) {
  SMT_CHECK(size >= 3 && size <= kMaxAtoms, "disk k-means layout: dictionary size ", size,
            " must be in [3, ", kMaxAtoms, "]");
  SMT_CHECK(samples >= size, "disk k-means layout: ", samples, " samples for ", size,
            " centres; use at least as many samples as centres");
  SMT_CHECK(iterations >= 0, "disk k-means layout: negative iteration count");
  Rng rng(seed);
  std::vector<Point2> x(samples);
  for (Point2& p : x) {
    const double r = std::sqrt(rng.uniform01()), a = kTwoPi * rng.uniform01();
    p = {r * std::cos(a), r * std::sin(a)};
  }
  std::vector<Point2> c(x.begin(), x.begin() + size);
  std::vector<int> owner(samples);
  const int threads = ctx.num_threads();
  for (int it = 0; it < iterations; ++it) {
    parallel_for(threads, 0, static_cast<std::size_t>(samples), Schedule::fixed(),
                 [&](std::size_t i) {
                   double best = 1e300;
                   int arg = 0;
                   for (int k = 0; k < size; ++k) {
                     const double dx = x[i].x - c[k].x, dy = x[i].y - c[k].y, d = dx * dx + dy * dy;
                     if (d < best) {
                       best = d;
                       arg = k;
                     }
                   }
                   owner[i] = arg;
                 });
    std::vector<double> sx(size, 0.0), sy(size, 0.0);
    std::vector<int> n(size, 0);
    for (int i = 0; i < samples; ++i) {
      sx[owner[i]] += x[i].x;
      sy[owner[i]] += x[i].y;
      ++n[owner[i]];
    }
    for (int k = 0; k < size; ++k)
      if (n[k] > 0) c[k] = {sx[k] / n[k], sy[k] / n[k]};
  }
  return c;
}

// ---------------------------------------------------------------- planar

PlanarLandmarks::PlanarLandmarks(std::vector<Point2> landmarks) : points_(std::move(landmarks)) {
  const int n = size();
  SMT_CHECK(n >= 3 && n <= kMaxAtoms, "planar landmarks: ", n, " landmarks; need 3 to ", kMaxAtoms);
  double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
  for (int i = 0; i < n; ++i) {
    const Point2 p = points_[i];
    SMT_CHECK(std::isfinite(p.x) && std::isfinite(p.y), "planar landmarks: landmark ", i,
              " is not finite");
    xmin = std::min(xmin, p.x);
    xmax = std::max(xmax, p.x);
    ymin = std::min(ymin, p.y);
    ymax = std::max(ymax, p.y);
  }
  {
    std::vector<Point2> sorted = points_;
    std::sort(sorted.begin(), sorted.end(),
              [](Point2 a, Point2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    for (int i = 1; i < n; ++i)
      SMT_CHECK(sorted[i].x != sorted[i - 1].x || sorted[i].y != sorted[i - 1].y,
                "planar landmarks: two landmarks at (", sorted[i].x, ", ", sorted[i].y, ")");
  }
  const double extent = std::max({xmax - xmin, ymax - ymin, 1e-300});
  const double cx = 0.5 * (xmin + xmax), cy = 0.5 * (ymin + ymax);

  // Bowyer-Watson: a super triangle far outside, points inserted in order;
  // each insertion removes the triangles whose circumcircle holds the point
  // and fans the cavity's boundary to it.
  std::vector<Point2> all = points_;
  const double far = 1000.0 * extent;
  all.push_back({cx - far, cy - far});
  all.push_back({cx + far, cy - far});
  all.push_back({cx, cy + far});
  std::vector<std::array<int, 3>> tris{{n, n + 1, n + 2}};
  std::vector<std::array<int, 3>> kept;
  std::vector<std::pair<int, int>> edges;
  for (int p = 0; p < n; ++p) {
    kept.clear();
    edges.clear();
    for (const auto& t : tris) {
      if (in_circumcircle(all[t[0]], all[t[1]], all[t[2]], all[p])) {
        for (int e = 0; e < 3; ++e) edges.emplace_back(t[e], t[(e + 1) % 3]);
      } else {
        kept.push_back(t);
      }
    }
    SMT_CHECK(!edges.empty(), "planar landmarks: landmark ", p,
              " lies in no circumcircle (triangulation failed)");
    // The cavity's boundary: directed edges whose reverse is not in the cavity.
    std::set<std::pair<int, int>> directed(edges.begin(), edges.end());
    for (const auto& [a, b] : edges)
      if (!directed.count({b, a})) kept.push_back({a, b, p});
    tris.swap(kept);
  }
  double area = 0;
  for (const auto& t : tris) {
    if (t[0] >= n || t[1] >= n || t[2] >= n) continue;
    const double a = cross(points_[t[0]], points_[t[1]], points_[t[2]]);
    SMT_CHECK(a > 0, "planar landmarks: Delaunay triangulation produced a flipped triangle (", t[0],
              ", ", t[1], ", ", t[2], "); landmarks are too degenerate");
    area += 0.5 * a;
    triangles_.push_back(t);
  }
  const double want = hull_area(points_);
  SMT_CHECK(want > 0, "planar landmarks: all landmarks are collinear");
  SMT_CHECK(std::abs(area - want) <= 1e-9 * want, "planar landmarks: triangles cover ", area,
            " of the convex hull's ", want, " (triangulation failed)");
  // Hull: directed triangle edges whose reverse is absent.
  {
    std::set<std::pair<int, int>> directed;
    for (const auto& t : triangles_)
      for (int e = 0; e < 3; ++e) directed.insert({t[e], t[(e + 1) % 3]});
    for (const auto& [a, b] : directed)
      if (!directed.count({b, a})) hull_.push_back({a, b});
  }

  // Point-location grid, about two triangles per cell.
  const int cells =
      std::max(1, static_cast<int>(std::sqrt(static_cast<double>(triangles_.size()) / 2.0)));
  x0_ = xmin;
  y0_ = ymin;
  cell_ = extent / cells * (1 + 1e-12);
  gx_ = std::max(1, static_cast<int>(std::ceil((xmax - xmin) / cell_)));
  gy_ = std::max(1, static_cast<int>(std::ceil((ymax - ymin) / cell_)));
  auto cell_range = [&](double lo, double hi, double origin, int g) {
    const int a = std::clamp(static_cast<int>(std::floor((lo - origin) / cell_)), 0, g - 1);
    const int b = std::clamp(static_cast<int>(std::floor((hi - origin) / cell_)), 0, g - 1);
    return std::pair<int, int>{a, b};
  };
  std::vector<std::vector<std::uint32_t>> lists(static_cast<std::size_t>(gx_) * gy_);
  for (std::size_t t = 0; t < triangles_.size(); ++t) {
    const auto& tr = triangles_[t];
    const Point2 a = points_[tr[0]], b = points_[tr[1]], c = points_[tr[2]];
    const auto [i0, i1] =
        cell_range(std::min({a.x, b.x, c.x}), std::max({a.x, b.x, c.x}), x0_, gx_);
    const auto [j0, j1] =
        cell_range(std::min({a.y, b.y, c.y}), std::max({a.y, b.y, c.y}), y0_, gy_);
    for (int j = j0; j <= j1; ++j)
      for (int i = i0; i <= i1; ++i)
        lists[static_cast<std::size_t>(j) * gx_ + i].push_back(static_cast<std::uint32_t>(t));
  }
  cell_start_.assign(1, 0);
  for (const auto& l : lists) {
    cell_tri_.insert(cell_tri_.end(), l.begin(), l.end());
    cell_start_.push_back(static_cast<std::uint32_t>(cell_tri_.size()));
  }
}

int PlanarLandmarks::locate(Point2 p) const {
  const double fx = (p.x - x0_) / cell_, fy = (p.y - y0_) / cell_;
  if (!(fx >= 0 && fy >= 0 && fx <= gx_ && fy <= gy_)) return -1;
  const int i = std::min(static_cast<int>(fx), gx_ - 1),
            j = std::min(static_cast<int>(fy), gy_ - 1);
  const std::size_t c = static_cast<std::size_t>(j) * gx_ + i;
  for (std::uint32_t s = cell_start_[c]; s < cell_start_[c + 1]; ++s) {
    const auto& t = triangles_[cell_tri_[s]];
    const Point2 a = points_[t[0]], b = points_[t[1]], d = points_[t[2]];
    const double tol = -1e-12 * cross(a, b, d);
    if (cross(a, b, p) >= tol && cross(b, d, p) >= tol && cross(d, a, p) >= tol)
      return static_cast<int>(cell_tri_[s]);
  }
  return -1;
}

LandmarkCode PlanarLandmarks::code(Point2 p) const {
  LandmarkCode c;
  const int t = locate(p);
  if (t >= 0) {
    const auto& tr = triangles_[t];
    const Point2 a = points_[tr[0]], b = points_[tr[1]], d = points_[tr[2]];
    const double area = cross(a, b, d);
    double w[3] = {cross(b, d, p) / area, cross(d, a, p) / area, cross(a, b, p) / area};
    double sum = 0;
    for (double& x : w) sum += (x = std::max(0.0, x));  // rounding on an edge
    c.count = 3;
    for (int i = 0; i < 3; ++i) {
      c.atoms[i] = tr[i];
      c.weights[i] = w[i] / sum;
    }
    return c;
  }
  // Outside the hull: the nearest point of the nearest hull edge.
  double best = 1e300, best_t = 0;
  int best_e = 0;
  for (std::size_t e = 0; e < hull_.size(); ++e) {
    const Point2 a = points_[hull_[e][0]], b = points_[hull_[e][1]];
    const double ex = b.x - a.x, ey = b.y - a.y;
    const double s =
        std::clamp(((p.x - a.x) * ex + (p.y - a.y) * ey) / (ex * ex + ey * ey), 0.0, 1.0);
    const double dx = a.x + s * ex - p.x, dy = a.y + s * ey - p.y, d = dx * dx + dy * dy;
    if (d < best) {
      best = d;
      best_t = s;
      best_e = static_cast<int>(e);
    }
  }
  c.count = 2;
  c.atoms = {hull_[best_e][0], hull_[best_e][1], 0};
  c.weights = {1.0 - best_t, best_t, 0.0};
  return c;
}

void PlanarLandmarks::encode(const Point2* points, int n, PatchCodes& out) const {
  std::vector<LandmarkCode> codes(n);
  for (int i = 0; i < n; ++i) {
    SMT_CHECK(std::isfinite(points[i].x) && std::isfinite(points[i].y), "planar landmarks: point ",
              i, " is not finite");
    codes[i] = code(points[i]);
  }
  append_codes(codes, out);
}

// ---------------------------------------------------------------- lifts

std::vector<float> lift_angles(const std::vector<double>& theta) {
  std::vector<float> out;
  out.reserve(2 * theta.size());
  for (double t : theta) {
    out.push_back(static_cast<float>(std::cos(t)));
    out.push_back(static_cast<float>(std::sin(t)));
  }
  return out;
}

std::vector<float> lift_planar(const std::vector<Point2>& points, double radius) {
  std::vector<float> out;
  out.reserve(3 * points.size());
  for (const Point2& p : points) {
    const double r2 = p.x * p.x + p.y * p.y;
    SMT_CHECK(r2 <= radius * radius, "lift: point (", p.x, ", ", p.y,
              ") lies outside the sphere radius ", radius);
    const double z = std::sqrt(radius * radius - r2);
    out.push_back(static_cast<float>(p.x / radius));
    out.push_back(static_cast<float>(p.y / radius));
    out.push_back(static_cast<float>(z / radius));
  }
  return out;
}

}  // namespace smt
