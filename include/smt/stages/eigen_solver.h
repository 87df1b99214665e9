// Smallest eigenpairs of the generalized symmetric problem L u = lambda B u
// (docs/algorithm.md step 9), B symmetric positive definite (V + eps I).
#pragma once

#include <string>
#include <vector>

#include "smt/core/context.h"

namespace smt {

enum class EigenMethod {
  kAuto,      // dense LAPACK up to a few thousand unknowns, subspace iteration above
  kDense,     // reduce to standard form, LAPACK dsyevr for the m smallest (O(n^3))
  kSubspace,  // shift-invert subspace iteration on a Cholesky factor (O(n^3/3) + O(n^2 m) per step)
};

struct EigenResult {
  int n = 0, m = 0;
  std::vector<double> values;   // m eigenvalues, ascending
  std::vector<double> vectors;  // n x m, column-major; B-orthonormal (U^T B U = I)
  std::string method;
  int iterations = 0;           // subspace iterations (0 for dense)
  double max_rel_residual = 0;  // max_i standard-form residual / largest eigenvalue
};

// l: n x n symmetric, only its lower triangle in column-major order is read
// (equivalently the upper triangle in row-major order). b: n values when
// b_diagonal, else an n x n symmetric matrix stored like l. Both are
// overwritten (the solver works in place to keep memory at one n x n matrix
// for diagonal B).
// tol: relative residual at which subspace iteration stops (the dense
// solver is exact to rounding).
EigenResult solve_smallest_eigenpairs(int n, std::vector<double>& l, std::vector<double>& b,
                                      bool b_diagonal, int m, EigenMethod method,
                                      const Context& ctx, double tol = 1e-9);

}  // namespace smt
