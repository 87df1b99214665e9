// Numerical measurements of the synthetic-manifold check (docs/algorithm.md,
// "synthetic check"): how close the embedding functions are to the
// manifold's harmonics. Canonical correlations compare spans of functions on
// the circle; the angular spectrum and the Neumann eigenvalues of the unit
// disk (zeros of J_m') identify the modes on the disk.
#pragma once

#include <vector>

namespace smt {

// Canonical correlations (descending) between the column spans of a (n x ka)
// and b (n x kb), both column-major, n >= ka, kb: cosines of the principal
// angles, via QR of each and the singular values of Q_a^T Q_b.
std::vector<double> canonical_correlations(const std::vector<double>& a, int ka,
                                           const std::vector<double>& b, int kb, int n);

// Angular spectrum of a function on a polar grid: values[i * n_angles + j] at
// radius r_i (weights w_i, e.g. r_i dr for area) and angle 2 pi j / n_angles.
struct AngularSpectrum {
  std::vector<double> energy;  // per m = 0 .. n_angles/2 - 1, weighted
  double total = 0;            // all energy (Parseval), weighted
  int dominant = 0;
  double purity = 0;            // energy[dominant] / total
  std::vector<double> profile;  // signed radial profile at the dominant m
  int sign_changes = 0;         // of the profile (entries under 5% of its max ignored)
};
AngularSpectrum angular_spectrum(const std::vector<double>& values, int n_radii, int n_angles,
                                 const std::vector<double>& radius_weights);

// n-th positive zero of the derivative of the Bessel function J_m (n >= 1;
// for m = 0 the trivial zero at 0 is not counted): the Neumann eigenvalues
// of the unit disk are its squares.
double bessel_derivative_zero(int m, int n);

}  // namespace smt
