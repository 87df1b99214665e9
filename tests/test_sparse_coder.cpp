// Property tests of the blocked SparseCoder (docs/algorithm.md step 6) against
// encode_reference and against a direct double-precision definition:
// identical atoms, values and fallback flags for vector quantisation, binary
// and variable thresholded codes, with K not a multiple of the 256-atom tile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "smt/core/error.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/sparse_coder.h"

namespace {

double gauss(std::mt19937_64& rng) {  // Box-Muller on raw bits: portable
  const double u1 = (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0;
  const double u2 = static_cast<double>(rng() >> 11) / 9007199254740992.0;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

std::vector<float> random_unit_rows(int n, int dim, std::mt19937_64& rng) {
  std::vector<float> x(static_cast<std::size_t>(n) * dim);
  for (int r = 0; r < n; ++r) {
    std::vector<double> v(dim);
    double ss = 0;
    for (auto& a : v) {
      a = gauss(rng);
      ss += a * a;
    }
    for (int d = 0; d < dim; ++d)
      x[static_cast<std::size_t>(r) * dim + d] = static_cast<float>(v[d] / std::sqrt(ss));
  }
  return x;
}

std::vector<double> sims_of(const smt::Dictionary& dict, const float* x) {
  std::vector<double> s(dict.size());
  for (int k = 0; k < dict.size(); ++k) {
    double dot = 0;
    for (int d = 0; d < dict.dim(); ++d) dot += static_cast<double>(x[d]) * dict.atom(k)[d];
    s[k] = dot;
  }
  return s;
}

// Random unit patches whose similarities keep a margin from the threshold and
// whose argmax is unambiguous, so float rounding in the GEMM cannot flip a
// decision (the comparison must be exact, not lucky).
std::vector<float> well_separated_patches(const smt::Dictionary& dict, int n,
                                          const std::vector<double>& thresholds,
                                          std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> out;
  int kept = 0;
  while (kept < n) {
    auto x = random_unit_rows(1, dict.dim(), rng);
    const auto s = sims_of(dict, x.data());
    bool ok = true;
    for (double t : thresholds)
      for (double v : s) ok = ok && std::abs(v - t) > 1e-4;
    std::vector<double> sorted = s;
    std::sort(sorted.rbegin(), sorted.rend());
    ok = ok && sorted[0] - sorted[1] > 1e-4;
    if (!ok) continue;
    out.insert(out.end(), x.begin(), x.end());
    ++kept;
  }
  return out;
}

smt::Dictionary random_dictionary(int k, int dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return smt::Dictionary(k, dim, random_unit_rows(k, dim, rng));
}

void expect_same_codes(const smt::PatchCodes& a, const smt::PatchCodes& b) {
  ASSERT_EQ(a.num_patches(), b.num_patches());
  ASSERT_EQ(a.offsets, b.offsets);
  ASSERT_EQ(a.atoms, b.atoms);
  ASSERT_EQ(a.fallback, b.fallback);
  ASSERT_EQ(a.values.size(), b.values.size());
  for (std::size_t e = 0; e < a.values.size(); ++e) EXPECT_NEAR(a.values[e], b.values[e], 1e-6);
}

// The codes from the definition: atoms with s >= t in ascending order (the
// argmax alone when none, or always under vector quantisation).
void expect_matches_definition(const smt::Dictionary& dict, double t, smt::CodeValues values,
                               const std::vector<float>& x, const smt::PatchCodes& codes) {
  const int n = static_cast<int>(x.size() / dict.dim());
  ASSERT_EQ(codes.num_patches(), n);
  ASSERT_EQ(codes.fallback.size(), static_cast<std::size_t>(n));
  const bool vq = t >= 1.0;
  int fallbacks = 0;
  for (int p = 0; p < n; ++p) {
    const auto s = sims_of(dict, x.data() + static_cast<std::size_t>(p) * dict.dim());
    const int argmax = static_cast<int>(std::max_element(s.begin(), s.end()) - s.begin());
    std::vector<int> want;
    if (!vq) {
      for (int k = 0; k < dict.size(); ++k) {
        if (s[k] >= t) want.push_back(k);
      }
    }
    const bool fallback = want.empty();
    if (fallback) want.push_back(argmax);
    std::vector<int> got(codes.atoms.begin() + codes.begin(p), codes.atoms.begin() + codes.end(p));
    ASSERT_EQ(got, want) << "patch " << p;
    EXPECT_EQ(codes.fallback[p], (fallback && !vq) ? 1 : 0) << "patch " << p;
    fallbacks += codes.fallback[p];
    double sum = 0;
    for (auto e = codes.begin(p); e < codes.end(p); ++e) sum += codes.value(p, e);
    EXPECT_NEAR(sum, 1.0, 1e-6) << "patch " << p;
    if (values == smt::CodeValues::kVariable && !fallback && !vq) {
      double tot = 0;
      for (int k : want) tot += s[k];
      for (auto e = codes.begin(p); e < codes.end(p); ++e)
        EXPECT_NEAR(codes.value(p, e), s[codes.atoms[e]] / tot, 1e-6);
    }
    if (values == smt::CodeValues::kBinary) {
      EXPECT_TRUE(codes.values.empty());
    }
  }
  if (vq) {
    EXPECT_EQ(fallbacks, 0);
  }
}

struct CoderCase {
  int k;
  int dim;
  double threshold;
  smt::CodeValues values;
};

class CoderVsReference : public testing::TestWithParam<CoderCase> {};

TEST_P(CoderVsReference, BlockedEqualsReferenceAndDefinition) {
  const CoderCase c = GetParam();
  const smt::Dictionary dict = random_dictionary(c.k, c.dim, 100 + c.k);
  const int n = 150;
  const auto x = well_separated_patches(dict, n, {c.threshold}, 7 + c.k);
  const smt::PatchCodes ref = smt::encode_reference(dict, c.threshold, c.values, x.data(), n);
  smt::SparseCoder coder(dict, c.threshold, c.values);
  EXPECT_EQ(coder.vector_quantization(), c.threshold >= 1.0);
  smt::SparseCoder::Scratch scratch;
  smt::PatchCodes blocked;
  coder.encode(x.data(), n, blocked, scratch);
  expect_same_codes(blocked, ref);
  expect_matches_definition(dict, c.threshold, c.values, x, ref);
  expect_matches_definition(dict, c.threshold, c.values, x, blocked);

  // Appending in uneven pieces with a reused scratch gives the same codes.
  smt::PatchCodes pieces;
  int done = 0;
  for (int len : {1, 37, 2, 110}) {
    coder.encode(x.data() + static_cast<std::size_t>(done) * c.dim, len, pieces, scratch);
    done += len;
  }
  ASSERT_EQ(done, n);
  expect_same_codes(pieces, blocked);
}

INSTANTIATE_TEST_SUITE_P(Codes, CoderVsReference,
                         testing::Values(CoderCase{700, 36, 1.0, smt::CodeValues::kBinary},
                                         CoderCase{700, 36, 1.5, smt::CodeValues::kVariable},
                                         CoderCase{700, 36, 0.3, smt::CodeValues::kBinary},
                                         CoderCase{700, 36, 0.3, smt::CodeValues::kVariable},
                                         // Mostly fallback patches.
                                         CoderCase{700, 36, 0.55, smt::CodeValues::kBinary},
                                         CoderCase{700, 36, 0.55, smt::CodeValues::kVariable},
                                         CoderCase{300, 16, 0.4, smt::CodeValues::kVariable},
                                         CoderCase{257, 16, 0.4, smt::CodeValues::kBinary},
                                         CoderCase{256, 16, 1.0, smt::CodeValues::kBinary},
                                         CoderCase{100, 16, 0.35, smt::CodeValues::kBinary}),
                         [](const testing::TestParamInfo<CoderCase>& pinfo) {
                           const CoderCase& c = pinfo.param;
                           // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on "lit" +
                           // string.
                           std::string name = "K";
                           name += std::to_string(c.k);
                           name += "_d";
                           name += std::to_string(c.dim);
                           name += "_t";
                           name += std::to_string(static_cast<int>(c.threshold * 100));
                           name += c.values == smt::CodeValues::kBinary ? "_binary" : "_variable";
                           return name;
                         });

// The fallback cases above must really contain fallback and non-fallback
// patches, or the comparisons prove little.
TEST(SparseCoder, TestDataCoversFallbackAndMultiAtomPatches) {
  const smt::Dictionary dict = random_dictionary(700, 36, 800);
  const auto x = well_separated_patches(dict, 150, {0.55}, 707);
  const smt::PatchCodes ref =
      smt::encode_reference(dict, 0.55, smt::CodeValues::kBinary, x.data(), 150);
  int fb = 0, multi = 0;
  for (int p = 0; p < 150; ++p) {
    fb += ref.fallback[p];
    multi += ref.end(p) - ref.begin(p) > 1;
  }
  EXPECT_GT(fb, 10);
  EXPECT_LT(fb, 140);
  const smt::PatchCodes dense =
      smt::encode_reference(dict, 0.3, smt::CodeValues::kBinary, x.data(), 150);
  for (int p = 0; p < 150; ++p) multi += dense.end(p) - dense.begin(p) > 1;
  EXPECT_GT(multi, 100);
}

// Ties between atoms resolve to the lower index in both coders.
TEST(SparseCoder, ArgmaxTieKeepsLowestAtom) {
  const int dim = 8, k = 600;
  std::mt19937_64 rng(5);
  auto atoms = random_unit_rows(k, dim, rng);
  // Atoms 3, 290 and 550 are identical (across tiles).
  for (int dup : {290, 550})
    std::copy_n(atoms.begin() + 3 * dim, dim,
                atoms.begin() + static_cast<std::ptrdiff_t>(dup) * dim);
  const smt::Dictionary dict(k, dim, atoms);
  std::vector<float> x(atoms.begin() + 3 * dim, atoms.begin() + 4 * dim);  // cos 1 with all three
  smt::SparseCoder coder(dict, 1.0, smt::CodeValues::kBinary);
  smt::SparseCoder::Scratch s;
  smt::PatchCodes out;
  coder.encode(x.data(), 1, out, s);
  ASSERT_EQ(out.num_patches(), 1);
  ASSERT_EQ(out.end(0) - out.begin(0), 1u);
  EXPECT_EQ(out.atoms[0], 3);
  const auto ref = smt::encode_reference(dict, 1.0, smt::CodeValues::kBinary, x.data(), 1);
  EXPECT_EQ(ref.atoms, out.atoms);
}

// A zero patch (flat region after whitening) gets a fallback code and no NaN.
TEST(SparseCoder, ZeroPatchFallsBack) {
  const smt::Dictionary dict = random_dictionary(300, 16, 9);
  std::vector<float> x(16, 0.0f);
  for (auto values : {smt::CodeValues::kBinary, smt::CodeValues::kVariable}) {
    smt::SparseCoder coder(dict, 0.3, values);
    smt::SparseCoder::Scratch s;
    smt::PatchCodes out;
    coder.encode(x.data(), 1, out, s);
    ASSERT_EQ(out.num_patches(), 1);
    EXPECT_EQ(out.fallback[0], 1);
    ASSERT_EQ(out.end(0) - out.begin(0), 1u);
    EXPECT_TRUE(std::isfinite(out.value(0, 0)));
    EXPECT_NEAR(out.value(0, 0), 1.0f, 1e-6);
    const auto ref = smt::encode_reference(dict, 0.3, values, x.data(), 1);
    expect_same_codes(out, ref);
  }
}

}  // namespace
