// Weighted cosine k-nearest-neighbour classification (the evaluation
// protocol of the SMT paper), streaming over blocks of reference features.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "smt/core/context.h"
#include "smt/core/shard_layout.h"

namespace smt {

// Per-query neighbour lists, n_queries x k row-major, each row sorted by
// descending similarity (ties: smaller reference index first). Slots not yet
// filled (fewer than k references seen) hold sim = -inf, label = index = -1.
struct KnnNeighbors {
  std::vector<float> sim;
  std::vector<int> label;
  std::vector<std::int64_t> index;  // global reference index, across add_references calls
  int k = 0;
};

struct KnnResult {
  std::vector<int> top1;                 // predicted label per query
  std::vector<std::array<int, 5>> top5;  // 5 best-voted labels; -1 past num_classes
  double top1_accuracy = 0.0;            // NaN when no query labels were given
  double top5_accuracy = 0.0;

  // Sets the accuracies from top1/top5 and one true label per query (NaN
  // when query_labels is empty).
  void set_accuracy(const std::vector<int>& query_labels);
};

// Streams reference (training) features against a fixed set of query (test)
// features, keeping each query's k most cosine-similar references. The result
// depends only on the sequence of references, not on how it is split into
// add_references calls.
class KnnAccumulator {
 public:
  // Copies and L2-normalises the queries (n_queries x dim, row-major).
  // chunk_refs: references per sgemm; 0 picks one that keeps the similarity
  // block and the reference buffer within a few hundred MB (tests set it small
  // to exercise chunk boundaries).
  KnnAccumulator(const float* queries, std::size_t n_queries, std::size_t dim, int k,
                 std::size_t chunk_refs = 0);
  // Takes the queries over and normalises them in place (no copy).
  KnnAccumulator(std::vector<float>&& queries, std::size_t n_queries, std::size_t dim, int k,
                 std::size_t chunk_refs = 0);

  // The references to come are this process's shard of a distributed run's
  // sequence, in its local order (`layout`, e.g. the training set's layout
  // augmented by its reference views; a whole layout for one process):
  // neighbour indices are then global, and the lists of every shard merge
  // (merge_neighbors) into the single-process lists. The chunk becomes the
  // largest divisor of layout.block not above it, so that every reference
  // sits at the column of the same sgemm shape as in one process with the
  // same block, and each similarity keeps its bits (sgemm's bits depend on
  // the column). Only before the first reference.
  void set_reference_layout(const ShardLayout& layout);

  // refs: n_refs x dim row-major; labels: n_refs class labels (>= 0).
  void add_references(const float* refs, const int* labels, std::size_t n_refs);
  // The same for rows already made finite-checked unit vectors by
  // normalize_references (a resident reference set scored against many query
  // blocks): whole chunks go to sgemm without being copied. Same results.
  void add_normalized_references(const float* refs, const int* labels, std::size_t n_refs);
  // L2-normalises n_refs x dim rows in place (in parallel), checking that they
  // are finite, exactly as add_references would.
  static void normalize_references(float* refs, std::size_t n_refs, std::size_t dim);

  // Makes every scored chunk of references a cancellation point of ctx (a
  // block of a large reference set can take seconds).
  void set_cancellation(Context ctx) { cancel_ = std::move(ctx); }

  std::size_t num_queries() const { return n_queries_; }
  std::size_t dim() const { return dim_; }
  int k() const { return k_; }
  // References added to this accumulator (this process's, for a shard).
  std::int64_t num_references() const { return n_refs_total_; }

  // Not safe to call concurrently with any other member: it may first merge
  // buffered references.
  const KnnNeighbors& neighbors() const;

  // Each neighbour votes exp(sim / temperature) for its label; top-1 is the
  // label with the largest vote (ties: smaller label). query_labels: empty, or
  // one true label per query for the accuracies.
  KnnResult classify(int num_classes, float temperature,
                     const std::vector<int>& query_labels) const;

 private:
  void compute_sims(const float* refs) const;  // refs: chunk_ x dim_ (pending_ or resident)
  void check_labels(const int* labels, std::size_t n_refs) const;
  // Appends one reference row (normalised or copied as it is) to the pending
  // chunk, scoring the chunk when it is full.
  void push_pending(const float* row, int label, bool normalize);
  void finish_chunk();
  void merge(std::size_t col_begin, std::size_t col_end) const;
  void flush_pending() const;

  Context cancel_;
  std::size_t n_queries_;
  std::size_t dim_;
  int k_;
  std::vector<float> queries_;  // normalised copy

  // References are buffered into chunks and every sgemm has the same shape,
  // so each similarity is computed bit-identically however the caller splits
  // the references.
  std::size_t chunk_ = 0;
  std::vector<float> pending_;       // chunk_ x dim, normalised, zero-padded
  std::vector<int> pending_labels_;  // chunk_
  std::size_t pending_count_ = 0;    // references in the current chunk
  std::int64_t pending_base_ = 0;    // index (in this process's sequence) of the chunk's first row
  ShardLayout layout_;               // local to global reference indices
  std::int64_t global_index(std::int64_t local) const {
    return layout_.whole()
               ? local
               : static_cast<std::int64_t>(layout_.global_index(static_cast<std::size_t>(local)));
  }
  std::int64_t n_refs_total_ = 0;

  // Merged state. flush_pending() may run from const accessors; it merges the
  // buffered rows not yet merged and remembers how many, so a later full-chunk
  // sgemm only merges the rest.
  mutable KnnNeighbors nb_;
  mutable std::size_t pending_merged_ = 0;
  mutable std::vector<float> sims_;  // n_queries x chunk_ scratch
};

// The lists of the same queries from shards of the references (each sorted,
// any order of shards), merged into one list per query with the same order
// and tie rule: the single-process lists of the whole reference sequence.
KnnNeighbors merge_neighbors(const std::vector<KnnNeighbors>& parts, std::size_t n_queries);

// KnnAccumulator::classify for neighbour lists of n_queries queries drawn
// from n_refs references (merged ones, say).
KnnResult classify_neighbors(const KnnNeighbors& nb, std::size_t n_queries, std::int64_t n_refs,
                             int num_classes, float temperature,
                             const std::vector<int>& query_labels);

// Neighbour lists as bytes, for exchange between processes.
std::string neighbors_to_bytes(const KnnNeighbors& nb);
KnnNeighbors neighbors_from_bytes(const std::string& bytes, std::size_t n_queries, int k);

// Plain double-precision reference implementation (explicit loops, full sort)
// that the streaming path is tested against.
KnnResult brute_force_knn(const float* queries, std::size_t nq, const float* refs,
                          const int* labels, std::size_t nr, std::size_t dim, int k,
                          int num_classes, float temperature, const std::vector<int>& query_labels);

}  // namespace smt
