// Generalized symmetric eigenproblem L u = lambda B u (docs/algorithm.md step 9) on
// problems with known structure, checked without LAPACK: B-orthonormality,
// U^T L U = diag(lambda), residuals, the known null vector, and agreement of
// the dense and subspace methods. Then Projection::fit end to end on
// statistics of hand-made codes: P V P^T = I, tr(P L P^T) = sum of kept
// eigenvalues, zero columns for unused atoms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/lapack.h"
#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/stages/eigen_solver.h"
#include "smt/stages/projection.h"
#include "smt/stages/sparse_coder.h"
#include "smt/stages/statistics.h"

namespace {

double uni(std::mt19937_64& rng) {  // [-1, 1)
  return static_cast<double>(rng() >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

smt::Context quiet(int threads = 2) {
  smt::Context ctx;
  ctx.threads = threads;
  return ctx;
}

using Mat = std::vector<double>;  // n x n, column-major (symmetric ones either way)

// Orthonormal Q (column-major) whose first column is 1/sqrt(n): Gram-Schmidt
// (twice) on [1, random columns].
Mat orthonormal_with_ones(int n, std::mt19937_64& rng) {
  Mat q(static_cast<std::size_t>(n) * n);
  for (int c = 0; c < n; ++c) {
    double* col = q.data() + static_cast<std::size_t>(c) * n;
    for (int r = 0; r < n; ++r) col[r] = c == 0 ? 1.0 : uni(rng);
    for (int pass = 0; pass < 2; ++pass)
      for (int p = 0; p < c; ++p) {
        const double* pc = q.data() + static_cast<std::size_t>(p) * n;
        double dot = 0;
        for (int r = 0; r < n; ++r) dot += pc[r] * col[r];
        for (int r = 0; r < n; ++r) col[r] -= dot * pc[r];
      }
    double ss = 0;
    for (int r = 0; r < n; ++r) ss += col[r] * col[r];
    for (int r = 0; r < n; ++r) col[r] /= std::sqrt(ss);
  }
  return q;
}

// L = G G^T with G = Q diag(sqrt(mu)): mu_0 = 0 on the constant vector, so
// L 1 = 0 by construction; mu_i ~ i up to 30, then a bulk in [30, 40] (the
// wanted end well separated, so any sound iterative method converges fast).
Mat laplacian_like(int n, std::mt19937_64& rng) {
  const Mat q = orthonormal_with_ones(n, rng);
  std::vector<double> mu(n);
  for (int i = 0; i < n; ++i) {
    const double jitter = 0.25 * (uni(rng) + 1.0);  // [0, 0.5)
    mu[i] = i == 0 ? 0.0 : i <= 30 ? i + jitter : 30.0 + 10.0 * (i - 30 + jitter) / n;
  }
  Mat l(static_cast<std::size_t>(n) * n, 0.0);
  for (int k = 1; k < n; ++k) {
    const double* u = q.data() + static_cast<std::size_t>(k) * n;
    for (int c = 0; c < n; ++c)
      for (int r = 0; r < n; ++r) l[static_cast<std::size_t>(c) * n + r] += mu[k] * u[r] * u[c];
  }
  for (int c = 0; c < n; ++c)  // exact symmetry
    for (int r = c + 1; r < n; ++r)
      l[static_cast<std::size_t>(r) * n + c] = l[static_cast<std::size_t>(c) * n + r];
  return l;
}

Mat dense_spd(int n, std::mt19937_64& rng) {
  // B = 0.5 I + C C^T / n with C random.
  Mat c(static_cast<std::size_t>(n) * n);
  for (auto& x : c) x = uni(rng);
  Mat b(static_cast<std::size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      double s = 0;
      for (int k = 0; k < n; ++k)
        s += c[static_cast<std::size_t>(k) * n + i] * c[static_cast<std::size_t>(k) * n + j];
      b[static_cast<std::size_t>(j) * n + i] = b[static_cast<std::size_t>(i) * n + j] =
          s / n + (i == j ? 0.5 : 0.0);
    }
  return b;
}

std::vector<double> matvec(const Mat& a, int n, const double* x) {
  std::vector<double> y(n, 0.0);
  for (int c = 0; c < n; ++c)
    for (int r = 0; r < n; ++r) y[r] += a[static_cast<std::size_t>(c) * n + r] * x[c];
  return y;
}

struct Problem {
  int n = 0;
  Mat l;
  std::vector<double> b;  // n (diagonal) or n x n
  bool diag = true;
  Mat b_full() const {
    if (!diag) return b;
    Mat f(static_cast<std::size_t>(n) * n, 0.0);
    for (int i = 0; i < n; ++i) f[static_cast<std::size_t>(i) * n + i] = b[i];
    return f;
  }
};

Problem make_problem(int n, bool diag, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Problem p;
  p.n = n;
  p.diag = diag;
  p.l = laplacian_like(n, rng);
  if (diag) {
    p.b.resize(n);
    for (auto& x : p.b) x = 1.25 + 0.75 * uni(rng);  // [0.5, 2)
  } else {
    p.b = dense_spd(n, rng);
  }
  return p;
}

smt::EigenResult solve(const Problem& p, int m, smt::EigenMethod method, double tol = 1e-9) {
  Mat l = p.l;
  std::vector<double> b = p.b;
  return smt::solve_smallest_eigenpairs(p.n, l, b, p.diag, m, method, quiet(), tol);
}

double norm_of(const Mat& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return std::sqrt(s);
}

// U^T B U = I, U^T L U = diag(values), ascending values, small residuals,
// lambda_0 = 0 with u_0 parallel to the constant vector.
void check_result(const Problem& p, const smt::EigenResult& r, int m, double tol) {
  const int n = p.n;
  ASSERT_EQ(r.n, n);
  ASSERT_EQ(r.m, m);
  ASSERT_EQ(r.values.size(), static_cast<std::size_t>(m));
  ASSERT_EQ(r.vectors.size(), static_cast<std::size_t>(n) * m);
  const Mat bf = p.b_full();
  const double lnorm = norm_of(p.l);
  std::vector<std::vector<double>> lu(m), bu(m);
  for (int j = 0; j < m; ++j) {
    lu[j] = matvec(p.l, n, r.vectors.data() + static_cast<std::size_t>(j) * n);
    bu[j] = matvec(bf, n, r.vectors.data() + static_cast<std::size_t>(j) * n);
  }
  for (int i = 0; i < m; ++i) {
    if (i > 0) {
      EXPECT_LE(r.values[i - 1], r.values[i]);
    }
    const double* ui = r.vectors.data() + static_cast<std::size_t>(i) * n;
    for (int j = 0; j < m; ++j) {
      double ubu = 0, ulu = 0;
      for (int k = 0; k < n; ++k) {
        ubu += ui[k] * bu[j][k];
        ulu += ui[k] * lu[j][k];
      }
      EXPECT_NEAR(ubu, i == j ? 1.0 : 0.0, tol) << "U^T B U (" << i << "," << j << ")";
      EXPECT_NEAR(ulu, i == j ? r.values[i] : 0.0, tol * (1 + std::abs(r.values[i])))
          << "U^T L U (" << i << "," << j << ")";
    }
    double res = 0;
    for (int k = 0; k < n; ++k) {
      const double d = lu[i][k] - r.values[i] * bu[i][k];
      res += d * d;
    }
    EXPECT_LT(std::sqrt(res), tol * lnorm) << "residual of pair " << i;
  }
  // Null vector: lambda_0 = 0, u_0 = 1 / sqrt(1^T B 1) up to sign.
  EXPECT_NEAR(r.values[0], 0.0, tol * lnorm);
  double one_b_one = 0;
  for (double x : bf) one_b_one += x;
  const double* u0 = r.vectors.data();
  const double s = u0[0] > 0 ? 1.0 : -1.0;
  for (int k = 0; k < n; ++k) EXPECT_NEAR(s * u0[k], 1.0 / std::sqrt(one_b_one), 1e-6);
  EXPECT_GT(r.values[1], 1e-3);
}

// Same eigenvalues and same spans: with B-orthonormal U1, U2 of the same
// invariant subspace, U1 (U1^T B U2) = U2.
void expect_same_pairs(const Problem& p, const smt::EigenResult& a, const smt::EigenResult& b,
                       int m) {
  const int n = p.n;
  for (int i = 0; i < m; ++i)
    EXPECT_NEAR(a.values[i], b.values[i], 1e-8 * std::max(1.0, std::abs(a.values[i])))
        << "eigenvalue " << i;
  const Mat bf = p.b_full();
  for (int j = 0; j < m; ++j) {
    const auto bu2 = matvec(bf, n, b.vectors.data() + static_cast<std::size_t>(j) * n);
    std::vector<double> proj(n, 0.0);
    for (int i = 0; i < m; ++i) {
      const double* u1 = a.vectors.data() + static_cast<std::size_t>(i) * n;
      double c = 0;
      for (int k = 0; k < n; ++k) c += u1[k] * bu2[k];
      for (int k = 0; k < n; ++k) proj[k] += c * u1[k];
    }
    double err = 0, nrm = 0;
    for (int k = 0; k < n; ++k) {
      const double u2 = b.vectors[static_cast<std::size_t>(j) * n + k];
      err += (proj[k] - u2) * (proj[k] - u2);
      nrm += u2 * u2;
    }
    EXPECT_LT(std::sqrt(err / nrm), 1e-5) << "vector " << j << " is not in the other span";
  }
}

TEST(EigenSolver, SmallDenseDiagonalB) {
  const Problem p = make_problem(60, true, 1);
  const auto r = solve(p, 8, smt::EigenMethod::kDense);
  EXPECT_EQ(r.method, "dense");
  check_result(p, r, 8, 1e-8);
  const auto ra = solve(p, 8, smt::EigenMethod::kAuto);
  EXPECT_EQ(ra.method, "dense");
  expect_same_pairs(p, r, ra, 8);
}

TEST(EigenSolver, SmallDenseDenseB) {
  const Problem p = make_problem(60, false, 2);
  const auto r = solve(p, 8, smt::EigenMethod::kDense);
  check_result(p, r, 8, 1e-8);
}

TEST(EigenSolver, SmallSubspaceMatchesDense) {
  for (bool diag : {true, false}) {
    SCOPED_TRACE(diag ? "diagonal B" : "dense B");
    const Problem p = make_problem(60, diag, 3);
    const auto d = solve(p, 6, smt::EigenMethod::kDense);
    const auto s = solve(p, 6, smt::EigenMethod::kSubspace);
    EXPECT_EQ(s.method, "subspace");
    check_result(p, s, 6, 1e-8);
    expect_same_pairs(p, d, s, 6);
    expect_same_pairs(p, s, d, 6);
  }
}

TEST(EigenSolver, N400SubspaceMatchesDense) {
  for (bool diag : {true, false}) {
    SCOPED_TRACE(diag ? "diagonal B" : "dense B");
    const Problem p = make_problem(400, diag, 4);
    const int m = 10;
    const auto d = solve(p, m, smt::EigenMethod::kDense);
    const auto s = solve(p, m, smt::EigenMethod::kSubspace);
    EXPECT_EQ(d.method, "dense");
    EXPECT_EQ(s.method, "subspace");
    EXPECT_GT(s.iterations, 0);
    EXPECT_LE(s.max_rel_residual, 1e-7);
    check_result(p, d, m, 1e-8);
    check_result(p, s, m, 1e-8);
    expect_same_pairs(p, d, s, m);
    expect_same_pairs(p, s, d, m);
  }
}

// The Lanczos estimate's product, in row blocks of three BLAS-2 pieces, is
// C q (and C Q, in double and single precision) computed from both triangles, for sizes inside one
// block, at a block edge and across several; and the same bits for any thread count.
TEST(EigenSolver, BlockedSymmetricProductIsCq) {
  std::mt19937_64 rng(8);
  for (int n : {7, 512, 513, 1300}) {
    Mat c(static_cast<std::size_t>(n) * n, 0.0);  // lower triangle only; the upper stays 0
    Mat full(c.size());
    for (int j = 0; j < n; ++j)
      for (int i = j; i < n; ++i)
        full[std::size_t(j) * n + i] = full[std::size_t(i) * n + j] = c[std::size_t(j) * n + i] =
            uni(rng);
    std::vector<double> q(n);
    for (auto& v : q) v = uni(rng);
    const std::vector<double> expect = matvec(full, n, q.data());
    std::vector<double> one(n), three(n);
    smt::lapack::symmetric_multiply(n, 1, c.data(), q.data(), one.data(), 1);
    smt::lapack::symmetric_multiply(n, 1, c.data(), q.data(), three.data(), 3);
    for (int i = 0; i < n; ++i)
      EXPECT_NEAR(one[i], expect[i], 1e-12 * n) << "n " << n << ", row " << i;
    EXPECT_TRUE(one == three) << "n " << n;
    // Several columns, in double and in single precision.
    const int p = 5;
    std::vector<double> qs(static_cast<std::size_t>(n) * p), ws(qs.size());
    for (auto& v : qs) v = uni(rng);
    smt::lapack::symmetric_multiply(n, p, c.data(), qs.data(), ws.data(), 2);
    std::vector<float> cf(c.begin(), c.end()), qf(qs.begin(), qs.end()), wf(qs.size());
    smt::lapack::symmetric_multiply(n, p, cf.data(), qf.data(), wf.data(), 2);
    for (int j = 0; j < p; ++j) {
      const std::vector<double> col = matvec(full, n, qs.data() + std::size_t(j) * n);
      for (int i = 0; i < n; ++i) {
        EXPECT_NEAR(ws[std::size_t(j) * n + i], col[i], 1e-12 * n);
        EXPECT_NEAR(wf[std::size_t(j) * n + i], col[i], 1e-5 * n);
      }
    }
  }
}

// Tolerances >= 1e-5 run the subspace products in single precision (C
// rounded to float in place); the basis stays double, so U^T B U = I holds to
// double rounding while values and residuals meet the looser tolerance.
TEST(EigenSolver, SinglePrecisionProductsMeetTheLooseTolerance) {
  for (bool diag : {true, false}) {
    SCOPED_TRACE(diag ? "diagonal B" : "dense B");
    const Problem p = make_problem(400, diag, 4);
    const int m = 10;
    const auto d = solve(p, m, smt::EigenMethod::kDense);
    const auto s = solve(p, m, smt::EigenMethod::kSubspace, 1e-5);
    EXPECT_EQ(s.method, "subspace (single-precision products)");
    EXPECT_LE(s.max_rel_residual, 1e-5);
    check_result(p, s, m, 1e-5);
    const Mat bf = p.b_full();
    const double lnorm = norm_of(p.l);
    for (int i = 0; i < m; ++i) {
      EXPECT_NEAR(s.values[i], d.values[i], 1e-5 * lnorm) << "eigenvalue " << i;
      const std::vector<double> bu = matvec(bf, p.n, s.vectors.data() + std::size_t(i) * p.n);
      for (int j = 0; j < m; ++j) {
        double ubu = 0;
        for (int k = 0; k < p.n; ++k) ubu += s.vectors[std::size_t(j) * p.n + k] * bu[k];
        EXPECT_NEAR(ubu, i == j ? 1.0 : 0.0, 1e-10) << "U^T B U (" << j << "," << i << ")";
      }
    }
    // Just under the switch: double products, as before.
    EXPECT_EQ(solve(p, m, smt::EigenMethod::kSubspace, 9e-6).method, "subspace");
  }
}

TEST(EigenSolver, RejectsBadInput) {
  Problem p = make_problem(10, true, 5);
  EXPECT_THROW(solve(p, 0, smt::EigenMethod::kDense), smt::Error);
  EXPECT_THROW(solve(p, 11, smt::EigenMethod::kDense), smt::Error);
  Problem neg = p;
  neg.b[3] = -1.0;
  EXPECT_THROW(solve(neg, 2, smt::EigenMethod::kDense), smt::Error);
  Problem nan = p;
  nan.l[5] = std::nan("");
  EXPECT_THROW(solve(nan, 2, smt::EigenMethod::kDense), smt::Error);
}

// ---- Projection::fit end to end on hand-made statistics ----

// Codes on a gh x gw grid: atoms from [0, used); one-hot or 1-3 atoms with
// variable values.
std::vector<smt::PatchCodes> make_codes(int images, int gh, int gw, int used, bool one_hot,
                                        std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<smt::PatchCodes> out(images);
  for (auto& c : out) {
    c.clear();
    for (int p = 0; p < gh * gw; ++p) {
      const int count = one_hot ? 1 : 1 + static_cast<int>(rng() % 3);
      std::vector<std::uint16_t> atoms;
      while (static_cast<int>(atoms.size()) < count) {
        const auto a = static_cast<std::uint16_t>(rng() % used);
        if (std::find(atoms.begin(), atoms.end(), a) == atoms.end()) atoms.push_back(a);
      }
      std::sort(atoms.begin(), atoms.end());
      if (!one_hot) {
        std::vector<double> w(count);
        double s = 0;
        for (auto& x : w) s += (x = 0.5 + 0.5 * (uni(rng) + 1.0));
        for (double x : w) c.values.push_back(static_cast<float>(x / s));
      }
      for (auto a : atoms) c.atoms.push_back(a);
      c.offsets.push_back(static_cast<std::uint32_t>(c.atoms.size()));
      c.fallback.push_back(0);
    }
  }
  return out;
}

smt::SmtStatistics make_stats(int k, int used, bool one_hot, int neighborhood, std::uint64_t seed) {
  const auto codes = make_codes(30, 5, 5, used, one_hot, seed);
  std::vector<const smt::PatchCodes*> ptrs;
  for (const auto& c : codes) ptrs.push_back(&c);
  smt::SmtStatistics stats(k, one_hot,
                           {smt::Operator::kSecond, neighborhood, smt::ZeroCode::kDrop});
  stats.add_images(ptrs, 5, 5, quiet());
  return stats;
}

TEST(Projection, FitSatisfiesConstraintsAndTrace) {
  const int k = 40, used = 35, d = 5, skip = 1;
  for (bool one_hot : {true, false}) {
    for (int w : {1, -1}) {
      for (auto method : {smt::EigenMethod::kDense, smt::EigenMethod::kSubspace}) {
        SCOPED_TRACE(testing::Message() << "one_hot " << one_hot << " w " << w << " method "
                                        << static_cast<int>(method));
        smt::SmtStatistics stats = make_stats(k, used, one_hot, w, 7);
        const auto v = stats.dense_v();
        const auto l = stats.dense_l();
        smt::ProjectionReport rep;
        const smt::Projection proj =
            smt::Projection::fit(std::move(stats), d, skip, 1e-10, method, quiet(), &rep);
        EXPECT_EQ(proj.dict_size(), k);
        EXPECT_EQ(proj.embed_dim(), d);
        EXPECT_EQ(rep.active_atoms, used);
        ASSERT_EQ(rep.eigenvalues.size(), static_cast<std::size_t>(skip + d));
        ASSERT_EQ(proj.eigenvalues().size(), static_cast<std::size_t>(d));
        for (int j = 0; j < d; ++j) EXPECT_EQ(proj.eigenvalues()[j], rep.eigenvalues[skip + j]);
        for (int j = 1; j < skip + d; ++j) {
          EXPECT_LE(rep.eigenvalues[j - 1], rep.eigenvalues[j]);
        }
        // The skipped eigenvalue is the constant function's, ~0.
        EXPECT_NEAR(rep.eigenvalues[0], 0.0, 1e-8 * std::abs(rep.eigenvalues.back()));
        const auto& p = proj.by_atom();  // k x d: P^T
        ASSERT_EQ(p.size(), static_cast<std::size_t>(k) * d);
        // Unused atoms: zero columns of P.
        for (int a = used; a < k; ++a)
          for (int j = 0; j < d; ++j) EXPECT_EQ(p[a * d + j], 0.0f) << "atom " << a;
        // P V P^T = I (P stored in float: ~1e-6) and P L P^T = diag(kept values).
        double trace = 0, sum_kept = 0;
        for (int i = 0; i < d; ++i) {
          sum_kept += proj.eigenvalues()[i];
          for (int j = 0; j < d; ++j) {
            double pvp = 0, plp = 0;
            for (int a = 0; a < k; ++a)
              for (int b = 0; b < k; ++b) {
                const double pp = static_cast<double>(p[a * d + i]) * p[b * d + j];
                pvp += pp * v[a * k + b];
                plp += pp * l[a * k + b];
              }
            EXPECT_NEAR(pvp, i == j ? 1.0 : 0.0, 1e-5) << "P V P^T (" << i << "," << j << ")";
            if (i == j) {
              trace += plp;
            } else {
              EXPECT_NEAR(plp, 0.0, 1e-5 * proj.eigenvalues()[d - 1])
                  << "P L P^T (" << i << "," << j << ")";
            }
          }
        }
        EXPECT_NEAR(trace, sum_kept, 1e-5 * sum_kept);
        EXPECT_NEAR(rep.v_reg, 0.0, 1e-9);
      }
    }
  }
}

TEST(Projection, EmbedIsNormalisedPAlpha) {
  const int k = 40, used = 35, d = 4;
  smt::SmtStatistics stats = make_stats(k, used, false, -1, 9);
  const smt::Projection proj = smt::Projection::fit(std::move(stats), d, 1, 1e-6,
                                                    smt::EigenMethod::kDense, quiet(), nullptr);
  auto codes = make_codes(1, 3, 3, used, false, 10)[0];
  // A patch whose atoms are all unused embeds to zero, not NaN.
  codes.atoms[codes.begin(4)] = static_cast<std::uint16_t>(used + 1);
  for (auto e = codes.begin(4) + 1; e < codes.end(4); ++e)
    codes.atoms[e] = static_cast<std::uint16_t>(used + 2);
  std::vector<float> beta(9 * d);
  proj.embed(codes, beta.data());
  for (int pch = 0; pch < 9; ++pch) {
    std::vector<double> want(d, 0.0);
    for (auto e = codes.begin(pch); e < codes.end(pch); ++e)
      for (int j = 0; j < d; ++j)
        want[j] += codes.value(pch, e) * proj.by_atom()[codes.atoms[e] * d + j];
    double nrm = 0;
    for (double x : want) nrm += x * x;
    nrm = std::sqrt(nrm);
    for (int j = 0; j < d; ++j) {
      ASSERT_TRUE(std::isfinite(beta[pch * d + j]));
      EXPECT_NEAR(beta[pch * d + j], nrm > 0 ? want[j] / nrm : 0.0, 1e-5) << pch << "," << j;
    }
  }
}

TEST(Projection, TooFewActiveAtomsThrows) {
  const int k = 40, used = 20;
  for (bool one_hot : {true, false}) {
    {
      smt::SmtStatistics stats = make_stats(k, used, one_hot, 1, 11);
      // skip + d == active atoms: not enough.
      EXPECT_THROW(smt::Projection::fit(std::move(stats), used - 1, 1, 1e-8,
                                        smt::EigenMethod::kDense, quiet(), nullptr),
                   smt::Error);
    }
    {
      smt::SmtStatistics stats = make_stats(k, used, one_hot, 1, 11);
      EXPECT_THROW(smt::Projection::fit(std::move(stats), used, 2, 1e-8, smt::EigenMethod::kDense,
                                        quiet(), nullptr),
                   smt::Error);
    }
    {
      smt::SmtStatistics stats = make_stats(k, used, one_hot, 1, 11);
      smt::ProjectionReport rep;
      EXPECT_NO_THROW(smt::Projection::fit(std::move(stats), used - 2, 1, 1e-8,
                                           smt::EigenMethod::kDense, quiet(), &rep));
      EXPECT_EQ(rep.active_atoms, used);
    }
  }
}

}  // namespace

// A path-graph Laplacian: eigenvalues spread evenly with no gap below a bulk,
// the worst case for subspace iteration on sI - C. The solver must still
// return the right pairs (by falling back to the dense solver).
TEST(EigenSolver, SpreadSpectrumStillSolved) {
  const int n = 900, m = 6;
  auto make = [&] {
    std::vector<double> l(static_cast<std::size_t>(n) * n, 0.0);
    for (int i = 0; i < n; ++i) {
      const double deg = (i == 0 || i == n - 1) ? 1.0 : 2.0;
      l[static_cast<std::size_t>(i) * n + i] = deg;
      if (i + 1 < n) l[static_cast<std::size_t>(i) * n + i + 1] = -1.0;  // col-major lower
    }
    return l;
  };
  std::vector<double> l = make(), b(n, 1.0);
  const smt::EigenResult r =
      smt::solve_smallest_eigenpairs(n, l, b, true, m, smt::EigenMethod::kSubspace, quiet());
  // Path graph: lambda_k = 2 - 2 cos(pi k / n).
  for (int k = 0; k < m; ++k)
    EXPECT_NEAR(r.values[k], 2.0 - 2.0 * std::cos(M_PI * k / n), 1e-9) << k;
}

// The same problem gives the same bits whatever the thread count (the model
// file's promise, README "Reproducibility"): the LAPACK and level-2 BLAS
// steps whose partial sums OpenBLAS splits by thread run single-threaded.
TEST(EigenSolver, ThreadCountDoesNotChangeTheBits) {
  for (bool diag : {true, false}) {
    const Problem p = make_problem(700, diag, 6);
    for (const auto& [method, tol] :
         {std::pair{smt::EigenMethod::kDense, 1e-9}, std::pair{smt::EigenMethod::kSubspace, 1e-9},
          std::pair{smt::EigenMethod::kSubspace, 1e-5}}) {
      SCOPED_TRACE(std::string(diag ? "diagonal B, " : "dense B, ") +
                   (method == smt::EigenMethod::kDense ? "dense" : "subspace") +
                   (tol > 1e-6 ? " (single)" : ""));
      smt::EigenResult ref;
      for (int threads : {1, 2, 3, 5}) {
        const smt::ScopedThreadLimit limit(threads);
        Mat l = p.l;
        std::vector<double> b = p.b;
        const smt::EigenResult r =
            smt::solve_smallest_eigenpairs(p.n, l, b, p.diag, 12, method, quiet(threads), tol);
        if (threads == 1) {
          ref = r;
          continue;
        }
        EXPECT_EQ(r.iterations, ref.iterations) << threads << " threads";
        EXPECT_TRUE(r.values == ref.values) << threads << " threads: other eigenvalues";
        EXPECT_TRUE(r.vectors == ref.vectors) << threads << " threads: other eigenvectors";
      }
    }
  }
}
