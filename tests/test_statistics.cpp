// SmtStatistics (pipeline steps 7-8) against the definition in docs/algorithm.md:
// the code matrix A (K x M) and the differential operator D (M x columns) are
// built densely, exactly as step 7 defines them, and
//   V = A A^T / M   (M counts every patch)
//   L = A D D^T A^T
// are compared with what the streaming accumulators produce, for both
// operators, several windows, diagonal and dense V, drop/argmax zero codes,
// sharded merges and thread counts; and the checks add_images makes of the
// codes it is given.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/stages/sparse_coder.h"
#include "smt/stages/statistics.h"

namespace {

std::uint64_t draw(std::mt19937_64& rng, std::uint64_t n) {
  return rng() % n;
}
double unit(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) / 9007199254740992.0;
}

enum class Kind { kOneHot, kBinaryMulti, kVariableMulti };

// Random images on a gh x gw grid. Patch kinds per image are mixed: regular
// coded patches, fallback (zero-code) patches holding one "argmax" atom, and
// whole images made of fallbacks or with a single regular patch. Atoms are
// drawn from [0, used) so that atoms >= used stay unused.
std::vector<smt::PatchCodes> random_images(int n_images, int gh, int gw, int used, Kind kind,
                                           std::uint64_t seed, bool with_specials = true) {
  std::mt19937_64 rng(seed);
  std::vector<smt::PatchCodes> images(n_images);
  const int np = gh * gw;
  for (int im = 0; im < n_images; ++im) {
    smt::PatchCodes& c = images[im];
    c.clear();
    // Image 0: every patch a fallback; image 1: exactly one regular patch;
    // image 2: exactly two regular patches far apart.
    const int special = with_specials ? im : 99;
    int single = static_cast<int>(draw(rng, np));
    for (int p = 0; p < np; ++p) {
      bool fallback = unit(rng) < 0.2;
      if (special == 0) fallback = true;
      if (special == 1) fallback = p != single;
      if (special == 2) fallback = p != 0 && p != np - 1;
      int count = 1;
      if (!fallback && kind != Kind::kOneHot) count = 1 + static_cast<int>(draw(rng, 4));
      std::vector<std::uint16_t> atoms;
      while (static_cast<int>(atoms.size()) < count) {
        const auto a = static_cast<std::uint16_t>(draw(rng, used));
        if (std::find(atoms.begin(), atoms.end(), a) == atoms.end()) atoms.push_back(a);
      }
      std::sort(atoms.begin(), atoms.end());
      if (kind == Kind::kVariableMulti) {
        std::vector<double> w(count);
        double s = 0;
        for (auto& x : w) s += (x = 0.3 + unit(rng));
        for (auto& x : w) c.values.push_back(static_cast<float>(x / s));
      }
      for (auto a : atoms) c.atoms.push_back(a);
      c.offsets.push_back(static_cast<std::uint32_t>(c.atoms.size()));
      c.fallback.push_back(fallback ? 1 : 0);
    }
  }
  return images;
}

struct Dense {
  int rows = 0, cols = 0;
  std::vector<double> a;  // row-major
  Dense(int r, int c) : rows(r), cols(c), a(static_cast<std::size_t>(r) * c, 0.0) {}
  double& at(int r, int c) { return a[static_cast<std::size_t>(r) * cols + c]; }
  double at(int r, int c) const { return a[static_cast<std::size_t>(r) * cols + c]; }
};

struct Reference {
  std::vector<double> v, l;  // K x K
  std::int64_t patches = 0, columns = 0;
};

// A and D exactly as docs/algorithm.md step 7 defines them, then V and L by dense
// products.
Reference reference(const std::vector<smt::PatchCodes>& images, int gh, int gw, int k,
                    const smt::OperatorSpec& spec) {
  const int np = gh * gw;
  const int m = static_cast<int>(images.size()) * np;
  // A: column g = alpha of patch g (global index image * np + p); zero for
  // dropped zero-code patches.
  Dense a(k, m);
  std::vector<char> nonzero(m, 0);
  for (std::size_t im = 0; im < images.size(); ++im) {
    const smt::PatchCodes& c = images[im];
    for (int p = 0; p < np; ++p) {
      const int g = static_cast<int>(im) * np + p;
      if (c.fallback[p] && spec.zero_code == smt::ZeroCode::kDrop) continue;
      if (c.end(p) == c.begin(p)) continue;
      nonzero[g] = 1;
      for (auto e = c.begin(p); e < c.end(p); ++e) a.at(c.atoms[e], g) += c.value(p, e);
    }
  }
  // D columns.
  std::vector<std::vector<double>> cols;
  auto neighbours = [&](int i, int j, int i2, int j2) {
    if (spec.neighborhood < 0) return true;
    return std::abs(i - i2) <= spec.neighborhood && std::abs(j - j2) <= spec.neighborhood;
  };
  for (std::size_t im = 0; im < images.size(); ++im) {
    const int base = static_cast<int>(im) * np;
    for (int p = 0; p < np; ++p) {
      if (!nonzero[base + p]) continue;
      const int i = p / gw, j = p % gw;
      std::vector<int> nb;
      for (int q = 0; q < np; ++q)
        if (q != p && nonzero[base + q] && neighbours(i, j, q / gw, q % gw)) nb.push_back(q);
      if (spec.op == smt::Operator::kSecond) {
        if (nb.empty()) continue;
        std::vector<double> d(m, 0.0);
        d[base + p] = 1.0;
        for (int q : nb) d[base + q] -= 1.0 / static_cast<double>(nb.size());
        cols.push_back(std::move(d));
      } else {
        for (int q : nb) {
          if (q < p) continue;  // unordered pairs once
          std::vector<double> d(m, 0.0);
          d[base + p] = 1.0;
          d[base + q] = -1.0;
          cols.push_back(std::move(d));
        }
      }
    }
  }
  Dense dmat(m, static_cast<int>(cols.size()));
  for (std::size_t c = 0; c < cols.size(); ++c)
    for (int r = 0; r < m; ++r) dmat.at(r, static_cast<int>(c)) = cols[c][r];
  // G = A D (K x columns); L = G G^T; V = A A^T / M.
  Dense g(k, dmat.cols);
  for (int r = 0; r < k; ++r)
    for (int x = 0; x < m; ++x) {
      const double av = a.at(r, x);
      if (av == 0.0) continue;
      for (int c = 0; c < dmat.cols; ++c) g.at(r, c) += av * dmat.at(x, c);
    }
  Reference ref;
  ref.v.assign(static_cast<std::size_t>(k) * k, 0.0);
  ref.l.assign(static_cast<std::size_t>(k) * k, 0.0);
  for (int r = 0; r < k; ++r)
    for (int s = 0; s < k; ++s) {
      double v = 0, l = 0;
      for (int x = 0; x < m; ++x) v += a.at(r, x) * a.at(s, x);
      for (int c = 0; c < g.cols; ++c) l += g.at(r, c) * g.at(s, c);
      ref.v[static_cast<std::size_t>(r) * k + s] = v / m;
      ref.l[static_cast<std::size_t>(r) * k + s] = l;
    }
  ref.patches = m;
  ref.columns = dmat.cols;
  return ref;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, int k,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  ASSERT_GT(scale, 0.0) << what << " is zero: the test case is degenerate";
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-10 * scale)
        << what << "(" << i / k << "," << i % k << "): got " << got[i] << ", want " << want[i];
}

smt::Context quiet(int threads) {
  smt::Context ctx;
  ctx.threads = threads;
  return ctx;
}

std::vector<const smt::PatchCodes*> ptrs(const std::vector<smt::PatchCodes>& v, std::size_t b = 0,
                                         std::size_t e = SIZE_MAX) {
  std::vector<const smt::PatchCodes*> out;
  for (std::size_t i = b; i < std::min(e, v.size()); ++i) out.push_back(&v[i]);
  return out;
}

struct StatCase {
  Kind kind;
  smt::Operator op;
  int neighborhood;
  smt::ZeroCode zero_code;
};

std::string case_name(const StatCase& c) {
  std::string s = c.kind == Kind::kOneHot        ? "onehot"
                  : c.kind == Kind::kBinaryMulti ? "binary"
                                                 : "variable";
  s += c.op == smt::Operator::kSecond ? "_two" : "_one";
  s += c.neighborhood < 0 ? "_whole" : "_w" + std::to_string(c.neighborhood);
  s += c.zero_code == smt::ZeroCode::kDrop ? "_drop" : "_argmax";
  return s;
}

class StatisticsVsDefinition : public testing::TestWithParam<StatCase> {};

constexpr int kK = 12, kGh = 4, kGw = 5, kImages = 7;

TEST_P(StatisticsVsDefinition, VAndLMatchDenseAandD) {
  const StatCase c = GetParam();
  const bool diag = c.kind == Kind::kOneHot;
  // Atoms 10 and 11 stay unused.
  const auto images = random_images(kImages, kGh, kGw, kK - 2, c.kind, 42 + c.neighborhood);
  smt::OperatorSpec spec{c.op, c.neighborhood, c.zero_code};
  const Reference ref = reference(images, kGh, kGw, kK, spec);
  smt::SmtStatistics stats(kK, diag, spec);
  stats.add_images(ptrs(images), kGh, kGw, quiet(1));
  EXPECT_EQ(stats.num_patches(), ref.patches);
  EXPECT_EQ(stats.num_images(), kImages);
  EXPECT_EQ(stats.num_columns(), ref.columns);
  EXPECT_EQ(stats.diagonal_v(), diag);
  expect_close(stats.dense_v(), ref.v, kK, "V");
  expect_close(stats.dense_l(), ref.l, kK, "L");
  if (diag) {
    // One-hot codes: the reference V is diagonal and v_sum holds M V's diagonal.
    ASSERT_EQ(stats.v_sum().size(), static_cast<std::size_t>(kK));
    for (int i = 0; i < kK; ++i)
      EXPECT_NEAR(stats.v_sum()[i], ref.v[i * kK + i] * static_cast<double>(ref.patches), 1e-9);
  }
  // The upper triangle of the raw accumulator is L itself.
  const auto& lu = stats.l_upper();
  for (int i = 0; i < kK; ++i)
    for (int j = i; j < kK; ++j)
      ASSERT_NEAR(lu[i * kK + j], ref.l[i * kK + j], 1e-10 * (1 + std::abs(ref.l[i * kK + j])));
  // Unused atoms: zero rows.
  for (int i = kK - 2; i < kK; ++i)
    for (int j = 0; j < kK; ++j) {
      EXPECT_EQ(stats.dense_v()[i * kK + j], 0.0);
      EXPECT_EQ(stats.dense_l()[i * kK + j], 0.0);
    }

  // The whole-image S S^T term gives the same result through scattered sparse
  // updates and through the BLAS-3 rank update.
  if (c.neighborhood < 0 || c.neighborhood >= std::max(kGh, kGw)) {
    for (auto policy : {smt::OuterProducts::kSparse, smt::OuterProducts::kDense}) {
      smt::SmtStatistics forced(kK, diag, spec);
      forced.set_outer_products(policy);
      forced.add_images(ptrs(images), kGh, kGw, quiet(2));
      const char* what = policy == smt::OuterProducts::kDense ? "dense" : "sparse";
      expect_close(forced.dense_v(), ref.v, kK, std::string("V, S S^T ") + what);
      expect_close(forced.dense_l(), ref.l, kK, std::string("L, S S^T ") + what);
    }
  }

  // Two shards merged equal one pass.
  smt::SmtStatistics a(kK, diag, spec), b(kK, diag, spec);
  a.add_images(ptrs(images, 0, 3), kGh, kGw, quiet(1));
  b.add_images(ptrs(images, 3), kGh, kGw, quiet(2));
  a.merge(b);
  EXPECT_EQ(a.num_patches(), ref.patches);
  EXPECT_EQ(a.num_images(), kImages);
  EXPECT_EQ(a.num_columns(), ref.columns);
  expect_close(a.dense_v(), ref.v, kK, "merged V");
  expect_close(a.dense_l(), ref.l, kK, "merged L");

  // Adding image by image equals one batch.
  smt::SmtStatistics one(kK, diag, spec);
  for (std::size_t i = 0; i < images.size(); ++i)
    one.add_images(ptrs(images, i, i + 1), kGh, kGw, quiet(2));
  expect_close(one.dense_v(), ref.v, kK, "incremental V");
  expect_close(one.dense_l(), ref.l, kK, "incremental L");
}

std::vector<StatCase> all_cases() {
  std::vector<StatCase> v;
  for (Kind kind : {Kind::kOneHot, Kind::kBinaryMulti, Kind::kVariableMulti})
    for (smt::Operator op : {smt::Operator::kSecond, smt::Operator::kFirst})
      // 4: covers the 4-row grid but not the 5 columns (explicit path reaching
      // everything); 5: >= both sides (closed form).
      for (int w : {1, 2, 4, 5, -1})
        for (smt::ZeroCode z : {smt::ZeroCode::kDrop, smt::ZeroCode::kArgmax})
          v.push_back({kind, op, w, z});
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllOperators, StatisticsVsDefinition, testing::ValuesIn(all_cases()),
                         [](const testing::TestParamInfo<StatCase>& pinfo) {
                           return case_name(pinfo.param);
                         });

// The closed form of docs/algorithm.md step 8 for one image, checked independently of
// the column construction: L_image = (n/(n-1))^2 sum a a^T - n/(n-1)^2 S S^T.
TEST(Statistics, WholeImageClosedForm) {
  const auto images = random_images(1, 3, 3, 8, Kind::kVariableMulti, 5, false);
  smt::OperatorSpec spec{smt::Operator::kSecond, -1, smt::ZeroCode::kArgmax};
  smt::SmtStatistics stats(8, false, spec);
  stats.add_images(ptrs(images), 3, 3, quiet(1));
  const smt::PatchCodes& c = images[0];
  const double n = 9;
  std::vector<double> sum_aa(64, 0.0), s(8, 0.0);
  for (int p = 0; p < 9; ++p) {
    std::vector<double> alpha(8, 0.0);
    for (auto e = c.begin(p); e < c.end(p); ++e) alpha[c.atoms[e]] += c.value(p, e);
    for (int i = 0; i < 8; ++i) {
      s[i] += alpha[i];
      for (int j = 0; j < 8; ++j) sum_aa[i * 8 + j] += alpha[i] * alpha[j];
    }
  }
  std::vector<double> want(64);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j)
      want[i * 8 + j] =
          (n / (n - 1)) * (n / (n - 1)) * sum_aa[i * 8 + j] - n / ((n - 1) * (n - 1)) * s[i] * s[j];
  expect_close(stats.dense_l(), want, 8, "closed-form L");
  EXPECT_EQ(stats.num_columns(), 9);
}

// A joint context of several views (view-context joint) is their codes
// appended into one image: the whole-image closed form over it equals the
// explicit A D D^T A^T with D's second-derivative columns running over the
// union of the views' patches.
TEST(Statistics, JointContextIsTheUnionOfTheViewsPatches) {
  for (Kind kind : {Kind::kBinaryMulti, Kind::kVariableMulti}) {
    const auto views = random_images(6, kGh, kGw, kK, kind, 91);
    std::vector<smt::PatchCodes> joined(3);
    for (int g = 0; g < 3; ++g) {
      smt::append_codes(joined[g], views[2 * g]);
      smt::append_codes(joined[g], views[2 * g + 1]);
      ASSERT_EQ(joined[g].num_patches(), 2 * kGh * kGw);
      for (int p = 0; p < 2 * kGh * kGw; ++p) {
        const smt::PatchCodes& v = views[2 * g + p / (kGh * kGw)];
        const int q = p % (kGh * kGw);
        ASSERT_EQ(joined[g].end(p) - joined[g].begin(p), v.end(q) - v.begin(q));
        ASSERT_EQ(joined[g].fallback[p], v.fallback[q]);
        for (auto e = v.begin(q); e < v.end(q); ++e) {
          ASSERT_EQ(joined[g].atoms[joined[g].begin(p) + (e - v.begin(q))], v.atoms[e]);
          ASSERT_EQ(joined[g].value(p, joined[g].begin(p) + (e - v.begin(q))), v.value(q, e));
        }
      }
    }
    for (auto zero : {smt::ZeroCode::kDrop, smt::ZeroCode::kArgmax}) {
      smt::OperatorSpec spec{smt::Operator::kSecond, -1, zero};
      const Reference ref = reference(joined, 2 * kGh, kGw, kK, spec);
      smt::SmtStatistics stats(kK, false, spec);
      stats.add_images(ptrs(joined), 2 * kGh, kGw, quiet(2));
      EXPECT_EQ(stats.num_images(), 3);
      EXPECT_EQ(stats.num_columns(), ref.columns);
      expect_close(stats.dense_v(), ref.v, kK, "V");
      expect_close(stats.dense_l(), ref.l, kK, "L");
      // Not the same as the views as separate images.
      smt::SmtStatistics separate(kK, false, spec);
      separate.add_images(ptrs(views), kGh, kGw, quiet(2));
      EXPECT_NE(separate.dense_l(), stats.dense_l());
    }
  }
}

// Images with fewer than two included patches add to M and V but not to L.
TEST(Statistics, DegenerateImagesAddNothingToL) {
  auto images = random_images(3, kGh, kGw, kK, Kind::kBinaryMulti, 77);
  // images[0]: all fallback; images[1]: one regular patch.
  std::vector<smt::PatchCodes> few(images.begin(), images.begin() + 2);
  for (int w : {1, -1}) {
    for (auto op : {smt::Operator::kSecond, smt::Operator::kFirst}) {
      smt::OperatorSpec spec{op, w, smt::ZeroCode::kDrop};
      smt::SmtStatistics stats(kK, false, spec);
      stats.add_images(ptrs(few), kGh, kGw, quiet(1));
      EXPECT_EQ(stats.num_patches(), 2 * kGh * kGw);
      EXPECT_EQ(stats.num_columns(), 0);
      for (double x : stats.dense_l()) EXPECT_EQ(x, 0.0);
      double tr = 0;
      const auto v = stats.dense_v();
      for (int i = 0; i < kK; ++i) tr += v[i * kK + i];
      // One included patch whose code has k atoms of weight 1/k: trace 1/k.
      EXPECT_GT(tr, 0.0);
      EXPECT_LE(tr, 1.0 / (2 * kGh * kGw) + 1e-15);
    }
  }
}

// Larger case (K spans several 64-row blocks; one-hot, binary and real
// valued codes, so every scatter path): the accumulators are bit-identical
// for 1, 2 and 3 threads, and still match the definition.
TEST(Statistics, ThreadCountDoesNotChangeBits) {
  const int k = 200, gh = 4, gw = 5;
  for (Kind kind : {Kind::kOneHot, Kind::kBinaryMulti, Kind::kVariableMulti}) {
    const bool diag = kind == Kind::kOneHot;
    const auto images = random_images(40, gh, gw, k, kind, 1234);
    for (int w : {1, -1}) {
      for (auto op : {smt::Operator::kSecond, smt::Operator::kFirst}) {
        SCOPED_TRACE(testing::Message() << "kind " << static_cast<int>(kind) << " w " << w << " op "
                                        << smt::to_string(op));
        smt::OperatorSpec spec{op, w, smt::ZeroCode::kDrop};
        smt::SmtStatistics s1(k, diag, spec), s2(k, diag, spec), s3(k, diag, spec);
        s1.add_images(ptrs(images), gh, gw, quiet(1));
        s2.add_images(ptrs(images), gh, gw, quiet(2));
        s3.add_images(ptrs(images), gh, gw, quiet(3));
        EXPECT_EQ(s1.v_sum(), s2.v_sum());
        EXPECT_EQ(s1.l_upper(), s2.l_upper());
        EXPECT_EQ(s1.v_sum(), s3.v_sum());
        EXPECT_EQ(s1.l_upper(), s3.l_upper());
        EXPECT_EQ(s1.num_columns(), s2.num_columns());
        const Reference ref = reference(images, gh, gw, k, spec);
        expect_close(s2.dense_v(), ref.v, k, "V");
        expect_close(s2.dense_l(), ref.l, k, "L");
      }
    }
  }
}

TEST(Statistics, RejectsMismatchedShapes) {
  const auto images = random_images(2, kGh, kGw, kK, Kind::kOneHot, 3);
  smt::OperatorSpec spec{smt::Operator::kSecond, 1, smt::ZeroCode::kDrop};
  smt::SmtStatistics stats(kK, true, spec);
  EXPECT_THROW(stats.add_images(ptrs(images), kGh + 1, kGw, quiet(1)), smt::Error);
  smt::SmtStatistics other_op(kK, true, {smt::Operator::kFirst, 1, smt::ZeroCode::kDrop});
  EXPECT_THROW(stats.merge(other_op), smt::Error);
  smt::SmtStatistics other_k(kK + 1, true, spec);
  EXPECT_THROW(stats.merge(other_k), smt::Error);
  smt::SmtStatistics other_w(kK, true, {smt::Operator::kSecond, 2, smt::ZeroCode::kDrop});
  EXPECT_THROW(stats.merge(other_w), smt::Error);
}

// More images than one chunk of add_images (128): the chunks together equal
// the same images added as shards that each fit one chunk, and the bits still
// do not depend on the thread count.
TEST(Statistics, ChunksEqualShards) {
  const int k = 150, gh = 3, gw = 4;
  for (Kind kind : {Kind::kBinaryMulti, Kind::kVariableMulti}) {
    const auto images = random_images(300, gh, gw, k, kind, 99);
    for (int w : {1, -1}) {
      SCOPED_TRACE(testing::Message() << "kind " << static_cast<int>(kind) << " w " << w);
      smt::OperatorSpec spec{smt::Operator::kSecond, w, smt::ZeroCode::kDrop};
      smt::SmtStatistics all1(k, false, spec), all3(k, false, spec), shards(k, false, spec);
      all1.add_images(ptrs(images), gh, gw, quiet(1));
      all3.add_images(ptrs(images), gh, gw, quiet(3));
      EXPECT_EQ(all1.v_sum(), all3.v_sum());
      EXPECT_EQ(all1.l_upper(), all3.l_upper());
      for (std::size_t b = 0; b < images.size(); b += 100) {
        smt::SmtStatistics part(k, false, spec);
        part.add_images(ptrs(images, b, b + 100), gh, gw, quiet(2));
        shards.merge(part);
      }
      EXPECT_EQ(all1.num_images(), 300);
      EXPECT_EQ(all1.num_patches(), shards.num_patches());
      EXPECT_EQ(all1.num_columns(), shards.num_columns());
      expect_close(all1.dense_v(), shards.dense_v(), k, "V");
      expect_close(all1.dense_l(), shards.dense_l(), k, "L");
    }
  }
}

// Binary codes whose atoms are not listed in ascending order: the Gram path
// sorts each patch's atoms for its upper-triangle walk, and the result is
// still the definition.
TEST(Statistics, UnsortedBinaryAtomsMatchDefinition) {
  auto images = random_images(kImages, kGh, kGw, kK, Kind::kBinaryMulti, 8);
  int reversed = 0;
  for (auto& c : images)
    for (int p = 0; p < c.num_patches(); ++p) {
      std::reverse(c.atoms.begin() + c.begin(p), c.atoms.begin() + c.end(p));
      reversed += c.end(p) - c.begin(p) > 1;
    }
  ASSERT_GT(reversed, 10);
  for (int w : {1, -1}) {
    smt::OperatorSpec spec{smt::Operator::kFirst, w, smt::ZeroCode::kArgmax};
    const Reference ref = reference(images, kGh, kGw, kK, spec);
    smt::SmtStatistics stats(kK, false, spec);
    stats.add_images(ptrs(images), kGh, kGw, quiet(2));
    expect_close(stats.dense_v(), ref.v, kK, "V");
    expect_close(stats.dense_l(), ref.l, kK, "L");
  }
}

// add_images checks every image's codes before it adds anything: a fault in
// image `bad` (placed after a whole chunk of good images) throws an error
// that names the image, and leaves the statistics untouched.
void expect_rejected(std::vector<smt::PatchCodes> images, std::size_t bad, bool diag,
                     const std::string& what) {
  SCOPED_TRACE(what);
  std::vector<const smt::PatchCodes*> p = ptrs(images);
  smt::SmtStatistics stats(kK, diag, {smt::Operator::kSecond, 1, smt::ZeroCode::kDrop});
  try {
    stats.add_images(p, kGh, kGw, quiet(2));
    ADD_FAILURE() << "no error";
  } catch (const smt::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("image " + std::to_string(bad)), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
  EXPECT_EQ(stats.num_images(), 0);
  EXPECT_EQ(stats.num_patches(), 0);
  for (double x : stats.v_sum()) ASSERT_EQ(x, 0.0);
  for (double x : stats.l_upper()) ASSERT_EQ(x, 0.0);
}

TEST(Statistics, RejectsMalformedCodes) {
  const std::size_t bad = 140;
  // Atoms drawn below K - 1: atom K - 1 is free for the boundary case.
  const auto binary = random_images(150, kGh, kGw, kK - 1, Kind::kBinaryMulti, 21, false);
  const auto variable = random_images(150, kGh, kGw, kK - 1, Kind::kVariableMulti, 22, false);
  const auto onehot = random_images(150, kGh, kGw, kK - 1, Kind::kOneHot, 23, false);
  // The unmodified images are accepted, including atom K - 1.
  for (const auto* images : {&binary, &variable, &onehot}) {
    auto top = *images;
    top[bad].atoms.back() = kK - 1;  // the last patch's last atom: still distinct
    smt::SmtStatistics ok(kK, images == &onehot, {smt::Operator::kSecond, 1, smt::ZeroCode::kDrop});
    EXPECT_NO_THROW(ok.add_images(ptrs(top), kGh, kGw, quiet(2)));
    EXPECT_EQ(ok.num_images(), 150);
  }
  // A patch with at least two atoms in image `bad`.
  int multi = 0;
  while (binary[bad].end(multi) - binary[bad].begin(multi) < 2) ++multi;
  const auto e0 = binary[bad].begin(multi);

  auto images = binary;
  images[bad].atoms[e0] = kK;
  expect_rejected(images, bad, false, "atom 12 outside the dictionary of 12");
  images = onehot;
  images[bad].atoms[3] = 60000;
  expect_rejected(images, bad, true, "atom 60000 outside the dictionary");

  images = binary;  // one patch too few for the grid
  images[bad].offsets.pop_back();
  images[bad].fallback.pop_back();
  images[bad].atoms.resize(images[bad].offsets.back());
  expect_rejected(images, bad, false, "has 19 coded patches, expected 20");
  images = binary;  // one patch too many
  images[bad].offsets.push_back(images[bad].offsets.back());
  images[bad].fallback.push_back(0);
  expect_rejected(images, bad, false, "has 21 coded patches, expected 20");

  images = binary;  // patch 5 (every patch has an atom) ends before it begins
  std::swap(images[bad].offsets[5], images[bad].offsets[6]);
  expect_rejected(images, bad, false, "offsets decrease at patch 5");
  images = binary;
  images[bad].offsets.front() = 1;
  expect_rejected(images, bad, false, "offsets must start with 0");
  images = binary;
  images[bad].atoms.push_back(0);
  expect_rejected(images, bad, false, "atoms are listed");

  images = variable;
  images[bad].values.pop_back();
  expect_rejected(images, bad, false, "values for");

  images = binary;
  images[bad].fallback.pop_back();
  expect_rejected(images, bad, false, "fallback flags for 20 patches");

  images = binary;
  images[bad].atoms[e0 + 1] = images[bad].atoms[e0];
  expect_rejected(images, bad, false, "twice");

  images = onehot;  // a second atom in patch 2, but V kept diagonal
  {
    smt::PatchCodes& c = images[bad];
    const std::uint16_t other = c.atoms[c.begin(2)] == 0 ? 1 : 0;
    c.atoms.insert(c.atoms.begin() + c.end(2), other);
    for (std::size_t q = 3; q < c.offsets.size(); ++q) ++c.offsets[q];
  }
  expect_rejected(images, bad, true, "patch 2 has 2 atoms");
  // The same codes are fine for dense V.
  smt::SmtStatistics dense_v(kK, false, {smt::Operator::kSecond, 1, smt::ZeroCode::kDrop});
  EXPECT_NO_THROW(dense_v.add_images(ptrs(images), kGh, kGw, quiet(2)));

  smt::SmtStatistics stats(kK, false, {smt::Operator::kSecond, 1, smt::ZeroCode::kDrop});
  std::vector<const smt::PatchCodes*> with_null = ptrs(binary);
  with_null[bad] = nullptr;
  EXPECT_THROW(stats.add_images(with_null, kGh, kGw, quiet(1)), smt::Error);
  EXPECT_EQ(stats.num_images(), 0);
}

}  // namespace
