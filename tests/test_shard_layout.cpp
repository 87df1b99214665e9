// ShardLayout (core/shard_layout.h): the distributed mode's round-robin deal
// of image blocks, and the k-NN over shards dealt that way (eval/knn.h),
// checked in one process against one accumulator over the whole sequence.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "smt/core/error.h"
#include "smt/core/shard_layout.h"
#include "smt/eval/knn.h"

namespace {

TEST(ShardLayout, DealsEveryImageOnceInWholeBlocks) {
  for (const std::size_t block : {1, 7, 32, 64}) {
    for (const std::size_t n : {0, 1, 31, 32, 33, 100, 1000, 1025}) {
      for (const int processes : {1, 2, 3, 5, 40}) {
        SCOPED_TRACE(std::to_string(n) + " images, " + std::to_string(processes) +
                     " processes, blocks of " + std::to_string(block));
        std::set<std::size_t> seen;
        std::size_t counted = 0;
        for (int r = 0; r < processes; ++r) {
          const smt::ShardLayout l = smt::ShardLayout::of(n, r, processes, block);
          counted += l.local_count();
          for (std::size_t i = 0; i < l.local_count(); ++i) {
            const std::size_t g = l.global_index(i);
            ASSERT_LT(g, n);
            EXPECT_TRUE(seen.insert(g).second) << g;
            EXPECT_EQ(l.owner(g), r);
            EXPECT_EQ(l.local_index(g), i);
            if (i > 0) {
              EXPECT_LT(l.global_index(i - 1), g) << "local order follows the global one";
            }
          }
        }
        EXPECT_EQ(counted, n);
        EXPECT_EQ(seen.size(), n);
      }
    }
  }
}

TEST(ShardLayout, OneProcessIsTheIdentity) {
  const smt::ShardLayout l = smt::ShardLayout::of(70, 0, 1);
  EXPECT_TRUE(l.whole());
  EXPECT_EQ(l.local_count(), 70u);
  for (std::size_t i = 0; i < 70; ++i) EXPECT_EQ(l.global_index(i), i);
}

TEST(ShardLayout, AugmentedViewsStayWithTheirImage) {
  const smt::ShardLayout l = smt::ShardLayout::of(100, 1, 3);
  const smt::ShardLayout a = l.augmented(4);
  EXPECT_EQ(a.local_count(), 4 * l.local_count());
  for (std::size_t i = 0; i < a.local_count(); ++i)
    EXPECT_EQ(a.global_index(i), 4 * l.global_index(i / 4) + i % 4);
}

TEST(ShardLayout, AssembleRestoresTheGlobalOrder) {
  const std::size_t n = 75, row = 3;
  for (const int processes : {1, 2, 3, 4}) {
    std::vector<std::string> parts(static_cast<std::size_t>(processes));
    for (int r = 0; r < processes; ++r) {
      const smt::ShardLayout l = smt::ShardLayout::of(n, r, processes, 8);
      for (std::size_t i = 0; i < l.local_count(); ++i)
        for (std::size_t c = 0; c < row; ++c)
          parts[static_cast<std::size_t>(r)].push_back(
              static_cast<char>((l.global_index(i) * row + c) % 128));
    }
    std::string all(n * row, '\0');
    smt::ShardLayout::of(n, 0, processes, 8).assemble(parts, row, "rows", all.data());
    ASSERT_EQ(all.size(), n * row);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<char>(i % 128)) << i;
    if (processes > 1) {
      parts.back().pop_back();
      try {
        smt::ShardLayout::of(n, 0, processes, 8).assemble(parts, row, "rows", all.data());
        ADD_FAILURE() << "a short part was accepted";
      } catch (const smt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("bytes of the rows"), std::string::npos) << e.what();
      }
    }
  }
}

// The shards' lists of `refs` (dealt round-robin in blocks of `block`, each
// scored in chunks of `chunk` in its local order) merged, against one
// accumulator over all of them.
void expect_shards_merge_into_whole(const std::vector<float>& q, const std::vector<float>& r,
                                    const std::vector<int>& labels, std::size_t dim, int k,
                                    std::size_t chunk, std::size_t block) {
  const std::size_t nq = q.size() / dim, nr = labels.size();
  smt::KnnAccumulator whole(q.data(), nq, dim, k, chunk);
  whole.set_reference_layout(smt::ShardLayout::of(nr, 0, 1, block));
  whole.add_references(r.data(), labels.data(), nr);
  for (const int processes : {2, 3, 5}) {
    SCOPED_TRACE(std::to_string(processes) + " shards, blocks of " + std::to_string(block));
    std::vector<smt::KnnNeighbors> parts;
    for (int p = 0; p < processes; ++p) {
      const smt::ShardLayout layout = smt::ShardLayout::of(nr, p, processes, block);
      std::vector<float> mine;
      std::vector<int> mine_labels;
      for (std::size_t i = 0; i < layout.local_count(); ++i) {
        const std::size_t g = layout.global_index(i);
        mine.insert(mine.end(), r.begin() + static_cast<std::ptrdiff_t>(g * dim),
                    r.begin() + static_cast<std::ptrdiff_t>((g + 1) * dim));
        mine_labels.push_back(labels[g]);
      }
      smt::KnnAccumulator a(q.data(), nq, dim, k, chunk);
      a.set_reference_layout(layout);
      // Two calls: the split does not matter either.
      const std::size_t half = mine_labels.size() / 2;
      a.add_references(mine.data(), mine_labels.data(), half);
      a.add_references(mine.data() + half * dim, mine_labels.data() + half,
                       mine_labels.size() - half);
      parts.push_back(a.neighbors());
    }
    const smt::KnnNeighbors merged = smt::merge_neighbors(parts, nq);
    EXPECT_EQ(merged.index, whole.neighbors().index);
    EXPECT_EQ(merged.sim, whole.neighbors().sim);  // bit for bit
    EXPECT_EQ(merged.label, whole.neighbors().label);
  }
}

TEST(ShardedKnn, NeighbourListsOfShardsMergeIntoTheWholeList) {
  // Values on a coarse grid: many exact ties, which the global indices break
  // as one process does.
  const std::size_t nq = 37, nr = 300, dim = 5;
  std::mt19937 rng(5);
  std::vector<float> q(nq * dim), r(nr * dim);
  for (float& v : q) v = static_cast<float>(static_cast<int>(rng() % 3) - 1);
  for (float& v : r) v = static_cast<float>(static_cast<int>(rng() % 3) - 1);
  std::vector<int> labels(nr);
  for (std::size_t i = 0; i < nr; ++i) labels[i] = static_cast<int>(rng() % 4);
  expect_shards_merge_into_whole(q, r, labels, dim, 8, 64, 32);
  expect_shards_merge_into_whole(q, r, labels, dim, 8, 64, 7);
}

TEST(ShardedKnn, SimilaritiesKeepTheirBitsAtAnyChunkColumn) {
  // Feature-like sizes, so that sgemm runs its real kernels: each shard puts a
  // reference at another column of another chunk than one process does.
  const std::size_t nq = 150, nr = 1100, dim = 333;
  std::mt19937 rng(9);
  std::normal_distribution<float> normal;
  std::vector<float> q(nq * dim), r(nr * dim);
  for (float& v : q) v = normal(rng);
  for (float& v : r) v = normal(rng);
  std::vector<int> labels(nr);
  for (std::size_t i = 0; i < nr; ++i) labels[i] = static_cast<int>(rng() % 10);
  expect_shards_merge_into_whole(q, r, labels, dim, 60, 256, 64);
}

}  // namespace
