// SmtStatistics::add_sequences against the definition: the code matrix A
// (K x all steps) and the temporal operator D are built densely from the 1-D
// definitions (second derivative: e_t - mean of the included steps within
// the window; first derivative: e_t - e_s per pair within the window), never
// across sequences, and V = A A^T / M, L = A D D^T A^T compared with the
// streamed accumulators.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/stages/sparse_coder.h"
#include "smt/stages/statistics.h"

namespace {

constexpr int kK = 9;

smt::Context quiet(int threads) {
  smt::Context ctx;
  ctx.threads = threads;
  return ctx;
}

// A sequence of `length` steps with 1-3 atoms of real weights summing to 1;
// about one step in five is a fallback when with_fallback (else no flags at
// all, as a time-series user would pass them). Atom kK - 1 stays unused.
smt::PatchCodes random_sequence(int length, std::mt19937_64& rng, bool with_fallback,
                                bool one_hot = false) {
  smt::PatchCodes c;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int t = 0; t < length; ++t) {
    const int count = one_hot ? 1 : 1 + static_cast<int>(rng() % 3);
    std::vector<std::uint16_t> atoms;
    while (static_cast<int>(atoms.size()) < count) {
      const auto a = static_cast<std::uint16_t>(rng() % (kK - 1));
      if (std::find(atoms.begin(), atoms.end(), a) == atoms.end()) atoms.push_back(a);
    }
    std::vector<double> w(count);
    double s = 0;
    for (double& x : w) s += (x = 0.2 + u(rng));
    for (int i = 0; i < count; ++i) {
      c.atoms.push_back(atoms[i]);
      if (!one_hot) c.values.push_back(static_cast<float>(w[i] / s));
    }
    c.offsets.push_back(static_cast<std::uint32_t>(c.atoms.size()));
    if (with_fallback) c.fallback.push_back(u(rng) < 0.2 ? 1 : 0);
  }
  return c;
}

struct Reference {
  std::vector<double> v, l;
  std::int64_t patches = 0, columns = 0;
};

Reference reference(const std::vector<smt::PatchCodes>& seqs, const smt::OperatorSpec& spec) {
  int m = 0;
  for (const auto& s : seqs) m += s.num_patches();
  // A: K x M, column per step; zero for dropped fallback steps.
  std::vector<std::vector<double>> a(kK, std::vector<double>(m, 0.0));
  std::vector<char> on(m, 0);
  std::vector<std::pair<int, int>> range;  // [begin, end) of each sequence in M
  int g = 0;
  for (const auto& s : seqs) {
    range.emplace_back(g, g + s.num_patches());
    for (int t = 0; t < s.num_patches(); ++t, ++g) {
      const bool fallback = !s.fallback.empty() && s.fallback[t];
      if (fallback && spec.zero_code == smt::ZeroCode::kDrop) continue;
      on[g] = s.end(t) > s.begin(t);
      for (auto e = s.begin(t); e < s.end(t); ++e) a[s.atoms[e]][g] += s.value(t, e);
    }
  }
  // D: columns over M, within each sequence only.
  std::vector<std::vector<double>> cols;
  for (const auto& [b, e] : range) {
    for (int t = b; t < e; ++t) {
      if (!on[t]) continue;
      std::vector<int> nb;
      for (int s = b; s < e; ++s)
        if (s != t && on[s] && (spec.neighborhood < 0 || std::abs(s - t) <= spec.neighborhood))
          nb.push_back(s);
      if (spec.op == smt::Operator::kSecond) {
        if (nb.empty()) continue;
        std::vector<double> d(m, 0.0);
        d[t] = 1.0;
        for (int s : nb) d[s] -= 1.0 / static_cast<double>(nb.size());
        cols.push_back(d);
      } else {
        for (int s : nb) {
          if (s < t) continue;
          std::vector<double> d(m, 0.0);
          d[t] = 1.0;
          d[s] = -1.0;
          cols.push_back(d);
        }
      }
    }
  }
  Reference ref;
  ref.patches = m;
  ref.columns = static_cast<std::int64_t>(cols.size());
  ref.v.assign(kK * kK, 0.0);
  ref.l.assign(kK * kK, 0.0);
  std::vector<std::vector<double>> ad(kK, std::vector<double>(cols.size(), 0.0));
  for (int i = 0; i < kK; ++i)
    for (std::size_t c = 0; c < cols.size(); ++c)
      for (int x = 0; x < m; ++x) ad[i][c] += a[i][x] * cols[c][x];
  for (int i = 0; i < kK; ++i)
    for (int j = 0; j < kK; ++j) {
      double v = 0, l = 0;
      for (int x = 0; x < m; ++x) v += a[i][x] * a[j][x];
      for (std::size_t c = 0; c < cols.size(); ++c) l += ad[i][c] * ad[j][c];
      ref.v[i * kK + j] = m > 0 ? v / m : 0.0;
      ref.l[i * kK + j] = l;
    }
  return ref;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  ASSERT_GT(scale, 0.0) << what << " is zero: degenerate test case";
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-9 * scale) << what << "(" << i / kK << "," << i % kK << ")";
}

std::vector<const smt::PatchCodes*> ptrs(const std::vector<smt::PatchCodes>& v) {
  std::vector<const smt::PatchCodes*> out;
  for (const auto& s : v) out.push_back(&s);
  return out;
}

// Sequences of mixed lengths (1, 2, repeated lengths, longer than the window).
std::vector<smt::PatchCodes> mixed_sequences(std::uint64_t seed, bool with_fallback) {
  std::mt19937_64 rng(seed);
  std::vector<smt::PatchCodes> seqs;
  for (int len : {7, 1, 12, 2, 7, 5}) seqs.push_back(random_sequence(len, rng, with_fallback));
  return seqs;
}

struct SeqCase {
  smt::Operator op;
  int window;
  smt::ZeroCode zero_code;
  bool with_fallback;
};

class SequenceVsDefinition : public testing::TestWithParam<SeqCase> {};

TEST_P(SequenceVsDefinition, StreamedEqualsExplicitADDtAt) {
  const SeqCase c = GetParam();
  const auto seqs = mixed_sequences(11 + c.window + 3 * c.with_fallback, c.with_fallback);
  const smt::OperatorSpec spec{c.op, c.window, c.zero_code};
  const Reference ref = reference(seqs, spec);
  smt::SmtStatistics stats(kK, false, spec);
  stats.add_sequences(ptrs(seqs), quiet(2));
  EXPECT_EQ(stats.num_patches(), ref.patches);
  EXPECT_EQ(stats.num_images(), static_cast<std::int64_t>(seqs.size()));
  EXPECT_EQ(stats.num_columns(), ref.columns);
  expect_close(stats.dense_v(), ref.v, "V");
  expect_close(stats.dense_l(), ref.l, "L");
  // The unused atom has zero rows.
  for (int j = 0; j < kK; ++j) EXPECT_EQ(stats.dense_l()[(kK - 1) * kK + j], 0.0);

  // Bit-identical for 1 and 2 threads, and one sequence at a time.
  smt::SmtStatistics one(kK, false, spec), each(kK, false, spec);
  one.add_sequences(ptrs(seqs), quiet(1));
  EXPECT_EQ(one.v_sum(), stats.v_sum());
  EXPECT_EQ(one.l_upper(), stats.l_upper());
  for (const auto& s : seqs) each.add_sequences({&s}, quiet(1));
  expect_close(each.dense_l(), ref.l, "L one by one");
}

std::vector<SeqCase> seq_cases() {
  std::vector<SeqCase> v;
  for (auto op : {smt::Operator::kSecond, smt::Operator::kFirst})
    // 1, 2, 3: explicit windows; 11: reaches every step of all but the
    // longest sequence; 20 and -1: the whole sequence (closed form).
    for (int w : {1, 2, 3, 11, 20, -1}) {
      v.push_back({op, w, smt::ZeroCode::kDrop, true});
      v.push_back({op, w, smt::ZeroCode::kArgmax, true});
      v.push_back({op, w, smt::ZeroCode::kDrop, false});
    }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Operators, SequenceVsDefinition, testing::ValuesIn(seq_cases()),
                         [](const testing::TestParamInfo<SeqCase>& p) {
                           std::string s = p.param.op == smt::Operator::kSecond ? "two" : "one";
                           s += p.param.window < 0 ? "_whole"
                                                   : "_w" + std::to_string(p.param.window);
                           s += p.param.zero_code == smt::ZeroCode::kDrop ? "_drop" : "_argmax";
                           s += p.param.with_fallback ? "" : "_noflags";
                           return s;
                         });

// Two sequences add exactly what each adds alone (no coupling across the
// boundary), and differ from their concatenation, which does couple.
TEST(SequenceStatistics, NoCouplingAcrossSequences) {
  std::mt19937_64 rng(5);
  const smt::PatchCodes a = random_sequence(6, rng, false), b = random_sequence(6, rng, false);
  smt::PatchCodes joined = a;
  for (int t = 0; t < b.num_patches(); ++t) {
    for (auto e = b.begin(t); e < b.end(t); ++e) {
      joined.atoms.push_back(b.atoms[e]);
      joined.values.push_back(b.values[e]);
    }
    joined.offsets.push_back(static_cast<std::uint32_t>(joined.atoms.size()));
  }
  for (auto op : {smt::Operator::kSecond, smt::Operator::kFirst}) {
    for (int w : {1, 2, -1}) {
      SCOPED_TRACE(testing::Message() << smt::to_string(op) << " window " << w);
      const smt::OperatorSpec spec{op, w, smt::ZeroCode::kDrop};
      smt::SmtStatistics both(kK, false, spec), sa(kK, false, spec), sb(kK, false, spec),
          cat(kK, false, spec);
      both.add_sequences({&a, &b}, quiet(1));
      sa.add_sequences({&a}, quiet(1));
      sb.add_sequences({&b}, quiet(1));
      sa.merge(sb);
      cat.add_sequences({&joined}, quiet(1));
      expect_close(both.dense_l(), sa.dense_l(), "L of two sequences vs each alone");
      expect_close(both.dense_v(), sa.dense_v(), "V of two sequences vs each alone");
      EXPECT_EQ(both.num_columns(), sa.num_columns());
      // V is the same for the concatenation (it only counts steps), L is not.
      expect_close(cat.dense_v(), both.dense_v(), "V of the concatenation");
      double diff = 0;
      const auto lc = cat.dense_l(), lb = both.dense_l();
      for (std::size_t i = 0; i < lc.size(); ++i) diff = std::max(diff, std::abs(lc[i] - lb[i]));
      EXPECT_GT(diff, 1e-6) << "the concatenation should couple the last step of a to b";
      EXPECT_GE(cat.num_columns(), both.num_columns());
    }
  }
}

// A two-step sequence under the first derivative is one column e_0 - e_1:
// L = (alpha_0 - alpha_1)(alpha_0 - alpha_1)^T exactly.
TEST(SequenceStatistics, TwoStepsByHand) {
  smt::PatchCodes c;
  c.atoms = {0, 1, 2};
  c.values = {0.25f, 0.75f, 1.0f};
  c.offsets = {0, 2, 3};
  smt::SmtStatistics s(3, false, {smt::Operator::kFirst, 1, smt::ZeroCode::kDrop});
  s.add_sequences({&c}, quiet(1));
  const std::vector<double> g = {0.25, 0.75, -1.0};
  const auto l = s.dense_l();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(l[i * 3 + j], g[i] * g[j]);
  EXPECT_EQ(s.num_columns(), 1);
  EXPECT_EQ(s.num_patches(), 2);
  // Second derivative over the same two steps: d_0 = e_0 - e_1, d_1 = e_1 - e_0.
  smt::SmtStatistics s2(3, false, {smt::Operator::kSecond, 1, smt::ZeroCode::kDrop});
  s2.add_sequences({&c}, quiet(1));
  const auto l2 = s2.dense_l();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(l2[i * 3 + j], 2 * g[i] * g[j]);
}

TEST(SequenceStatistics, OneHotCodesMayUseDiagonalV) {
  std::mt19937_64 rng(8);
  std::vector<smt::PatchCodes> seqs;
  for (int len : {5, 8}) seqs.push_back(random_sequence(len, rng, true, true));
  const smt::OperatorSpec spec{smt::Operator::kSecond, 2, smt::ZeroCode::kArgmax};
  smt::SmtStatistics diag(kK, true, spec), dense(kK, false, spec);
  diag.add_sequences(ptrs(seqs), quiet(1));
  dense.add_sequences(ptrs(seqs), quiet(1));
  expect_close(diag.dense_v(), dense.dense_v(), "diagonal V");
  expect_close(diag.dense_l(), dense.dense_l(), "L");
}

TEST(SequenceStatistics, RejectsBadInput) {
  std::mt19937_64 rng(9);
  const smt::PatchCodes multi = random_sequence(4, rng, false);
  const smt::OperatorSpec spec{smt::Operator::kSecond, 1, smt::ZeroCode::kDrop};
  smt::SmtStatistics diag(kK, true, spec);
  try {
    diag.add_sequences({&multi}, quiet(1));
    FAIL() << "multi-atom codes with diagonal V must be rejected";
  } catch (const smt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("diagonal_v = false"), std::string::npos) << e.what();
  }
  EXPECT_EQ(diag.num_patches(), 0);  // nothing was accumulated
  smt::SmtStatistics small(3, false, spec);
  EXPECT_THROW(small.add_sequences({&multi}, quiet(1)), smt::Error);  // atoms >= 3
  smt::PatchCodes flags = multi;
  flags.fallback.assign(2, 0);  // 4 steps
  smt::SmtStatistics ok(kK, false, spec);
  EXPECT_THROW(ok.add_sequences({&flags}, quiet(1)), smt::Error);
  EXPECT_THROW(ok.add_sequences({nullptr}, quiet(1)), smt::Error);
  // Empty sequences count but add nothing.
  smt::PatchCodes empty;
  ok.add_sequences({&empty}, quiet(1));
  EXPECT_EQ(ok.num_images(), 1);
  EXPECT_EQ(ok.num_patches(), 0);
}

}  // namespace
