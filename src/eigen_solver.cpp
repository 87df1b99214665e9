#include "smt/eigen_solver.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "lapack.h"
#include "smt/error.h"

namespace smt {

namespace {

// Above this size the O(n^3) tridiagonal reduction dominates the run time and
// subspace iteration wins.
constexpr int kDenseLimit = 3000;

// Reduces L u = lambda B u to the standard problem C y = lambda y in place
// (C in l's lower triangle). Returns nothing; `b` holds what undo_transform
// needs: D^(-1/2) for diagonal B, the Cholesky factor R (B = R R^T) otherwise.
void to_standard_form(int n, std::vector<double>& l, std::vector<double>& b, bool b_diagonal) {
  if (b_diagonal) {
    for (int i = 0; i < n; ++i) {
      SMT_CHECK(b[i] > 0 && std::isfinite(b[i]), "eigenproblem: B is not positive definite (B[",
                i, "] = ", b[i], "); raise --v-reg");
      b[i] = 1.0 / std::sqrt(b[i]);
    }
    for (int c = 0; c < n; ++c) {
      double* col = l.data() + static_cast<std::size_t>(c) * n;
      for (int r = c; r < n; ++r) col[r] *= b[r] * b[c];
    }
    return;
  }
  const char uplo = 'L';
  int info = 0;
  dpotrf_(&uplo, &n, b.data(), &n, &info);
  SMT_CHECK(info == 0, "eigenproblem: V + eps I is not positive definite (Cholesky failed at ",
            info, "); raise --v-reg");
  const int itype = 1;
  dsygst_(&itype, &uplo, &n, l.data(), &n, b.data(), &n, &info);
  SMT_CHECK(info == 0, "LAPACK dsygst failed (info=", info, ")");
}

// u = B^(-1/2) y (diagonal) or R^(-T) y, for the m columns of y.
void undo_transform(int n, int m, const std::vector<double>& b, bool b_diagonal, double* y) {
  if (b_diagonal) {
    for (int j = 0; j < m; ++j)
      for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(j) * n + i] *= b[i];
    return;
  }
  cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, m, 1.0, b.data(),
              n, y, n);
}

void dense_smallest(int n, std::vector<double>& c, int m, EigenResult& out) {
  const char jobz = 'V', range = 'I', uplo = 'L';
  const double vl = 0, vu = 0, abstol = 0;
  const int il = 1, iu = m;
  int found = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  std::vector<double> w(n);
  out.vectors.assign(static_cast<std::size_t>(n) * m, 0.0);
  std::vector<int> isuppz(2 * static_cast<std::size_t>(std::max(m, 1)));
  dsyevr_(&jobz, &range, &uplo, &n, c.data(), &n, &vl, &vu, &il, &iu, &abstol, &found, w.data(),
          out.vectors.data(), &n, isuppz.data(), &wq, &lwork, &iwq, &liwork, &info);
  lwork = static_cast<int>(wq);
  liwork = iwq;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevr_(&jobz, &range, &uplo, &n, c.data(), &n, &vl, &vu, &il, &iu, &abstol, &found, w.data(),
          out.vectors.data(), &n, isuppz.data(), work.data(), &lwork, iwork.data(), &liwork,
          &info);
  SMT_CHECK(info == 0 && found == m, "LAPACK dsyevr failed (info=", info, ", found ", found,
            " of ", m, " eigenpairs)");
  out.values.assign(w.begin(), w.begin() + m);
  out.method = "dense";
}

// Orthonormal basis of the columns of y (n x p) in place, by Householder QR.
void orthonormalize(int n, int p, double* y) {
  std::vector<double> tau(p);
  int info = 0, lwork = -1;
  double wq = 0;
  dgeqrf_(&n, &p, y, &n, tau.data(), &wq, &lwork, &info);
  lwork = std::max(static_cast<int>(wq), 1);
  std::vector<double> work(lwork);
  dgeqrf_(&n, &p, y, &n, tau.data(), work.data(), &lwork, &info);
  SMT_CHECK(info == 0, "LAPACK dgeqrf failed (info=", info, ")");
  lwork = -1;
  dorgqr_(&n, &p, &p, y, &n, tau.data(), &wq, &lwork, &info);
  lwork = std::max(static_cast<int>(wq), 1);
  work.resize(lwork);
  dorgqr_(&n, &p, &p, y, &n, tau.data(), work.data(), &lwork, &info);
  SMT_CHECK(info == 0, "LAPACK dorgqr failed (info=", info, ")");
}

// Shift-invert subspace iteration with Rayleigh-Ritz for the m smallest
// eigenpairs of C (lower triangle of c, destroyed): with M = C + sigma I = G G^T
// the iteration operator M^(-1) maps eigenvalue lambda to 1 / (lambda + sigma),
// so the wanted end of the spectrum converges at the rate
// (lambda_m + sigma) / (lambda_{p+1} + sigma) per step.
void subspace_smallest(int n, std::vector<double>& c, int m, const Context& ctx,
                       EigenResult& out) {
  double trace = 0;
  for (int i = 0; i < n; ++i) trace += c[static_cast<std::size_t>(i) * n + i];
  SMT_CHECK(trace > 0 && std::isfinite(trace),
            "eigenproblem: the operator matrix L is zero or not finite (trace ", trace,
            "); are there images with at least two coded patches?");
  const double sigma = 1e-4 * trace / n;
  for (int i = 0; i < n; ++i) c[static_cast<std::size_t>(i) * n + i] += sigma;
  const char uplo = 'L';
  int info = 0;
  dpotrf_(&uplo, &n, c.data(), &n, &info);
  SMT_CHECK(info == 0, "eigenproblem: L + shift is not positive definite (Cholesky failed at ",
            info, "); L should be positive semi-definite, check the statistics for NaN");
  const double* g = c.data();

  const int p = std::min(n, std::max(2 * m, m + 16));
  const std::size_t np = static_cast<std::size_t>(n) * p;
  std::vector<double> x(np), gx(np), mx(np), small(static_cast<std::size_t>(p) * p), theta(p),
      vecs(static_cast<std::size_t>(p) * p);
  std::mt19937_64 rng(ctx.seed ^ 0x2545f4914f6cdd1dULL);
  std::normal_distribution<double> normal;
  for (auto& v : x) v = normal(rng);
  const double tol = 1e-7;
  const int max_iter = 1000;
  double worst = 0;
  int it = 0;
  for (it = 1; it <= max_iter; ++it) {
    // x <- M^(-1) x = G^(-T) G^(-1) x, then an orthonormal basis of it.
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, p, 1.0, g, n,
                x.data(), n);
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, p, 1.0, g, n,
                x.data(), n);
    orthonormalize(n, p, x.data());
    // Rayleigh-Ritz: Q^T C Q = (G^T Q)^T (G^T Q) - sigma I.
    gx = x;
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, p, 1.0, g, n,
                gx.data(), n);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, p, n, 1.0, gx.data(), n, 0.0, small.data(),
                p);
    for (int i = 0; i < p; ++i) small[static_cast<std::size_t>(i) * p + i] -= sigma;
    const char jobz = 'V', range = 'A';
    const double vl = 0, vu = 0, abstol = 0;
    const int il = 0, iu = 0;
    int found = 0, lwork = -1, liwork = -1, iwq = 0;
    double wq = 0;
    std::vector<int> isuppz(2 * static_cast<std::size_t>(p));
    dsyevr_(&jobz, &range, &uplo, &p, small.data(), &p, &vl, &vu, &il, &iu, &abstol, &found,
            theta.data(), vecs.data(), &p, isuppz.data(), &wq, &lwork, &iwq, &liwork, &info);
    lwork = static_cast<int>(wq);
    liwork = iwq;
    std::vector<double> work(lwork);
    std::vector<int> iwork(liwork);
    dsyevr_(&jobz, &range, &uplo, &p, small.data(), &p, &vl, &vu, &il, &iu, &abstol, &found,
            theta.data(), vecs.data(), &p, isuppz.data(), work.data(), &lwork, iwork.data(),
            &liwork, &info);
    SMT_CHECK(info == 0, "LAPACK dsyevr failed in Rayleigh-Ritz (info=", info, ")");
    // Ritz vectors X = Q V, and G^T X = (G^T Q) V for the residuals.
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, p, p, 1.0, x.data(), n, vecs.data(),
                p, 0.0, mx.data(), n);
    x.swap(mx);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, p, p, 1.0, gx.data(), n,
                vecs.data(), p, 0.0, mx.data(), n);
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, p, 1.0, g, n,
                mx.data(), n);
    // r_i = M x_i - (theta_i + sigma) x_i = C x_i - theta_i x_i
    worst = 0;
    for (int j = 0; j < m; ++j) {
      double rr = 0;
      const double s = theta[j] + sigma;
      for (int i = 0; i < n; ++i) {
        const double r = mx[static_cast<std::size_t>(j) * n + i] - s * x[static_cast<std::size_t>(j) * n + i];
        rr += r * r;
      }
      worst = std::max(worst, std::sqrt(rr) / (std::abs(theta[j]) + sigma));
    }
    if (worst <= tol) break;
  }
  SMT_CHECK(worst <= 1e-3, "eigen solver: subspace iteration did not converge (relative residual ",
            worst, " after ", max_iter, " iterations)");
  if (worst > tol)
    ctx.log(str_cat("warning: eigen solver stopped at relative residual ", worst));
  out.values.assign(theta.begin(), theta.begin() + m);
  out.vectors.assign(x.begin(), x.begin() + static_cast<std::size_t>(n) * m);
  out.iterations = std::min(it, max_iter);
  out.max_rel_residual = worst;
  out.method = "subspace";
}

}  // namespace

EigenResult solve_smallest_eigenpairs(int n, std::vector<double>& l, std::vector<double>& b,
                                      bool b_diagonal, int m, EigenMethod method,
                                      const Context& ctx) {
  SMT_CHECK(n >= 1 && m >= 1 && m <= n, "eigenproblem: asked for ", m, " eigenpairs of a ", n,
            "x", n, " problem");
  SMT_CHECK(l.size() >= static_cast<std::size_t>(n) * n, "eigenproblem: L has the wrong size");
  SMT_CHECK(b.size() >= (b_diagonal ? static_cast<std::size_t>(n) : static_cast<std::size_t>(n) * n),
            "eigenproblem: B has the wrong size");
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) * n; ++i)
    SMT_CHECK(std::isfinite(l[i]), "eigenproblem: L contains NaN or inf");
  to_standard_form(n, l, b, b_diagonal);
  if (method == EigenMethod::kAuto) method = n <= kDenseLimit ? EigenMethod::kDense : EigenMethod::kSubspace;
  EigenResult out;
  out.n = n;
  out.m = m;
  if (method == EigenMethod::kDense) {
    dense_smallest(n, l, m, out);
  } else {
    subspace_smallest(n, l, m, ctx, out);
  }
  undo_transform(n, m, b, b_diagonal, out.vectors.data());
  return out;
}

}  // namespace smt
