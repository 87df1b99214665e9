#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "smt/core/error.h"
#include "smt/eval/knn.h"

namespace {

// Portable random data: mt19937 is fully specified, std distributions are not.
struct Rng {
  explicit Rng(std::uint32_t seed) : gen(seed) {}
  float uniform() { return static_cast<float>(gen() >> 8) * (2.0f / 16777216.0f) - 1.0f; }
  int below(int n) { return static_cast<int>(gen() % static_cast<std::uint32_t>(n)); }
  std::mt19937 gen;
};

struct Data {
  std::size_t nq, nr, dim;
  int num_classes;
  std::vector<float> queries, refs;
  std::vector<int> ref_labels, query_labels;
};

Data make_data(std::size_t nq, std::size_t nr, std::size_t dim, int num_classes,
               std::uint32_t seed) {
  Rng rng(seed);
  Data d{nq, nr, dim, num_classes, {}, {}, {}, {}};
  d.queries.resize(nq * dim);
  d.refs.resize(nr * dim);
  for (auto& x : d.queries) x = rng.uniform();
  for (auto& x : d.refs) x = rng.uniform();
  for (std::size_t r = 0; r < nr; ++r) d.ref_labels.push_back(rng.below(num_classes));
  for (std::size_t q = 0; q < nq; ++q) d.query_labels.push_back(rng.below(num_classes));
  return d;
}

// Feeds the references in blocks of the given sizes (the last one takes the rest).
smt::KnnAccumulator stream(const Data& d, int k, const std::vector<std::size_t>& blocks,
                           std::size_t chunk_refs, bool peek = false) {
  smt::KnnAccumulator acc(d.queries.data(), d.nq, d.dim, k, chunk_refs);
  std::size_t done = 0;
  for (std::size_t b = 0; done < d.nr; ++b) {
    const std::size_t n = b < blocks.size() ? std::min(blocks[b], d.nr - done) : d.nr - done;
    acc.add_references(d.refs.data() + done * d.dim, d.ref_labels.data() + done, n);
    done += n;
    if (peek) acc.neighbors();  // flushes a partial chunk mid-stream
  }
  return acc;
}

// Double-precision cosine similarities, nq x nr.
std::vector<double> exact_sims(const Data& d) {
  std::vector<double> s(d.nq * d.nr);
  for (std::size_t q = 0; q < d.nq; ++q) {
    for (std::size_t r = 0; r < d.nr; ++r) {
      double dot = 0, nx = 0, ny = 0;
      for (std::size_t c = 0; c < d.dim; ++c) {
        const double x = d.queries[q * d.dim + c], y = d.refs[r * d.dim + c];
        dot += x * y;
        nx += x * x;
        ny += y * y;
      }
      s[q * d.nr + r] = nx > 0 && ny > 0 ? dot / std::sqrt(nx * ny) : 0.0;
    }
  }
  return s;
}

void expect_same_neighbors(const smt::KnnNeighbors& a, const smt::KnnNeighbors& b) {
  ASSERT_EQ(a.k, b.k);
  ASSERT_EQ(a.sim.size(), b.sim.size());
  for (std::size_t i = 0; i < a.sim.size(); ++i) {
    ASSERT_EQ(a.index[i], b.index[i]) << "slot " << i;
    ASSERT_EQ(a.label[i], b.label[i]) << "slot " << i;
    ASSERT_EQ(a.sim[i], b.sim[i]) << "slot " << i;  // bit-identical, not just close
  }
}

TEST(Knn, StreamingMatchesBruteForce) {
  const Data d = make_data(37, 1000, 50, 7, 2024);
  const int k = 10;
  const float temperature = 0.07f;
  const auto sims = exact_sims(d);

  // Small chunks so the uneven blocks straddle many chunk boundaries.
  for (std::size_t chunk : {std::size_t{64}, std::size_t{0}}) {
    SCOPED_TRACE(::testing::Message() << "chunk_refs=" << chunk);
    const auto acc = stream(d, k, {1, 63, 200, 7, 500}, chunk);
    EXPECT_EQ(acc.num_references(), 1000);
    const auto& nb = acc.neighbors();

    int swaps = 0;
    for (std::size_t q = 0; q < d.nq; ++q) {
      std::vector<std::size_t> order(d.nr);
      std::iota(order.begin(), order.end(), 0);
      const double* s = &sims[q * d.nr];
      std::sort(order.begin(), order.end(), [s](std::size_t a, std::size_t b) {
        return s[a] > s[b] || (s[a] == s[b] && a < b);
      });
      for (std::size_t p = 0; p < static_cast<std::size_t>(k); ++p) {
        const std::size_t slot = q * k + p;
        EXPECT_NEAR(nb.sim[slot], s[order[p]], 1e-5);
        const auto got = static_cast<std::size_t>(nb.index[slot]);
        if (got != order[p]) {
          // Only a float near-tie may reorder neighbours.
          ++swaps;
          EXPECT_NEAR(s[got], s[order[p]], 1e-5) << "query " << q << " rank " << p;
        }
        EXPECT_EQ(nb.label[slot], d.ref_labels[got]);
      }
    }
    EXPECT_LE(swaps, 2);

    const auto fast = acc.classify(d.num_classes, temperature, d.query_labels);
    const auto ref =
        smt::brute_force_knn(d.queries.data(), d.nq, d.refs.data(), d.ref_labels.data(), d.nr,
                             d.dim, k, d.num_classes, temperature, d.query_labels);
    EXPECT_EQ(fast.top1, ref.top1);
    EXPECT_EQ(fast.top5, ref.top5);
    EXPECT_DOUBLE_EQ(fast.top1_accuracy, ref.top1_accuracy);
    EXPECT_DOUBLE_EQ(fast.top5_accuracy, ref.top5_accuracy);
    EXPECT_GE(fast.top5_accuracy, fast.top1_accuracy);
  }
}

TEST(Knn, IndependentOfBlockSplit) {
  const Data d = make_data(23, 700, 33, 5, 7);
  const int k = 9;
  const std::size_t chunk = 48;
  const auto base = stream(d, k, {d.nr}, chunk);
  const auto one_by_one = stream(d, k, std::vector<std::size_t>(d.nr, 1), chunk);
  const auto uneven = stream(d, k, {5, 48, 1, 100, 47, 49, 3, 200}, chunk);
  const auto peeked = stream(d, k, {13, 30, 2, 77, 150, 31}, chunk, /*peek=*/true);
  expect_same_neighbors(base.neighbors(), one_by_one.neighbors());
  expect_same_neighbors(base.neighbors(), uneven.neighbors());
  expect_same_neighbors(base.neighbors(), peeked.neighbors());
  const auto r0 = base.classify(d.num_classes, 0.1f, d.query_labels);
  const auto r1 = peeked.classify(d.num_classes, 0.1f, d.query_labels);
  EXPECT_EQ(r0.top1, r1.top1);
  EXPECT_EQ(r0.top5, r1.top5);
}

// References normalised once and scored in place (the resident training set
// of small runs) give bit-identical neighbours to add_references, whatever
// the block split and with a partial chunk pending or flushed in between.
TEST(Knn, PreNormalizedReferencesEqualPlainOnes) {
  const Data d = make_data(19, 650, 31, 6, 13);
  const int k = 8;
  const std::size_t chunk = 48;
  const auto base = stream(d, k, {d.nr}, chunk);
  std::vector<float> normed = d.refs;
  smt::KnnAccumulator::normalize_references(normed.data(), d.nr, d.dim);
  for (const std::vector<std::size_t>& blocks :
       {std::vector<std::size_t>{d.nr}, std::vector<std::size_t>{5, 48, 96, 1, 200},
        std::vector<std::size_t>{47, 49, 3, 100}}) {
    for (bool peek : {false, true}) {
      SCOPED_TRACE(testing::Message() << blocks.size() << " blocks, peek " << peek);
      smt::KnnAccumulator acc(d.queries.data(), d.nq, d.dim, k, chunk);
      std::size_t done = 0;
      for (std::size_t b = 0; done < d.nr; ++b) {
        const std::size_t n = b < blocks.size() ? std::min(blocks[b], d.nr - done) : d.nr - done;
        acc.add_normalized_references(normed.data() + done * d.dim, d.ref_labels.data() + done, n);
        done += n;
        if (peek) acc.neighbors();
      }
      expect_same_neighbors(base.neighbors(), acc.neighbors());
    }
  }
  std::vector<float> bad = d.refs;
  bad[3 * d.dim + 2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(smt::KnnAccumulator::normalize_references(bad.data(), d.nr, d.dim), smt::Error);
}

// Handing the queries over (normalised in place) equals copying them.
TEST(Knn, MovedQueriesEqualCopiedQueries) {
  const Data d = make_data(17, 300, 29, 4, 11);
  smt::KnnAccumulator copied(d.queries.data(), d.nq, d.dim, 7, 64);
  smt::KnnAccumulator moved(std::vector<float>(d.queries), d.nq, d.dim, 7, 64);
  copied.add_references(d.refs.data(), d.ref_labels.data(), d.nr);
  moved.add_references(d.refs.data(), d.ref_labels.data(), d.nr);
  expect_same_neighbors(copied.neighbors(), moved.neighbors());
  EXPECT_THROW(smt::KnnAccumulator(std::vector<float>(5), 2, 3, 1), smt::Error);
}

TEST(Knn, TiesBrokenBySmallerIndex) {
  // Three distinct reference directions, each repeated: many exact ties.
  Data d = make_data(4, 0, 3, 3, 1);
  const float dirs[3][3] = {{1, 0, 0}, {1, 1, 0}, {0, 0, 1}};
  for (int rep = 0; rep < 6; ++rep) {
    for (int j = 0; j < 3; ++j) {
      for (int c = 0; c < 3; ++c) d.refs.push_back(dirs[j][c] * static_cast<float>(rep + 1));
      d.ref_labels.push_back(j);
    }
  }
  d.nr = d.ref_labels.size();
  // Query 0 along dirs[0]; query 3 is all zero (every similarity 0).
  for (int c = 0; c < 3; ++c) d.queries[c] = dirs[0][c];
  for (int c = 0; c < 3; ++c) d.queries[3 * 3 + c] = 0.0f;
  const int k = 5;
  const auto a = stream(d, k, {d.nr}, 4);
  const auto b = stream(d, k, {2, 5, 1, 3}, 4, true);
  expect_same_neighbors(a.neighbors(), b.neighbors());
  const auto& nb = a.neighbors();
  // Query 0: the six copies of dirs[0] (indices 0, 3, 6, ...) in index order.
  for (int p = 0; p < k; ++p) {
    EXPECT_EQ(nb.index[static_cast<std::size_t>(p)], 3 * p);
    EXPECT_FLOAT_EQ(nb.sim[static_cast<std::size_t>(p)], 1.0f);
  }
  // Zero query: all similarities 0, so the first k references.
  for (int p = 0; p < k; ++p) {
    EXPECT_EQ(nb.index[static_cast<std::size_t>(3 * k + p)], p);
    EXPECT_EQ(nb.sim[static_cast<std::size_t>(3 * k + p)], 0.0f);
  }
  const auto fast = a.classify(3, 0.05f, d.query_labels);
  const auto ref = smt::brute_force_knn(d.queries.data(), d.nq, d.refs.data(), d.ref_labels.data(),
                                        d.nr, d.dim, k, 3, 0.05f, d.query_labels);
  EXPECT_EQ(fast.top1, ref.top1);
  EXPECT_EQ(fast.top5, ref.top5);
}

TEST(Knn, HandComputedWeightedVote) {
  // Query (1, 0); references with cosines 1, 0, 1/sqrt(2), -1.
  const std::vector<float> query = {1, 0};
  const std::vector<float> refs = {2, 0, 0, 3, 1, 1, -1, 0};
  const std::vector<int> labels = {0, 1, 1, 2};
  smt::KnnAccumulator acc(query.data(), 1, 2, 3);
  acc.add_references(refs.data(), labels.data(), 4);
  const auto& nb = acc.neighbors();
  EXPECT_EQ(nb.index, (std::vector<std::int64_t>{0, 2, 1}));
  EXPECT_EQ(nb.label, (std::vector<int>{0, 1, 1}));
  EXPECT_NEAR(nb.sim[1], std::sqrt(0.5), 1e-6);

  // T = 0.5: votes 0 -> e^0 = 1, 1 -> e^(-0.586) + e^(-2) = 0.692: label 0 wins.
  auto r = acc.classify(4, 0.5f, {0});
  EXPECT_EQ(r.top1[0], 0);
  EXPECT_EQ(r.top5[0], (std::array<int, 5>{0, 1, 2, 3, -1}));
  EXPECT_DOUBLE_EQ(r.top1_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(r.top5_accuracy, 1.0);
  // T = 2: votes 0 -> 1, 1 -> e^(-0.146) + e^(-0.5) = 1.470: two weaker
  // neighbours outvote the nearest one.
  r = acc.classify(4, 2.0f, {0});
  EXPECT_EQ(r.top1[0], 1);
  EXPECT_EQ(r.top5[0], (std::array<int, 5>{1, 0, 2, 3, -1}));
  EXPECT_DOUBLE_EQ(r.top1_accuracy, 0.0);
  EXPECT_DOUBLE_EQ(r.top5_accuracy, 1.0);
  // A tiny temperature would overflow exp(sim / T) without the max shift.
  r = acc.classify(2, 1e-3f, {});
  EXPECT_EQ(r.top1[0], 0);
  EXPECT_EQ(r.top5[0], (std::array<int, 5>{0, 1, -1, -1, -1}));
  EXPECT_TRUE(std::isnan(r.top1_accuracy));
  EXPECT_TRUE(std::isnan(r.top5_accuracy));

  const auto ref =
      smt::brute_force_knn(query.data(), 1, refs.data(), labels.data(), 4, 2, 3, 4, 2.0f, {0});
  EXPECT_EQ(ref.top1[0], 1);
  EXPECT_EQ(ref.top5[0], (std::array<int, 5>{1, 0, 2, 3, -1}));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const smt::Error& e) {
    return e.what();
  }
  return "(no smt::Error thrown)";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(Knn, KLargerThanReferencesIsAnError) {
  const Data d = make_data(3, 12, 4, 2, 5);
  smt::KnnAccumulator acc(d.queries.data(), d.nq, d.dim, 30);
  acc.add_references(d.refs.data(), d.ref_labels.data(), d.nr);
  const std::string msg = error_of([&] { acc.classify(2, 0.1f, {}); });
  EXPECT_TRUE(contains(msg, "knn-k = 30 but only 12 training images")) << msg;
  EXPECT_TRUE(contains(error_of([&] {
                         smt::brute_force_knn(d.queries.data(), d.nq, d.refs.data(),
                                              d.ref_labels.data(), d.nr, d.dim, 30, 2, 0.1f, {});
                       }),
                       "knn-k = 30 but only 12 training images"));
  // Neighbour lists are padded until k references have been seen.
  const auto& nb = acc.neighbors();
  EXPECT_EQ(nb.index[12], -1);
  EXPECT_EQ(nb.label[29], -1);
  EXPECT_TRUE(std::isinf(nb.sim[29]));
}

TEST(Knn, NaNFeaturesAreAnError) {
  Data d = make_data(3, 10, 4, 2, 6);
  auto bad_q = d.queries;
  bad_q[5] = std::numeric_limits<float>::quiet_NaN();
  const std::string qmsg = error_of([&] { smt::KnnAccumulator acc(bad_q.data(), d.nq, d.dim, 3); });
  EXPECT_TRUE(contains(qmsg, "features")) << qmsg;

  smt::KnnAccumulator acc(d.queries.data(), d.nq, d.dim, 3);
  auto bad_r = d.refs;
  bad_r[17] = std::numeric_limits<float>::quiet_NaN();
  const std::string rmsg =
      error_of([&] { acc.add_references(bad_r.data(), d.ref_labels.data(), d.nr); });
  EXPECT_TRUE(contains(rmsg, "features")) << rmsg;
  EXPECT_TRUE(contains(rmsg, "row 4")) << rmsg;
  EXPECT_EQ(acc.num_references(), 0);  // the bad block was not taken in part

  const std::string bmsg = error_of([&] {
    smt::brute_force_knn(d.queries.data(), d.nq, bad_r.data(), d.ref_labels.data(), d.nr, d.dim, 3,
                         2, 0.1f, {});
  });
  EXPECT_TRUE(contains(bmsg, "features")) << bmsg;
}

TEST(Knn, ParameterErrors) {
  const Data d = make_data(3, 10, 4, 2, 8);
  smt::KnnAccumulator acc(d.queries.data(), d.nq, d.dim, 3);
  acc.add_references(d.refs.data(), d.ref_labels.data(), d.nr);
  for (float t : {0.0f, -0.1f, std::numeric_limits<float>::quiet_NaN(),
                  std::numeric_limits<float>::infinity()}) {
    const std::string msg = error_of([&] { acc.classify(2, t, {}); });
    EXPECT_TRUE(contains(msg, "temperature")) << msg;
  }
  EXPECT_TRUE(contains(error_of([&] { acc.classify(2, 0.1f, {0, 1}); }), "query labels"));
  EXPECT_THROW(acc.classify(1, 0.1f, {}), smt::Error);  // a training label is >= 1
  EXPECT_THROW(smt::KnnAccumulator(d.queries.data(), d.nq, d.dim, 0), smt::Error);
  EXPECT_THROW(smt::KnnAccumulator(d.queries.data(), d.nq, 0, 3), smt::Error);
  EXPECT_THROW(smt::brute_force_knn(d.queries.data(), d.nq, d.refs.data(), d.ref_labels.data(),
                                    d.nr, d.dim, 3, 2, 0.0f, {}),
               smt::Error);
}

}  // namespace
