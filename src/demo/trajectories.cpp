#include "smt/demo/trajectories.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "smt/core/rng.h"

namespace smt {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2.0 * std::numbers::pi;

}  // namespace

std::vector<Point2> trajectory(const ManifoldDemoOptions& o, double spacing, std::uint64_t seed,
                               int index) {
  Rng rng(splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(index) + 1)));
  const double sigma = o.step_size * spacing, rho = o.smoothness;
  const double kick = std::sqrt(1.0 - rho * rho) * sigma;
  std::vector<Point2> out(o.steps);
  if (o.manifold == Manifold::kCircle) {
    double theta = kTwoPi * (index + rng.uniform01()) / o.trajectories, v = sigma * rng.normal();
    for (int t = 0; t < o.steps; ++t) {
      out[t] = {std::cos(theta), std::sin(theta)};
      v = rho * v + kick * rng.normal();
      theta = std::remainder(theta + v, kTwoPi);
    }
    return out;
  }
  const double golden_angle = kPi * (3.0 - std::sqrt(5.0));
  const double r0 = std::sqrt((index + rng.uniform01()) / o.trajectories);
  const double a0 = golden_angle * index + 0.1 * rng.uniform01();
  Point2 x{r0 * std::cos(a0), r0 * std::sin(a0)};
  Point2 v{sigma * rng.normal(), sigma * rng.normal()};
  for (int t = 0; t < o.steps; ++t) {
    out[t] = x;
    v.x = rho * v.x + kick * rng.normal();
    v.y = rho * v.y + kick * rng.normal();
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

}  // namespace smt
