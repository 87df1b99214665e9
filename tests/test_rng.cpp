// smt::Rng (core/rng.h) against the standard library on the same engine.
//
// Rng computes its draws itself so that a seed gives the same numbers with any
// standard library. The outputs recorded so far (model files, metrics, the
// bit-identical results the tests and benchmarks compare) were made when the
// project still called libstdc++'s distributions, so Rng must reproduce
// exactly what libstdc++ gives on std::mt19937_64: Lemire's multiply-and-reject
// for uniform_int_distribution, generate_canonical (one 64-bit draw scaled by
// 2^-64) for uniform_real_distribution, Marsaglia's polar method for
// normal_distribution. These tests pin that equivalence; they are exact on
// libstdc++ and are skipped on other standard libraries, whose distributions
// may use other algorithms (Rng itself stays the same there).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "smt/core/rng.h"

namespace smt {
namespace {

#if defined(__GLIBCXX__)
constexpr bool kLibstdcxx = true;
#else
constexpr bool kLibstdcxx = false;
#endif

#define SKIP_UNLESS_LIBSTDCXX()                                                           \
  do {                                                                                    \
    if (!kLibstdcxx) GTEST_SKIP() << "the distributions' algorithms are libstdc++'s own"; \
  } while (0)

// Bounds of every size class: tiny, powers of two and their neighbours, bounds
// just over 2^63 (rejection is then likely) and the largest representable one.
std::vector<std::uint64_t> bounds() {
  std::vector<std::uint64_t> n = {1, 2, 3, 5, 7, 10, 100, 729, 1000, 8192, 65535, 65536, 1000003};
  for (int b : {16, 31, 32, 33, 52, 53, 62, 63}) {
    const std::uint64_t p = std::uint64_t{1} << b;
    n.insert(n.end(), {p - 1, p, p + 1});
  }
  n.insert(n.end(), {(std::uint64_t{1} << 63) + 12345, ~std::uint64_t{0} - 1, ~std::uint64_t{0}});
  return n;
}

TEST(Rng, BelowFastEqualsUniformIntDistribution) {
  SKIP_UNLESS_LIBSTDCXX();
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{42}, ~std::uint64_t{0}}) {
    for (const std::uint64_t n : bounds()) {
      Rng rng(seed);
      std::mt19937_64 engine(seed);
      std::uniform_int_distribution<std::uint64_t> dist(0, n - 1);
      for (int i = 0; i < 2000; ++i)
        ASSERT_EQ(rng.below_fast(n), dist(engine))
            << "seed " << seed << ", n " << n << ", draw " << i;
    }
  }
}

TEST(Rng, BelowFastWithAStreamEqualsTheSeededEngine) {
  SKIP_UNLESS_LIBSTDCXX();
  const std::uint64_t seed = 7;
  Rng rng(seed, Stream::kDictionaryGreedy);
  std::mt19937_64 engine(seed ^ static_cast<std::uint64_t>(Stream::kDictionaryGreedy));
  for (std::uint64_t n = 1; n < 3000; ++n)
    ASSERT_EQ(rng.below_fast(n), std::uniform_int_distribution<std::uint64_t>(0, n - 1)(engine))
        << "n " << n;
}

TEST(Rng, Uniform01EqualsUniformRealDistribution) {
  SKIP_UNLESS_LIBSTDCXX();
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{123456789}}) {
    Rng rng(seed);
    std::mt19937_64 engine(seed);
    std::uniform_real_distribution<double> dist(0.0, 1.0);
    for (int i = 0; i < 10000; ++i) {
      const double u = rng.uniform01();
      ASSERT_EQ(u, dist(engine)) << "seed " << seed << ", draw " << i;
      ASSERT_GE(u, 0.0);
      ASSERT_LT(u, 1.0);
    }
  }
}

TEST(Rng, NormalEqualsNormalDistribution) {
  SKIP_UNLESS_LIBSTDCXX();
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{11}, std::uint64_t{2024}}) {
    Rng rng(seed);
    std::mt19937_64 engine(seed);
    std::normal_distribution<double> dist;
    // An odd count ends on the first of a pair: the saved second value is
    // then still pending in both.
    for (int i = 0; i < 5001; ++i)
      ASSERT_EQ(rng.normal(), dist(engine)) << "seed " << seed << ", draw " << i;
    // Mixing draw kinds: both consume the engine the same way.
    for (int i = 0; i < 200; ++i) {
      ASSERT_EQ(rng.normal(), dist(engine)) << "mixed draw " << i;
      ASSERT_EQ(rng.below_fast(1000), std::uniform_int_distribution<std::uint64_t>(0, 999)(engine))
          << "mixed draw " << i;
    }
  }
}

TEST(Rng, NormalHasUnitMoments) {
  Rng rng(5);
  const int n = 200000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    sum2 += x * x;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.02);
  EXPECT_NEAR(sum2 / n, 1.0, 0.02);
}

TEST(Rng, BelowStaysInRange) {
  Rng rng(99);
  for (const std::uint64_t n : bounds())
    for (int i = 0; i < 500; ++i) ASSERT_LT(rng.below(n), n) << "n " << n;
  for (int i = 0; i < 100; ++i) ASSERT_EQ(rng.below(1), 0u);
}

// Chi-square goodness of fit over n equally likely values. With 10^5 draws the
// statistic has mean n - 1 and standard deviation sqrt(2 (n - 1)); the bound
// (mean + 6 sd) fails for a biased draw such as a plain modulo over a range
// that is not a multiple of n, and practically never for a uniform one.
double chi_square(Rng& rng, std::uint64_t n, int draws, bool fast) {
  std::vector<int> count(n, 0);
  for (int i = 0; i < draws; ++i) ++count[fast ? rng.below_fast(n) : rng.below(n)];
  const double expected = static_cast<double>(draws) / static_cast<double>(n);
  double chi2 = 0;
  for (const int c : count) chi2 += (c - expected) * (c - expected) / expected;
  return chi2;
}

TEST(Rng, BelowIsUnbiased) {
  for (const std::uint64_t n : {std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{10},
                                std::uint64_t{37}, std::uint64_t{100}, std::uint64_t{729}}) {
    for (const bool fast : {false, true}) {
      Rng rng(1000 + n);
      const double chi2 = chi_square(rng, n, 100000, fast);
      const double dof = static_cast<double>(n - 1);
      EXPECT_LT(chi2, dof + 6.0 * std::sqrt(2.0 * dof) + 10.0)
          << "n " << n << (fast ? " (below_fast)" : " (below)");
    }
  }
  // A bound just over 2^63: rejection keeps the two halves of the range equally
  // likely (a plain modulo would make [0, 2^64 - n) twice as likely as the rest).
  Rng rng(77);
  const std::uint64_t n = (std::uint64_t{1} << 63) + (std::uint64_t{1} << 62);
  int low = 0;
  const int draws = 40000;
  for (int i = 0; i < draws; ++i) low += rng.below(n) < n / 2 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(low) / draws, 0.5, 0.02);
}

TEST(Rng, StreamsDiffer) {
  const Stream streams[] = {Stream::kSubset,           Stream::kDictionaryGreedy,
                            Stream::kDictionaryKMeans, Stream::kEigenStart,
                            Stream::kEigenEstimate,    Stream::kLandmarks};
  std::set<std::vector<std::uint64_t>> seen;
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}}) {
    for (const Stream s : streams) {
      Rng rng(seed, s);
      std::vector<std::uint64_t> draws(8);
      for (auto& d : draws) d = rng.next();
      EXPECT_TRUE(seen.insert(draws).second)
          << "seed " << seed << ", stream " << static_cast<std::uint64_t>(s)
          << " repeats another stream's draws";
    }
  }
  // The same seed and stream give the same draws.
  Rng a(5, Stream::kEigenStart), b(5, Stream::kEigenStart);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next());
}

}  // namespace
}  // namespace smt
