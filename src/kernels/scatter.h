// The scatter engine of the SMT statistics (private to the library): adds
// lists of weighted sparse outer products, sum_t w_t v_t v_t^T, to the upper
// triangle of a K x K row-major matrix. stages/statistics.cpp says which
// vectors and weights an image contributes (the mathematics of V and L); this
// engine only makes adding them fast. Scattered updates into a K x K matrix
// miss the cache on every access, so the entries are first bucketed by row (a
// parallel counting sort) and each row is accumulated in a private,
// cache-resident K-vector that is added to the matrix once. Every row sums its
// contributions in (list, term, entry) order, so the result does not depend
// on the thread count.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "smt/stages/sparse_coder.h"

namespace smt::kernel {

// A list of weighted sparse vectors v with entries sorted by index: the
// matrix update is sum_t w_t v_t v_t^T, plus a diagonal part.
struct RankOneTerms {
  std::vector<std::pair<std::uint32_t, double>> entries;
  std::vector<std::uint32_t> starts{0};  // term t: entries[starts[t] .. starts[t+1])
  std::vector<double> weights;
  std::vector<std::pair<std::uint32_t, double>> diagonal;

  void clear() {
    entries.clear();
    starts.assign(1, 0);
    weights.clear();
    diagonal.clear();
  }
  void close_term(double w) {
    if (entries.size() == starts.back()) return;  // empty vector: no update
    starts.push_back(static_cast<std::uint32_t>(entries.size()));
    weights.push_back(w);
  }
};

// One record per flattened entry, so that an item's data shares a cache line.
struct FlatEntry {
  std::uint32_t atom, term_end;
  double val, wval;
};

// Binary-code Gram path: one bucketed entry, with what its row walk needs
// stored inline (looking it up per term cost two dependent cache misses per
// entry): it starts the walk at atoms[begin], covers rest_m1 + 1 entries and
// belongs to a patch of k_m1 + 1 active atoms.
struct GramItem {
  std::uint32_t begin;
  std::uint16_t rest_m1, k_m1;
};

// Buffers reused from chunk to chunk and call to call: fresh allocations of
// this size come from mmap and cost a page fault per 4 KiB on every chunk.
struct ScatterWorkspace {
  std::vector<FlatEntry> ent;
  std::vector<std::vector<std::uint32_t>> counts;  // per thread, per row
  std::vector<std::uint32_t> row_start, item;
  std::vector<double> dense;
  // Binary-code Gram path: flattened atoms and, per entry, rest_m1 and k_m1.
  std::vector<std::uint16_t> atoms;
  std::vector<std::pair<std::uint16_t, std::uint16_t>> walk;
  std::vector<GramItem> gram_item;
};

// m += the diagonal parts of `lists` and, unless diagonal_only, their terms
// sum_t w_t v_t v_t^T (upper triangle; with diagonal_only m holds K values).
// When `also` is given, everything is added a second time, scaled by
// also_scale, into *also: one pass over the entries then serves two matrices.
void apply_terms(const std::vector<const RankOneTerms*>& lists, ScatterWorkspace& ws,
                 std::vector<double>& m, int k, bool diagonal_only, int threads,
                 std::vector<double>* also = nullptr, double also_scale = 0.0);

// The listed patches of one image's binary codes (values empty).
struct BinaryPatches {
  const PatchCodes* codes;
  const std::vector<int>* patches;
};

// m += sum_p alpha_p alpha_p^T (upper triangle) over the listed patches of
// binary codes, where alpha_p = a_p / k_p: every pair of active atoms gets
// 1 / k_p^2, with 1 / k_p the float PatchCodes::value() gives. Atoms must be
// distinct within a patch and below k. `also` as in apply_terms.
void apply_binary_gram(const std::vector<BinaryPatches>& lists, ScatterWorkspace& ws,
                       std::vector<double>& m, int k, int threads, std::vector<double>* also,
                       double also_scale);

// m += the terms of `lists` (their diagonal parts excepted) as one BLAS-3
// rank update per sign of the weights: the columns sqrt(|w_t|) v_t are laid
// out densely (K x B) and dsyrk adds their Gram matrix to the upper triangle.
void apply_outer_dense(const std::vector<const RankOneTerms*>& lists, ScatterWorkspace& ws,
                       std::vector<double>& m, int k);

// Whether apply_outer_dense does fewer operations than apply_terms for
// `lists`: K^2 flop per term against ~16 flop per scattered update (a cache
// miss against FMAs at full vector width), so dense wins once a term holds
// more than about K/4 entries.
bool outer_dense_is_cheaper(const std::vector<const RankOneTerms*>& lists, int k);

}  // namespace smt::kernel
