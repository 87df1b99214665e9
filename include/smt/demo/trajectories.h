// Smooth random trajectories on the synthetic manifolds (docs/algorithm.md,
// "synthetic check"): the time along them is what defines neighbourhood.
// Velocity v_{t+1} = rho v_t + sqrt(1 - rho^2) sigma xi (xi standard normal,
// per coordinate), x_{t+1} = x_t + v_{t+1}; the circle wraps, the disk
// reflects specularly at its boundary.
#pragma once

#include <cstdint>
#include <vector>

#include "smt/demo/landmark_coder.h"
#include "smt/demo/manifold_demo.h"

namespace smt {

// Trajectory `index` of o.trajectories: o.steps points (on the circle as
// (cos theta, sin theta)), with sigma = o.step_size * spacing and rho =
// o.smoothness. Its draws depend only on (seed, index), so trajectories can
// be made in any order and on any thread. Starts are stratified (trajectory i
// of n starts in the i-th of n equal-area strata: an arc of the circle, a
// sunflower cell of the disk) so that the visited density is uniform at low
// frequencies, where diffusing walks average out slowest.
std::vector<Point2> trajectory(const ManifoldDemoOptions& o, double spacing, std::uint64_t seed,
                               int index);

}  // namespace smt
