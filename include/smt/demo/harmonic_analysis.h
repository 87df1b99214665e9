// Harmonic analysis of a fitted synthetic-manifold demo (docs/algorithm.md,
// "synthetic check"): the embedding functions evaluated on a grid of the
// manifold and compared with its Laplacian eigenfunctions (Fourier pairs on
// the circle, Neumann modes J_m(j'_mn r) e^{i m theta} on the disk); fills
// the analysis fields of the result, its metrics and checks_passed.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "smt/demo/landmark_coder.h"
#include "smt/demo/manifold_demo.h"

namespace smt {

// Points of the circle's evaluation grid (the figures use it too).
constexpr int kCircleGrid = 2048;

// n points at angles 2 pi i / n on the unit circle.
std::vector<Point2> circle_points(int n);

// Column j of an n x d row-major matrix (the values of function j).
std::vector<double> function_column(const std::vector<double>& f, int d, int j);

// Circle: angular frequency and purity of each function, canonical
// correlations of span{f_1..f_2m} with the harmonics of frequency <= m,
// eigenvalue pairs. Disk: angular frequency, purity, radial sign changes and
// the implied Neumann mode of each function, runs of equal frequency and
// their eigenvalue pairs. Both: functions that vanish on the manifold.
void analyse_circle(ManifoldDemoResult& r, nlohmann::json& metrics);
void analyse_disk(ManifoldDemoResult& r, nlohmann::json& metrics);

}  // namespace smt
