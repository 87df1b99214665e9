// The fused AVX2 coding kernel and the portable BLAS path against the plain
// reference and against codes derived here from double-precision similarities:
// same atoms, same values, same fallbacks. Without AVX2+FMA the fused kernel
// does not exist (SparseCoder falls back to the BLAS path) and its tests skip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/coding_kernel.h"
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

// The codes docs/algorithm.md step 6 defines, checked from the test's own
// double-precision similarities (independent of both coder paths and of
// encode_reference): vector quantisation keeps the argmax atom; threshold
// coding keeps, in ascending order, every atom whose cosine reaches t, or the
// argmax flagged as a fallback when none does; binary values are 1/count,
// variable ones the cosines divided by their sum. Scores within
// kTieTolerance of the threshold or of the best score may go either way.
void expect_codes_from_similarities(const smt::PatchCodes& c, const std::vector<float>& sims, int k,
                                    double threshold, smt::CodeValues values) {
  const bool vq = threshold >= 1.0;
  const float t = static_cast<float>(threshold);
  for (int p = 0; p < c.num_patches(); ++p) {
    const float* s = sims.data() + static_cast<std::size_t>(p) * k;
    const float best = *std::max_element(s, s + k);
    const auto count = static_cast<int>(c.end(p) - c.begin(p));
    ASSERT_GE(count, 1) << "patch " << p;
    for (auto e = c.begin(p); e + 1 < c.end(p); ++e)
      ASSERT_LT(c.atoms[e], c.atoms[e + 1]) << "patch " << p << ": atoms not ascending";
    if (vq || c.fallback[p]) {
      ASSERT_EQ(count, 1) << "patch " << p;
      EXPECT_GE(s[c.atoms[c.begin(p)]], best - kTieTolerance)
          << "patch " << p << ": not the argmax";
      EXPECT_FLOAT_EQ(c.value(p, c.begin(p)), 1.0f) << "patch " << p;
      if (!vq) {
        EXPECT_LT(best, t + kTieTolerance) << "patch " << p << ": fallback with an atom over t";
      }
      continue;
    }
    // Threshold coding with atoms over t.
    std::vector<bool> in_code(k, false);
    double sum = 0;
    for (auto e = c.begin(p); e < c.end(p); ++e) {
      in_code[c.atoms[e]] = true;
      sum += s[c.atoms[e]];
      EXPECT_GE(s[c.atoms[e]], t - kTieTolerance) << "patch " << p << ", atom " << c.atoms[e];
    }
    for (int a = 0; a < k; ++a) {
      if (s[a] >= t + kTieTolerance) {
        EXPECT_TRUE(in_code[a]) << "patch " << p << " misses atom " << a << " (cosine " << s[a]
                                << ")";
      }
    }
    for (auto e = c.begin(p); e < c.end(p); ++e) {
      const double expected =
          values == smt::CodeValues::kBinary || sum <= 0 ? 1.0 / count : s[c.atoms[e]] / sum;
      EXPECT_NEAR(c.value(p, e), expected, 1e-4) << "patch " << p << ", atom " << c.atoms[e];
    }
  }
}

struct Case {
  int k, dim, n;
  double threshold;
  smt::CodeValues values;
};

class CodingKernel : public ::testing::TestWithParam<Case> {
 protected:
  // Random unit atoms and patches; patch 0 is zero (a fallback everywhere) and
  // patch 1 an exact copy of the last atom (ties with the padding copies of
  // atom 0 must not win).
  void SetUp() override {
    const Case c = GetParam();
    std::mt19937 rng(1234 + c.k + c.n);
    dict_ = smt::Dictionary(c.k, c.dim, random_unit_rows(c.k, c.dim, rng));
    x_ = random_unit_rows(c.n, c.dim, rng);
    std::fill_n(x_.begin(), c.dim, 0.0f);
    std::copy_n(dict_.atom(c.k - 1), c.dim, x_.begin() + c.dim);
    sims_ = similarities(x_, c.n, dict_);
  }

  // Codes of one coder path, checked against encode_reference and against
  // the similarities.
  void check(bool allow_fused) {
    const Case c = GetParam();
    const smt::SparseCoder coder(dict_, c.threshold, c.values, allow_fused);
    EXPECT_EQ(coder.fused(), allow_fused) << "the coder did not take the path under test";
    smt::PatchCodes a;
    smt::SparseCoder::Scratch scratch;
    coder.encode(x_.data(), c.n, a, scratch);
    ASSERT_EQ(a.num_patches(), c.n);
    ASSERT_EQ(a.fallback.size(), static_cast<std::size_t>(c.n));
    const smt::PatchCodes r = smt::encode_reference(dict_, c.threshold, c.values, x_.data(), c.n);
    expect_same_codes(a, r, sims_, c.k);
    expect_codes_from_similarities(a, sims_, c.k, c.threshold, c.values);
    // The patch equal to the last atom has cosine 1 with it: under vector
    // quantisation it is that atom alone, under threshold coding (t < 1) that
    // atom is among the active ones.
    const auto first = a.atoms.begin() + a.begin(1), last = a.atoms.begin() + a.end(1);
    if (c.threshold >= 1) {
      ASSERT_EQ(last - first, 1);
      EXPECT_EQ(*first, c.k - 1);
    } else {
      EXPECT_EQ(a.fallback[1], 0);
      EXPECT_NE(std::find(first, last, static_cast<std::uint16_t>(c.k - 1)), last);
    }
    for (int p = 0; p < c.n; ++p) {
      double sum = 0;
      for (auto e = a.begin(p); e < a.end(p); ++e) {
        EXPECT_LT(a.atoms[e], c.k);
        sum += a.value(p, e);
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }

  smt::Dictionary dict_;
  std::vector<float> x_, sims_;
};

TEST_P(CodingKernel, FusedMatchesReference) {
  if (!smt::kernel::fused_available())
    GTEST_SKIP() << "no AVX2+FMA on this CPU: the fused kernel is not used";
  check(true);
}

TEST_P(CodingKernel, BlasMatchesReference) {
  check(false);
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
