#include "smt/stages/eigen_solver.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "kernels/lapack.h"
#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/core/rng.h"

namespace smt {

namespace {

// Above this size the O(n^3) tridiagonal reduction dominates the run time and
// subspace iteration wins.
constexpr int kDenseLimit = 1500;
// Filtered subspace iteration usually converges in under 20 steps on SMT problems;
// past this many the dense solver is the faster way out.
constexpr int kMaxSubspaceSteps = 100;

// Thread-count independence (README "Reproducibility"): OpenBLAS's own
// threading splits sums differently for each thread count, in LAPACK, level-2
// BLAS and, measured, even dsymm and dtrsm. So the solver's LAPACK calls run
// single-threaded, and its level-3 products run as fixed blocks of
// kColumnBlock columns, each one single-threaded BLAS call, spread over the
// context's threads: their bits depend on the block width, never on the
// thread count. 32 columns keep the kernels at full rate and the work of p
// = 800 columns balanced.
constexpr int kColumnBlock = 32;

// f(first, count) for consecutive column blocks covering [0, cols).
template <typename F>
void by_column_blocks(int threads, int cols, F f) {
  const ScopedBlasThreads serial(1);
  const std::size_t blocks = static_cast<std::size_t>((cols + kColumnBlock - 1) / kColumnBlock);
  parallel_for(threads, 0, blocks, Schedule::dynamic(1), [&](std::size_t b) {
    const int first = static_cast<int>(b) * kColumnBlock;
    f(first, std::min(kColumnBlock, cols - first));
  });
}

// Reduces L u = lambda B u to the standard problem C y = lambda y in place
// (C in l's lower triangle). Returns nothing; `b` holds what undo_transform
// needs: D^(-1/2) for diagonal B, the Cholesky factor R (B = R R^T) otherwise.
void to_standard_form(int n, std::vector<double>& l, std::vector<double>& b, bool b_diagonal) {
  if (b_diagonal) {
    for (int i = 0; i < n; ++i) {
      SMT_CHECK(b[i] > 0 && std::isfinite(b[i]), "eigenproblem: B is not positive definite (B[", i,
                "] = ", b[i], "); raise ", param("v-reg"));
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
  const ScopedBlasThreads serial(1);
  dpotrf_(&uplo, &n, b.data(), &n, &info);
  SMT_CHECK(info == 0, "eigenproblem: V + eps I is not positive definite (Cholesky failed at ",
            info, "); raise ", param("v-reg"));
  const int itype = 1;
  dsygst_(&itype, &uplo, &n, l.data(), &n, b.data(), &n, &info);
  SMT_CHECK(info == 0, "LAPACK dsygst failed (info=", info, ")");
}

// u = B^(-1/2) y (diagonal) or R^(-T) y, for the m columns of y.
void undo_transform(int n, int m, const std::vector<double>& b, bool b_diagonal, double* y,
                    int threads) {
  if (b_diagonal) {
    for (int j = 0; j < m; ++j)
      for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(j) * n + i] *= b[i];
    return;
  }
  by_column_blocks(threads, m, [&](int first, int count) {
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, count, 1.0,
                b.data(), n, y + static_cast<std::size_t>(first) * n, n);
  });
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
  const ScopedBlasThreads serial(1);
  dsyevr_(&jobz, &range, &uplo, &n, c.data(), &n, &vl, &vu, &il, &iu, &abstol, &found, w.data(),
          out.vectors.data(), &n, isuppz.data(), &wq, &lwork, &iwq, &liwork, &info);
  lwork = static_cast<int>(wq);
  liwork = iwq;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevr_(&jobz, &range, &uplo, &n, c.data(), &n, &vl, &vu, &il, &iu, &abstol, &found, w.data(),
          out.vectors.data(), &n, isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  SMT_CHECK(info == 0 && found == m, "LAPACK dsyevr failed (info=", info, ", found ", found, " of ",
            m, " eigenpairs)");
  out.values.assign(w.begin(), w.begin() + m);
  out.method = "dense";
}

// Orthonormal basis of the columns of y (n x p) in place, by Householder QR.
void orthonormalize(int n, int p, double* y) {
  std::vector<double> tau(p);
  int info = 0, lwork = -1;
  const ScopedBlasThreads serial(1);
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

// Upper estimate of the largest eigenvalue of C (lower triangle) by a short
// Lanczos run.
double estimate_largest(int n, const double* c, Rng rng, int threads) {
  const int steps = std::min(n, 40);
  const ScopedBlasThreads serial(1);
  std::vector<double> q(n), q_prev(n, 0.0), w(n), alpha, beta;
  for (auto& v : q) v = rng.normal();
  double norm = cblas_dnrm2(n, q.data(), 1);
  cblas_dscal(n, 1.0 / norm, q.data(), 1);
  double b_prev = 0;
  for (int k = 0; k < steps; ++k) {
    lapack::symmetric_multiply(n, 1, c, q.data(), w.data(), threads);
    const double a = cblas_ddot(n, w.data(), 1, q.data(), 1);
    for (int i = 0; i < n; ++i) w[i] -= a * q[i] + b_prev * q_prev[i];
    alpha.push_back(a);
    const double b = cblas_dnrm2(n, w.data(), 1);
    if (b <= 1e-14 * std::abs(a)) break;
    beta.push_back(b);
    q_prev.swap(q);
    for (int i = 0; i < n; ++i) q[i] = w[i] / b;
    b_prev = b;
  }
  // Largest eigenvalue of the small tridiagonal matrix.
  const int m = static_cast<int>(alpha.size());
  std::vector<double> t(static_cast<std::size_t>(m) * m, 0.0), ev(m),
      z(static_cast<std::size_t>(m) * m);
  for (int i = 0; i < m; ++i) {
    t[static_cast<std::size_t>(i) * m + i] = alpha[i];
    if (i + 1 < m) {  // both triangles: syev reads one of them
      t[static_cast<std::size_t>(i) * m + i + 1] = beta[i];
      t[static_cast<std::size_t>(i + 1) * m + i] = beta[i];
    }
  }
  lapack::syev(m, t.data(), ev.data(), z.data());
  // Largest Ritz value plus its residual |beta_m z_m| (the usual Lanczos
  // upper estimate used by Chebyshev filtering).
  const double last_beta = beta.size() >= static_cast<std::size_t>(m) ? beta[m - 1] : 0.0;
  return ev[m - 1] + std::abs(last_beta * z[static_cast<std::size_t>(m - 1) * m + (m - 1)]);
}

// Tolerances at or above this run the subspace products in single precision
// (ssymm runs at about twice the rate of dsymm; BENCHMARKS.md): C is
// rounded to float once (relative change 6e-8, far below the tolerance) and
// the products' rounding floors the residual near 5e-7 (measured on the
// CIFAR-10 problem), 20x under it. Smaller tolerances keep double.
constexpr double kSingleProductTol = 1e-5;
constexpr double kSingleStallBand = 1e-4;

// The standard-form matrix C (lower triangle, column-major) in the solver's
// buffer, in double or, after narrow(), as floats in the buffer's first half:
// no second n x n copy exists at any time.
class StandardMatrix {
  // Both types address the same bytes: may_alias keeps the compiler from
  // reordering the float and double accesses of narrow() and widen().
  using AliasFloat = float __attribute__((may_alias));

 public:
  StandardMatrix(int n, std::vector<double>& buf, int threads)
      : n_(n), threads_(threads), buf_(buf) {}
  bool single() const { return single_; }

  // In place: float k goes to bytes [4k, 4k + 4), inside double k / 2 <= k,
  // which has been read by then, so ascending k never overwrites unread data.
  void narrow() {
    if (single_) return;
    AliasFloat* f = reinterpret_cast<AliasFloat*>(buf_.data());
    const std::size_t nn = static_cast<std::size_t>(n_) * n_;
    for (std::size_t k = 0; k < nn; ++k) f[k] = static_cast<float>(buf_[k]);
    single_ = true;
  }
  // The inverse, descending: double k covers floats 2k, 2k + 1 >= k, done by then.
  void widen() {
    if (!single_) return;
    const AliasFloat* f = reinterpret_cast<const AliasFloat*>(buf_.data());
    for (std::size_t k = static_cast<std::size_t>(n_) * n_; k-- > 0;)
      buf_[k] = static_cast<double>(f[k]);
    single_ = false;
  }

  // w = C q for p columns (n x p, column-major).
  void multiply(int p, const double* q, double* w) const {
    if (!single_) {
      lapack::symmetric_multiply(n_, p, buf_.data(), q, w, threads_);
      return;
    }
    const std::size_t np = static_cast<std::size_t>(n_) * p;
    qf_.resize(np);
    wf_.resize(np);
    for (std::size_t k = 0; k < np; ++k) qf_[k] = static_cast<float>(q[k]);
    lapack::symmetric_multiply(n_, p, reinterpret_cast<const float*>(buf_.data()), qf_.data(),
                               wf_.data(), threads_);
    for (std::size_t k = 0; k < np; ++k) w[k] = wf_[k];
  }

 private:
  int n_, threads_;
  std::vector<double>& buf_;
  bool single_ = false;
  mutable std::vector<float> qf_, wf_;
};

// Rayleigh-Ritz on the orthonormal basis q (n x p): theta ascending, x = q V,
// cx = C x. w is workspace.
void rayleigh_ritz(int n, int p, const StandardMatrix& c, std::vector<double>& q,
                   std::vector<double>& w, std::vector<double>& x, std::vector<double>& cx,
                   std::vector<double>& theta, int threads) {
  c.multiply(p, q.data(), w.data());
  std::vector<double> h(static_cast<std::size_t>(p) * p), vecs(h.size());
  by_column_blocks(threads, p, [&](int first, int count) {
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, count, n, 1.0, q.data(), n,
                w.data() + static_cast<std::size_t>(first) * n, n, 0.0,
                h.data() + static_cast<std::size_t>(first) * p, p);
  });
  theta.resize(p);
  {
    const ScopedBlasThreads serial(1);
    lapack::syev(p, h.data(), theta.data(), vecs.data());
  }
  by_column_blocks(threads, p, [&](int first, int count) {
    const std::size_t in = static_cast<std::size_t>(first) * p,
                      out = static_cast<std::size_t>(first) * n;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, count, p, 1.0, q.data(), n,
                vecs.data() + in, p, 0.0, x.data() + out, n);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, count, p, 1.0, w.data(), n,
                vecs.data() + in, p, 0.0, cx.data() + out, n);
  });
}

// Chebyshev-filtered subspace iteration for the m smallest eigenpairs of C
// (lower triangle of c). Each outer step applies the degree-kChebyshevDegree
// Chebyshev polynomial of C that is bounded by 1 on [a, b] (a = the block's
// largest Ritz value, b >= the largest eigenvalue) and grows fast below a,
// then orthonormalises and does Rayleigh-Ritz. Why not shift-invert: for SMT
// the wanted eigenvalues sit just below a dense bulk (C ~ a M I - Q, Q the
// co-occurrence of codes within images), so their relative gap to 0 is tiny but
// their gap measured from the bulk is large, which is what the filter uses.
// Each filter degree is one symmetric block product (BLAS-3) over the n x n
// matrix; the polynomial gets several times the convergence per product of
// plain power steps on bI - C.
// Returns false (out untouched) when it has not converged within max_iter
// steps; cmat then holds C in double again (rounded to float when the single
// precision path ran), so the caller can fall back to the dense solver.
// Degree 4 measured fastest on the CIFAR-10 problem, ahead of degrees 3 and 6
// (BENCHMARKS.md).
constexpr int kChebyshevDegree = 4;

bool subspace_smallest(int n, std::vector<double>& cmat, int m, int max_iter, double tol,
                       const Context& ctx, EigenResult& out) {
  double trace = 0;
  for (int i = 0; i < n; ++i) trace += cmat[static_cast<std::size_t>(i) * n + i];
  SMT_CHECK(trace > 0 && std::isfinite(trace),
            "eigenproblem: the operator matrix L is zero or not finite (trace ", trace,
            "); are there images with at least two coded patches?");
  const double upper =
      estimate_largest(n, cmat.data(), Rng(ctx.seed, Stream::kEigenEstimate), ctx.num_threads());
  const int threads = ctx.num_threads();
  StandardMatrix c(n, cmat, threads);
  if (tol >= kSingleProductTol) c.narrow();
  const double top = upper + 1e-3 * std::abs(upper);  // a margin over the estimate
  const int p = std::min(n, std::max(2 * m, m + 16));
  const std::size_t np = static_cast<std::size_t>(n) * p;
  std::vector<double> q(np), w(np), x(np), cx(np), theta;
  Rng rng(ctx.seed, Stream::kEigenStart);
  for (auto& v : q) v = rng.normal();
  orthonormalize(n, p, q.data());
  rayleigh_ritz(n, p, c, q, w, x, cx, theta, threads);
  double worst = 0, previous = 0;
  int it = 0;
  Timer t_iter;
  for (it = 1; it <= max_iter; ++it) {
    ctx.check_cancelled();
    // Residuals of the m wanted pairs, relative to the spectrum's scale.
    worst = 0;
    for (int j = 0; j < m; ++j) {
      double rr = 0;
      for (int i = 0; i < n; ++i) {
        const std::size_t k = static_cast<std::size_t>(j) * n + i;
        const double r = cx[k] - theta[j] * x[k];
        rr += r * r;
      }
      worst = std::max(worst, std::sqrt(rr) / std::abs(top));
    }
    ctx.log(str_cat("eigen solver: step ", it, ", relative residual ", worst, ", ",
                    t_iter.seconds(), "s", c.single() ? " (single-precision products)" : ""));
    if (worst <= tol) break;
    // Single-precision products stall at their rounding floor (~5e-7 on the
    // CIFAR-10 problem): a step that gains less than 2x down there goes on in
    // double (on the float-rounded C). Slow early steps are not a stall.
    if (c.single() && it > 2 && worst < kSingleStallBand && worst > 0.5 * previous) {
      ctx.log("eigen solver: single-precision residual stalled; continuing in double");
      c.widen();
    }
    previous = worst;
    const double lo = theta[p - 1];
    if (lo < top) {
      // Y0 = x, Y1 = (C - center) x / half; Y(j+1) = 2 (C - center) Y(j) / half - Y(j-1).
      const double center = 0.5 * (lo + top), half = 0.5 * (top - lo);
      for (std::size_t k = 0; k < np; ++k) q[k] = (cx[k] - center * x[k]) / half;
      for (int deg = 2; deg <= kChebyshevDegree; ++deg) {
        c.multiply(p, q.data(), w.data());
        for (std::size_t k = 0; k < np; ++k) {
          const double next = 2.0 * (w[k] - center * q[k]) / half - x[k];
          x[k] = q[k];
          q[k] = next;
        }
      }
    } else {  // no room for a filter (a block as wide as the spectrum): a power step
      for (std::size_t k = 0; k < np; ++k) q[k] = top * x[k] - cx[k];
    }
    orthonormalize(n, p, q.data());
    rayleigh_ritz(n, p, c, q, w, x, cx, theta, threads);
  }
  if (worst > tol) {
    ctx.log(str_cat("eigen solver: subspace iteration reached relative residual ", worst, " after ",
                    max_iter, " steps (a spread-out spectrum); using dense LAPACK"));
    c.widen();
    return false;
  }
  out.values.assign(theta.begin(), theta.begin() + m);
  out.vectors.assign(x.begin(), x.begin() + static_cast<std::size_t>(n) * m);
  out.iterations = std::min(it, max_iter);
  out.max_rel_residual = worst;
  out.method = c.single() ? "subspace (single-precision products)" : "subspace";
  return true;
}

}  // namespace

EigenResult solve_smallest_eigenpairs(int n, std::vector<double>& l, std::vector<double>& b,
                                      bool b_diagonal, int m, EigenMethod method,
                                      const Context& ctx, double tol) {
  SMT_CHECK(tol > 0 && std::isfinite(tol), "eigenproblem: tolerance must be > 0, got ", tol);
  SMT_CHECK(n >= 1 && m >= 1 && m <= n, "eigenproblem: asked for ", m, " eigenpairs of a ", n, "x",
            n, " problem");
  SMT_CHECK(l.size() >= static_cast<std::size_t>(n) * n, "eigenproblem: L has the wrong size");
  SMT_CHECK(
      b.size() >= (b_diagonal ? static_cast<std::size_t>(n) : static_cast<std::size_t>(n) * n),
      "eigenproblem: B has the wrong size");
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) * n; ++i)
    SMT_CHECK(std::isfinite(l[i]), "eigenproblem: L contains NaN or inf");
  Timer t_form;
  to_standard_form(n, l, b, b_diagonal);
  ctx.log(str_cat("eigen solver: standard form (",
                  b_diagonal ? "diagonal scaling" : "Cholesky + dsygst", ") in ", t_form.seconds(),
                  "s"));
  if (method == EigenMethod::kAuto)
    method = n <= kDenseLimit ? EigenMethod::kDense : EigenMethod::kSubspace;
  EigenResult out;
  out.n = n;
  out.m = m;
  if (method == EigenMethod::kDense) {
    dense_smallest(n, l, m, out);
  } else if (!subspace_smallest(n, l, m, kMaxSubspaceSteps, tol, ctx, out)) {
    dense_smallest(n, l, m, out);
  }
  undo_transform(n, m, b, b_diagonal, out.vectors.data(), ctx.num_threads());
  return out;
}

}  // namespace smt
