// Property tests of MomentAccumulator and Whitener (docs/algorithm.md step 4) on
// random correlated data: moments against a direct double computation,
// mergeability, the whitening identity W (Sigma + tau I) W = I, and apply().
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "smt/core/error.h"
#include "smt/stages/whitener.h"

namespace {

constexpr int kDim = 12;
constexpr int kSamples = 20000;
constexpr int kChunk = 729;  // one 27x27 image's patches per add()

double uniform(std::mt19937_64& rng) {  // [-1, 1), portable
  return static_cast<double>(rng() >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

// x = mean + A z with a fixed random, well-conditioned mixing A = I + 0.15 R
// and z uniform: correlated, full rank.
std::vector<float> correlated_data(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> a(kDim * kDim), mu(kDim);
  for (int i = 0; i < kDim; ++i)
    for (int j = 0; j < kDim; ++j) a[i * kDim + j] = (i == j ? 1.0 : 0.0) + 0.15 * uniform(rng);
  for (auto& m : mu) m = 0.5 * uniform(rng);
  std::vector<float> x(static_cast<std::size_t>(n) * kDim);
  std::vector<double> z(kDim);
  for (int s = 0; s < n; ++s) {
    for (auto& v : z) v = uniform(rng);
    for (int i = 0; i < kDim; ++i) {
      double v = mu[i];
      for (int j = 0; j < kDim; ++j) v += a[i * kDim + j] * z[j];
      x[static_cast<std::size_t>(s) * kDim + i] = static_cast<float>(v);
    }
  }
  return x;
}

std::vector<double> direct_covariance(const std::vector<float>& x, int n) {
  std::vector<double> m(kDim, 0.0), c(kDim * kDim, 0.0);
  for (int s = 0; s < n; ++s)
    for (int i = 0; i < kDim; ++i) m[i] += x[static_cast<std::size_t>(s) * kDim + i];
  for (auto& v : m) v /= n;
  for (int s = 0; s < n; ++s)
    for (int i = 0; i < kDim; ++i)
      for (int j = 0; j < kDim; ++j)
        c[i * kDim + j] += (x[static_cast<std::size_t>(s) * kDim + i] - m[i]) *
                           (x[static_cast<std::size_t>(s) * kDim + j] - m[j]);
  for (auto& v : c) v /= n;
  return c;
}

void add_chunked(smt::MomentAccumulator& acc, const float* x, int n) {
  for (int s = 0; s < n; s += kChunk)
    acc.add(x + static_cast<std::size_t>(s) * kDim, std::min(kChunk, n - s));
}

std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, int d) {
  std::vector<double> c(static_cast<std::size_t>(d) * d, 0.0);
  for (int i = 0; i < d; ++i)
    for (int k = 0; k < d; ++k)
      for (int j = 0; j < d; ++j) c[i * d + j] += a[i * d + k] * b[k * d + j];
  return c;
}

double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

TEST(Whitener, CovarianceMatchesDirectComputation) {
  const auto x = correlated_data(kSamples, 1);
  smt::MomentAccumulator acc(kDim);
  add_chunked(acc, x.data(), kSamples);
  EXPECT_EQ(acc.count(), kSamples);
  const auto cov = acc.covariance();
  const auto ref = direct_covariance(x, kSamples);
  ASSERT_EQ(cov.size(), ref.size());
  const double scale = max_abs(ref);
  for (std::size_t i = 0; i < cov.size(); ++i)
    EXPECT_NEAR(cov[i], ref[i], 1e-4 * scale) << "entry " << i / kDim << "," << i % kDim;
  // Symmetric exactly.
  for (int i = 0; i < kDim; ++i)
    for (int j = 0; j < kDim; ++j) EXPECT_EQ(cov[i * kDim + j], cov[j * kDim + i]);
  // Mean.
  const auto mean = acc.mean();
  for (int i = 0; i < kDim; ++i) {
    double m = 0;
    for (int s = 0; s < kSamples; ++s) m += x[static_cast<std::size_t>(s) * kDim + i];
    EXPECT_NEAR(mean[i], m / kSamples, 1e-9);
  }
}

TEST(Whitener, MergeOfHalvesEqualsOnePass) {
  const auto x = correlated_data(kSamples, 2);
  const int half = 9 * kChunk;  // chunk boundaries line up in both runs
  smt::MomentAccumulator one(kDim), a(kDim), b(kDim);
  add_chunked(one, x.data(), kSamples);
  add_chunked(a, x.data(), half);
  add_chunked(b, x.data() + static_cast<std::size_t>(half) * kDim, kSamples - half);
  a.merge(b);
  EXPECT_EQ(a.count(), one.count());
  const auto c1 = one.covariance(), c2 = a.covariance();
  const double scale = max_abs(c1);
  for (std::size_t i = 0; i < c1.size(); ++i) EXPECT_NEAR(c1[i], c2[i], 1e-12 * scale);
  const auto m1 = one.mean(), m2 = a.mean();
  for (int i = 0; i < kDim; ++i) EXPECT_NEAR(m1[i], m2[i], 1e-12);
  smt::MomentAccumulator wrong(kDim + 1);
  EXPECT_THROW(a.merge(wrong), smt::Error);
}

// W is symmetric, W^2 (Sigma + tau I) = I, hence W Sigma W = Sigma (Sigma + tau)^-1,
// which is ~I when Sigma's eigenvalues are >> tau.
TEST(Whitener, WhitenedCovarianceIsIdentity) {
  const auto x = correlated_data(kSamples, 3);
  smt::MomentAccumulator acc(kDim);
  add_chunked(acc, x.data(), kSamples);
  const auto cov = acc.covariance();
  for (double tau : {1e-3, 0.5}) {
    SCOPED_TRACE(testing::Message() << "tau " << tau);
    const smt::Whitener w = smt::Whitener::fit(acc, tau);
    ASSERT_EQ(w.dim(), kDim);
    std::vector<double> wm(w.matrix().begin(), w.matrix().end());
    ASSERT_EQ(wm.size(), static_cast<std::size_t>(kDim * kDim));
    for (int i = 0; i < kDim; ++i)
      for (int j = 0; j < kDim; ++j) EXPECT_NEAR(wm[i * kDim + j], wm[j * kDim + i], 1e-6);
    std::vector<double> reg = cov;
    for (int i = 0; i < kDim; ++i) reg[i * kDim + i] += tau;
    const auto id = matmul(matmul(wm, wm, kDim), reg, kDim);
    for (int i = 0; i < kDim; ++i)
      for (int j = 0; j < kDim; ++j)
        EXPECT_NEAR(id[i * kDim + j], i == j ? 1.0 : 0.0, 1e-4) << i << "," << j;
    // W Sigma W (Sigma + tau) = Sigma.
    const auto wsw = matmul(matmul(wm, cov, kDim), wm, kDim);
    const auto back = matmul(wsw, reg, kDim);
    for (std::size_t i = 0; i < back.size(); ++i) EXPECT_NEAR(back[i], cov[i], 1e-4 * max_abs(cov));
    if (tau < 1e-2) {
      // Eigenvalues of this Sigma are >= ~0.05 >> tau: whitened covariance ~ I.
      for (int i = 0; i < kDim; ++i)
        for (int j = 0; j < kDim; ++j)
          EXPECT_NEAR(wsw[i * kDim + j], i == j ? 1.0 : 0.0, 0.03) << i << "," << j;
    }
  }
}

// The reported spectrum is Sigma's, largest first: it sums to trace(Sigma),
// and W^2 = (Sigma + tau I)^-1 has trace sum 1/(lambda + tau) over it.
TEST(Whitener, CovarianceSpectrumIsDescendingAndMatchesW) {
  const auto x = correlated_data(kSamples, 5);
  smt::MomentAccumulator acc(kDim);
  add_chunked(acc, x.data(), kSamples);
  const auto cov = acc.covariance();
  const double tau = 0.05;
  const smt::Whitener w = smt::Whitener::fit(acc, tau);
  const auto& ev = w.covariance_spectrum();
  ASSERT_EQ(ev.size(), static_cast<std::size_t>(kDim));
  for (int i = 1; i < kDim; ++i) EXPECT_GE(ev[i - 1], ev[i]) << i;
  EXPECT_GT(ev.back(), 0.0);
  double trace = 0, sum = 0, inv_sum = 0;
  for (int i = 0; i < kDim; ++i) trace += cov[i * kDim + i];
  for (double v : ev) sum += v, inv_sum += 1.0 / (v + tau);
  EXPECT_NEAR(sum, trace, 1e-9 * trace);
  std::vector<double> wm(w.matrix().begin(), w.matrix().end());
  const auto w2 = matmul(wm, wm, kDim);
  double w2_trace = 0;
  for (int i = 0; i < kDim; ++i) w2_trace += w2[i * kDim + i];
  EXPECT_NEAR(w2_trace, inv_sum, 1e-5 * inv_sum);
}

// Covariance of W x computed from the whitened samples themselves (before
// normalisation): ~ I.
TEST(Whitener, WhitenedSamplesHaveIdentityCovariance) {
  const auto x = correlated_data(kSamples, 4);
  smt::MomentAccumulator acc(kDim);
  add_chunked(acc, x.data(), kSamples);
  const smt::Whitener w = smt::Whitener::fit(acc, 1e-6);
  const auto& wm = w.matrix();
  std::vector<float> y(x.size());
  for (int s = 0; s < kSamples; ++s)
    for (int i = 0; i < kDim; ++i) {
      double v = 0;
      for (int j = 0; j < kDim; ++j)
        v += static_cast<double>(wm[i * kDim + j]) * x[static_cast<std::size_t>(s) * kDim + j];
      y[static_cast<std::size_t>(s) * kDim + i] = static_cast<float>(v);
    }
  const auto c = direct_covariance(y, kSamples);
  for (int i = 0; i < kDim; ++i)
    for (int j = 0; j < kDim; ++j) EXPECT_NEAR(c[i * kDim + j], i == j ? 1.0 : 0.0, 1e-3);
}

TEST(Whitener, ApplyGivesUnitRowsEqualToNormalisedWx) {
  const auto x = correlated_data(kSamples, 5);
  smt::MomentAccumulator acc(kDim);
  add_chunked(acc, x.data(), kSamples);
  const smt::Whitener w = smt::Whitener::fit(acc, 1e-3);
  const int n = 500;
  std::vector<float> rows(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n) * kDim);
  // Some zero rows, which must stay exactly zero.
  for (int s : {0, 7, 499})
    std::fill(rows.begin() + static_cast<std::ptrdiff_t>(s) * kDim,
              rows.begin() + static_cast<std::ptrdiff_t>(s + 1) * kDim, 0.0f);
  const std::vector<float> in = rows;
  w.apply(rows.data(), n);
  const auto& wm = w.matrix();
  for (int s = 0; s < n; ++s) {
    const float* r = rows.data() + static_cast<std::size_t>(s) * kDim;
    const float* xi = in.data() + static_cast<std::size_t>(s) * kDim;
    bool zero = std::all_of(xi, xi + kDim, [](float v) { return v == 0.0f; });
    if (zero) {
      for (int i = 0; i < kDim; ++i) EXPECT_EQ(r[i], 0.0f) << "row " << s;
      continue;
    }
    std::vector<double> wx(kDim, 0.0);
    double ss = 0;
    for (int i = 0; i < kDim; ++i) {
      for (int j = 0; j < kDim; ++j) wx[i] += static_cast<double>(wm[i * kDim + j]) * xi[j];
      ss += wx[i] * wx[i];
    }
    double norm2 = 0;
    for (int i = 0; i < kDim; ++i) {
      ASSERT_TRUE(std::isfinite(r[i]));
      norm2 += static_cast<double>(r[i]) * r[i];
      EXPECT_NEAR(r[i], wx[i] / std::sqrt(ss), 1e-5) << "row " << s << " entry " << i;
    }
    EXPECT_NEAR(norm2, 1.0, 1e-5) << "row " << s;
  }
}

TEST(Whitener, RejectsBadTolerance) {
  const auto x = correlated_data(100, 6);
  smt::MomentAccumulator acc(kDim);
  acc.add(x.data(), 100);
  EXPECT_THROW(smt::Whitener::fit(acc, 0.0), smt::Error);
  EXPECT_THROW(smt::Whitener::fit(acc, -1e-3), smt::Error);
  EXPECT_THROW(smt::Whitener::fit(acc, std::nan("")), smt::Error);
  smt::MomentAccumulator one(kDim);
  one.add(x.data(), 1);
  EXPECT_THROW(smt::Whitener::fit(one, 1e-3), smt::Error);
}

}  // namespace
