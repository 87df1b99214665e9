// The fused AVX2 coding kernel against the portable BLAS path and the plain
// reference: same atoms, same values, same fallbacks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "smt/stages/dictionary.h"
#include "smt/stages/sparse_coder.h"

namespace {

std::vector<float> random_unit_rows(int n, int dim, std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<std::size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    double ss = 0;
    for (int d = 0; d < dim; ++d) {
      float x = g(rng);
      v[static_cast<std::size_t>(i) * dim + d] = x;
      ss += double(x) * x;
    }
    for (int d = 0; d < dim; ++d) v[static_cast<std::size_t>(i) * dim + d] /= float(std::sqrt(ss));
  }
  return v;
}

// Two scores closer than this may legitimately swap between summation orders.
constexpr float kTieTolerance = 1e-5f;

void expect_same_codes(const smt::PatchCodes& a, const smt::PatchCodes& b,
                       const std::vector<float>& sims, int k) {
  ASSERT_EQ(a.num_patches(), b.num_patches());
  for (int p = 0; p < a.num_patches(); ++p) {
    ASSERT_EQ(a.fallback[p], b.fallback[p]) << "patch " << p;
    ASSERT_EQ(a.end(p) - a.begin(p), b.end(p) - b.begin(p)) << "patch " << p;
    for (auto e = a.begin(p), f = b.begin(p); e < a.end(p); ++e, ++f) {
      if (a.atoms[e] != b.atoms[f]) {
        // Only a near-tie of the best scores may differ.
        const float sa = sims[static_cast<std::size_t>(p) * k + a.atoms[e]];
        const float sb = sims[static_cast<std::size_t>(p) * k + b.atoms[f]];
        EXPECT_NEAR(sa, sb, kTieTolerance) << "patch " << p;
      }
      EXPECT_NEAR(a.value(p, e), b.value(p, f), 1e-5f) << "patch " << p;
    }
  }
}

std::vector<float> similarities(const std::vector<float>& x, int n, const smt::Dictionary& d) {
  std::vector<float> s(static_cast<std::size_t>(n) * d.size());
  for (int p = 0; p < n; ++p)
    for (int k = 0; k < d.size(); ++k) {
      double dot = 0;
      for (int j = 0; j < d.dim(); ++j)
        dot += double(x[static_cast<std::size_t>(p) * d.dim() + j]) * d.atom(k)[j];
      s[static_cast<std::size_t>(p) * d.size() + k] = float(dot);
    }
  return s;
}

struct Case {
  int k, dim, n;
  double threshold;
  smt::CodeValues values;
};

class CodingKernel : public ::testing::TestWithParam<Case> {};

TEST_P(CodingKernel, FusedEqualsBlasEqualsReference) {
  const Case c = GetParam();
  std::mt19937 rng(1234 + c.k + c.n);
  smt::Dictionary dict(c.k, c.dim, random_unit_rows(c.k, c.dim, rng));
  std::vector<float> x = random_unit_rows(c.n, c.dim, rng);
  // A zero patch and an exact copy of the last atom exercise fallback and ties.
  std::fill_n(x.begin(), c.dim, 0.0f);
  std::copy_n(dict.atom(c.k - 1), c.dim, x.begin() + c.dim);
  const auto sims = similarities(x, c.n, dict);
  smt::SparseCoder fused(dict, c.threshold, c.values, true),
      blas(dict, c.threshold, c.values, false);
  EXPECT_FALSE(blas.fused());
  smt::PatchCodes a, b;
  smt::SparseCoder::Scratch sa, sb;
  fused.encode(x.data(), c.n, a, sa);
  blas.encode(x.data(), c.n, b, sb);
  const smt::PatchCodes r = smt::encode_reference(dict, c.threshold, c.values, x.data(), c.n);
  expect_same_codes(a, r, sims, c.k);
  expect_same_codes(b, r, sims, c.k);
  // The patch equal to the last atom picks it (padding copies never win).
  EXPECT_EQ(a.atoms[a.begin(1)], c.threshold >= 1 ? c.k - 1 : a.atoms[a.begin(1)]);
  for (int p = 0; p < c.n; ++p) {
    double sum = 0;
    for (auto e = a.begin(p); e < a.end(p); ++e) {
      EXPECT_LT(a.atoms[e], c.k);
      sum += a.value(p, e);
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, CodingKernel,
                         ::testing::Values(Case{700, 36, 53, 1.0, smt::CodeValues::kBinary},
                                           Case{16, 36, 6, 1.0, smt::CodeValues::kBinary},
                                           Case{2049, 36, 40, 1.0, smt::CodeValues::kBinary},
                                           Case{300, 108, 25, 0.2, smt::CodeValues::kBinary},
                                           Case{333, 27, 31, 0.25, smt::CodeValues::kVariable},
                                           Case{2100, 36, 13, 0.3, smt::CodeValues::kBinary},
                                           // Several L2 chunks (528 atoms at 108 dimensions);
                                           // 0.45 leaves most patches without an atom, so the
                                           // argmax-only second pass codes them.
                                           Case{2100, 108, 29, 0.45, smt::CodeValues::kBinary},
                                           Case{1500, 48, 37, 0.35, smt::CodeValues::kVariable},
                                           // t < 0: the zero padding rows pass too and must
                                           // not leak into real patches' codes.
                                           Case{40, 36, 7, -0.05, smt::CodeValues::kBinary}));

}  // namespace
