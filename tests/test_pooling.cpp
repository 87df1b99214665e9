#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "smt/core/error.h"
#include "smt/stages/pooling.h"

namespace {

// Uniform in [-1, 1) from mt19937 bits directly (std distributions are not
// portable across standard libraries).
std::vector<float> random_grid(int g, int d, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v(static_cast<std::size_t>(g) * g * d);
  for (auto& x : v) x = static_cast<float>(rng() >> 8) * (2.0f / 16777216.0f) - 1.0f;
  return v;
}

// Naive double-precision reference: mean over each window, then L2-normalise.
std::vector<double> naive_pool(const std::vector<float>& beta, int g, int d, int window,
                               int stride) {
  const int o = (g - window) / stride + 1;
  std::vector<double> out(static_cast<std::size_t>(o) * o * d, 0.0);
  for (int oi = 0; oi < o; ++oi) {
    for (int oj = 0; oj < o; ++oj) {
      double* cell = &out[(static_cast<std::size_t>(oi) * o + oj) * d];
      for (int a = 0; a < window; ++a) {
        for (int b = 0; b < window; ++b) {
          const int i = oi * stride + a, j = oj * stride + b;
          for (int c = 0; c < d; ++c) {
            cell[c] += beta[(static_cast<std::size_t>(i) * g + j) * d + c];
          }
        }
      }
      double sq = 0.0;
      for (int c = 0; c < d; ++c) {
        cell[c] /= window * window;
        sq += cell[c] * cell[c];
      }
      if (sq > 0.0) {
        for (int c = 0; c < d; ++c) cell[c] /= std::sqrt(sq);
      }
    }
  }
  return out;
}

struct PoolCase {
  int g, d, window, stride, expected_o;
};

TEST(Pooling, PooledGrid) {
  EXPECT_EQ(smt::pooled_grid(23, 4, 2), 10);  // MNIST
  EXPECT_EQ(smt::pooled_grid(27, 4, 2), 12);  // CIFAR
  EXPECT_EQ(smt::pooled_grid(4, 4, 2), 1);
  EXPECT_EQ(smt::pooled_grid(10, 3, 3), 3);  // trailing row/column unused
  EXPECT_EQ(smt::pooled_grid(5, 1, 1), 5);
}

TEST(Pooling, MatchesNaiveReference) {
  const PoolCase cases[] = {{23, 5, 4, 2, 10}, {27, 3, 4, 2, 12}, {27, 64, 4, 2, 12},
                            {8, 7, 3, 1, 6},   {9, 4, 9, 1, 1},   {10, 2, 3, 3, 3},
                            {5, 1, 1, 1, 5},   {6, 16, 2, 2, 3}};
  std::uint32_t seed = 1;
  for (const auto& t : cases) {
    SCOPED_TRACE(::testing::Message() << "g=" << t.g << " d=" << t.d << " window=" << t.window
                                      << " stride=" << t.stride);
    const int o = smt::pooled_grid(t.g, t.window, t.stride);
    ASSERT_EQ(o, t.expected_o);
    const auto beta = random_grid(t.g, t.d, seed++);
    std::vector<float> out(static_cast<std::size_t>(o) * o * t.d, -7.0f);
    smt::average_pool(beta.data(), t.g, t.d, t.window, t.stride, out.data());
    const auto ref = naive_pool(beta, t.g, t.d, t.window, t.stride);
    for (std::size_t e = 0; e < ref.size(); ++e) ASSERT_NEAR(out[e], ref[e], 1e-5) << "e=" << e;
    for (int cell = 0; cell < o * o; ++cell) {
      double sq = 0.0;
      for (int c = 0; c < t.d; ++c) {
        const double v = out[static_cast<std::size_t>(cell) * t.d + c];
        sq += v * v;
      }
      EXPECT_NEAR(std::sqrt(sq), 1.0, 1e-5) << "cell " << cell;
    }
  }
}

TEST(Pooling, ZeroCellsStayZero) {
  const int g = 6, d = 4, window = 2, stride = 2;
  auto beta = random_grid(g, d, 99);
  // Zero the top-left 2x2 block: exactly output cell (0, 0).
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      for (int c = 0; c < d; ++c) beta[(static_cast<std::size_t>(i) * g + j) * d + c] = 0.0f;
    }
  }
  const int o = smt::pooled_grid(g, window, stride);
  std::vector<float> out(static_cast<std::size_t>(o) * o * d, -7.0f);
  smt::average_pool(beta.data(), g, d, window, stride, out.data());
  for (int c = 0; c < d; ++c) EXPECT_EQ(out[static_cast<std::size_t>(c)], 0.0f);
  for (int cell = 1; cell < o * o; ++cell) {
    double sq = 0.0;
    for (int c = 0; c < d; ++c) {
      const double v = out[static_cast<std::size_t>(cell) * d + c];
      sq += v * v;
    }
    EXPECT_NEAR(std::sqrt(sq), 1.0, 1e-5);
  }
}

TEST(Pooling, RejectsBadParameters) {
  EXPECT_THROW(smt::pooled_grid(3, 4, 2), smt::Error);
  EXPECT_THROW(smt::pooled_grid(10, 0, 1), smt::Error);
  EXPECT_THROW(smt::pooled_grid(10, 2, 0), smt::Error);
  std::vector<float> beta(3 * 3 * 2, 1.0f), out(16, 0.0f);
  EXPECT_THROW(smt::average_pool(beta.data(), 3, 2, 4, 2, out.data()), smt::Error);
  try {
    smt::pooled_grid(3, 4, 2);
  } catch (const smt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("window"), std::string::npos) << e.what();
  }
}

}  // namespace
