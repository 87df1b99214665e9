#include "smt/eval/knn.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "smt/core/error.h"
#include "smt/core/parallel.h"

namespace smt {
namespace {

// Memory bounds (in floats) for the query x chunk similarity block and the
// buffered reference chunk: 256 MB and 128 MB.
constexpr std::size_t kSimBudget = std::size_t{64} << 20;
constexpr std::size_t kRefBudget = std::size_t{32} << 20;
// Large enough for sgemm to run near peak; small enough that the zero-padded
// last chunk wastes little.
constexpr std::size_t kMaxChunk = 2048;
constexpr std::size_t kMinChunk = 16;

// (sim, index) order of the neighbour lists: larger similarity first, then
// smaller global reference index.
inline bool better(float a_sim, std::int64_t a_idx, float b_sim, std::int64_t b_idx) {
  return a_sim > b_sim || (a_sim == b_sim && a_idx < b_idx);
}

// Throws unless every value is finite; `what` names the matrix for the user.
void check_finite(const float* x, std::size_t rows, std::size_t dim, const char* what,
                  std::int64_t row_offset) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = x + r * dim;
    for (std::size_t c = 0; c < dim; ++c) {
      if (!std::isfinite(row[c])) {
        SMT_THROW(what, " features contain a non-finite value (", row[c], ") at row ",
                  row_offset + static_cast<std::int64_t>(r), ", column ", c,
                  "; check the feature extraction for NaN/Inf");
      }
    }
  }
}

// dst = src / ||src|| (a zero row stays zero). The norm is accumulated in
// double so it does not depend on the dimension's rounding.
void normalize_row(const float* src, std::size_t dim, float* dst) {
  double sq = 0.0;
  for (std::size_t c = 0; c < dim; ++c) sq += static_cast<double>(src[c]) * src[c];
  const float inv = sq > 0.0 ? static_cast<float>(1.0 / std::sqrt(sq)) : 0.0f;
  for (std::size_t c = 0; c < dim; ++c) dst[c] = src[c] * inv;
}

void check_temperature(float temperature) {
  SMT_CHECK(std::isfinite(temperature) && temperature > 0.0f,
            "k-NN temperature must be a finite number > 0, got ", temperature);
}

void check_k_vs_refs(int k, std::int64_t n_refs) {
  if (static_cast<std::int64_t>(k) > n_refs) {
    SMT_THROW(param("knn-k"), " = ", k, " but only ", n_refs, " training images; lower ",
              param("knn-k"), " or add training data");
  }
}

void check_query_labels(const std::vector<int>& query_labels, std::size_t nq, int num_classes) {
  if (query_labels.empty()) return;
  SMT_CHECK(query_labels.size() == nq, "got ", query_labels.size(), " query labels for ", nq,
            " queries");
  for (std::size_t q = 0; q < nq; ++q) {
    SMT_CHECK(query_labels[q] >= 0 && query_labels[q] < num_classes, "query label ",
              query_labels[q], " at row ", q, " is outside [0, ", num_classes, ")");
  }
}

}  // namespace

void KnnResult::set_accuracy(const std::vector<int>& query_labels) {
  if (query_labels.empty()) {
    top1_accuracy = std::numeric_limits<double>::quiet_NaN();
    top5_accuracy = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  std::size_t hit1 = 0, hit5 = 0;
  for (std::size_t q = 0; q < query_labels.size(); ++q) {
    if (top1[q] == query_labels[q]) ++hit1;
    const auto& t5 = top5[q];
    if (std::find(t5.begin(), t5.end(), query_labels[q]) != t5.end()) ++hit5;
  }
  const double n = static_cast<double>(query_labels.size());
  top1_accuracy = static_cast<double>(hit1) / n;
  top5_accuracy = static_cast<double>(hit5) / n;
}

KnnAccumulator::KnnAccumulator(const float* queries, std::size_t n_queries, std::size_t dim, int k,
                               std::size_t chunk_refs)
    : KnnAccumulator(std::vector<float>(queries, queries + (queries ? n_queries * dim : 0)),
                     n_queries, dim, k, chunk_refs) {}

KnnAccumulator::KnnAccumulator(std::vector<float>&& queries, std::size_t n_queries, std::size_t dim,
                               int k, std::size_t chunk_refs)
    : n_queries_(n_queries), dim_(dim), k_(k) {
  SMT_CHECK(k >= 1, "k-NN needs k >= 1, got ", k);
  SMT_CHECK(dim > 0, "k-NN feature dimension must be > 0");
  // cblas takes int sizes.
  SMT_CHECK(dim <= static_cast<std::size_t>(INT_MAX), "feature dimension ", dim, " too large");
  SMT_CHECK(n_queries <= static_cast<std::size_t>(INT_MAX), "too many queries: ", n_queries);
  SMT_CHECK(queries.size() == n_queries * dim, "query features hold ", queries.size(),
            " values, expected ", n_queries, " x ", dim);
  check_finite(queries.data(), n_queries, dim, "query (test)", 0);

  // Normalised in place: the queries are often the largest array of a run.
  queries_ = std::move(queries);
  for (std::size_t q = 0; q < n_queries; ++q) {
    float* row = queries_.data() + q * dim;
    normalize_row(row, dim, row);
  }

  if (chunk_refs == 0) {
    chunk_refs =
        std::min({kMaxChunk, kSimBudget / std::max<std::size_t>(n_queries, 1), kRefBudget / dim});
    chunk_refs = std::max(chunk_refs, kMinChunk);
  }
  chunk_ = chunk_refs;
  pending_.assign(chunk_ * dim, 0.0f);
  pending_labels_.assign(chunk_, -1);
  sims_.resize(n_queries * chunk_);

  const std::size_t slots = n_queries * static_cast<std::size_t>(k);
  nb_.k = k;
  nb_.sim.assign(slots, -std::numeric_limits<float>::infinity());
  nb_.label.assign(slots, -1);
  nb_.index.assign(slots, -1);
}

void KnnAccumulator::add_references(const float* refs, const int* labels, std::size_t n_refs) {
  if (n_refs == 0) return;
  SMT_CHECK(refs != nullptr && labels != nullptr, "null reference features or labels");
  // Validate the whole block first so a bad block leaves the state unchanged.
  check_finite(refs, n_refs, dim_, "reference (training)", n_refs_total_);
  check_labels(labels, n_refs);
  for (std::size_t r = 0; r < n_refs; ++r) push_pending(refs + r * dim_, labels[r], true);
}

void KnnAccumulator::add_normalized_references(const float* refs, const int* labels,
                                               std::size_t n_refs) {
  if (n_refs == 0) return;
  SMT_CHECK(refs != nullptr && labels != nullptr, "null reference features or labels");
  check_labels(labels, n_refs);
  std::size_t r = 0;
  while (r < n_refs) {
    if (pending_count_ == 0 && n_refs - r >= chunk_) {
      // A whole chunk in place: the same sgemm shape as a pending chunk, so
      // the same similarities bit for bit.
      std::copy_n(labels + r, chunk_, pending_labels_.begin());
      compute_sims(refs + r * dim_);
      merge(0, chunk_);
      pending_base_ += static_cast<std::int64_t>(chunk_);
      n_refs_total_ += static_cast<std::int64_t>(chunk_);
      r += chunk_;
      continue;
    }
    push_pending(refs + r * dim_, labels[r], false);
    ++r;
  }
}

void KnnAccumulator::push_pending(const float* row, int label, bool normalize) {
  float* dst = pending_.data() + pending_count_ * dim_;
  if (normalize) {
    normalize_row(row, dim_, dst);
  } else {
    std::copy_n(row, dim_, dst);
  }
  pending_labels_[pending_count_] = label;
  ++pending_count_;
  ++n_refs_total_;
  if (pending_count_ == chunk_) finish_chunk();
}

void KnnAccumulator::normalize_references(float* refs, std::size_t n_refs, std::size_t dim) {
  check_finite(refs, n_refs, dim, "reference (training)", 0);
  const std::int64_t n = static_cast<std::int64_t>(n_refs);
  parallel_for(default_threads(), 0, static_cast<std::size_t>(n), Schedule::fixed(),
               [&](std::size_t r) {
                 float* row = refs + r * dim;
                 normalize_row(row, dim, row);
               });
}

void KnnAccumulator::check_labels(const int* labels, std::size_t n_refs) const {
  for (std::size_t r = 0; r < n_refs; ++r) {
    SMT_CHECK(labels[r] >= 0, "reference label ", labels[r], " at row ",
              n_refs_total_ + static_cast<std::int64_t>(r), " is negative");
  }
}

void KnnAccumulator::finish_chunk() {
  compute_sims(pending_.data());
  merge(pending_merged_, chunk_);
  pending_base_ += static_cast<std::int64_t>(chunk_);
  pending_count_ = 0;
  pending_merged_ = 0;
  // A later partial chunk relies on zero padding past pending_count_.
  std::fill(pending_.begin(), pending_.end(), 0.0f);
}

void KnnAccumulator::compute_sims(const float* refs) const {
  cancel_.check_cancelled();
  if (n_queries_ == 0) return;
  // Always the full chunk shape (zero-padded), so each similarity comes out of
  // the same sgemm configuration whatever the block split. Called outside any
  // OpenMP region: OpenBLAS threads it itself.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n_queries_),
              static_cast<int>(chunk_), static_cast<int>(dim_), 1.0f, queries_.data(),
              static_cast<int>(dim_), refs, static_cast<int>(dim_), 0.0f, sims_.data(),
              static_cast<int>(chunk_));
}

void KnnAccumulator::merge(std::size_t col_begin, std::size_t col_end) const {
  if (col_begin >= col_end) return;
  const std::size_t k = static_cast<std::size_t>(k_);
  const std::int64_t nq = static_cast<std::int64_t>(n_queries_);
  const bool parallel = n_queries_ * (col_end - col_begin) >= (std::size_t{1} << 16);
  parallel_for(parallel ? default_threads() : 1, 0, static_cast<std::size_t>(nq), Schedule::fixed(),
               [&](std::size_t q) {
                 const float* row = sims_.data() + q * chunk_;
                 float* sim = nb_.sim.data() + q * k;
                 int* lab = nb_.label.data() + q * k;
                 std::int64_t* idx = nb_.index.data() + q * k;
                 for (std::size_t col = col_begin; col < col_end; ++col) {
                   const float s = row[col];
                   // Most candidates lose against the current k-th: one comparison each.
                   if (s < sim[k - 1]) continue;
                   const std::int64_t g =
                       global_index(pending_base_ + static_cast<std::int64_t>(col));
                   if (!better(s, g, sim[k - 1], idx[k - 1])) continue;
                   std::size_t p = k - 1;
                   while (p > 0 && better(s, g, sim[p - 1], idx[p - 1])) {
                     sim[p] = sim[p - 1];
                     lab[p] = lab[p - 1];
                     idx[p] = idx[p - 1];
                     --p;
                   }
                   sim[p] = s;
                   lab[p] = pending_labels_[col];
                   idx[p] = g;
                 }
               });
}

void KnnAccumulator::flush_pending() const {
  if (pending_merged_ >= pending_count_) return;
  compute_sims(pending_.data());
  merge(pending_merged_, pending_count_);
  pending_merged_ = pending_count_;
}

const KnnNeighbors& KnnAccumulator::neighbors() const {
  flush_pending();
  return nb_;
}

void KnnAccumulator::set_reference_layout(const ShardLayout& layout) {
  SMT_CHECK(n_refs_total_ == 0, "k-NN: the reference layout is set after references were added");
  SMT_CHECK(layout.block >= 1, "k-NN: a reference layout with blocks of 0");
  layout_ = layout;
  // sgemm's bits depend on a reference's column within the chunk (and the
  // thread split of the chunk), so a shard's chunks must sit where one
  // process's do: chunks that divide the block start at the same column
  // offsets in a shard's local order as in the global one.
  std::size_t chunk = std::min(chunk_, layout.block);
  while (layout.block % chunk != 0) --chunk;
  if (chunk == chunk_) return;
  chunk_ = chunk;
  pending_.assign(chunk_ * dim_, 0.0f);
  pending_labels_.assign(chunk_, -1);
  sims_.assign(n_queries_ * chunk_, 0.0f);
}

KnnResult KnnAccumulator::classify(int num_classes, float temperature,
                                   const std::vector<int>& query_labels) const {
  return classify_neighbors(neighbors(), n_queries_, n_refs_total_, num_classes, temperature,
                            query_labels);
}

KnnNeighbors merge_neighbors(const std::vector<KnnNeighbors>& parts, std::size_t n_queries) {
  SMT_CHECK(!parts.empty(), "k-NN: no neighbour lists to merge");
  const int k = parts.front().k;
  const std::size_t kk = static_cast<std::size_t>(k);
  for (const KnnNeighbors& p : parts)
    SMT_CHECK(p.k == k && p.sim.size() == n_queries * kk && p.label.size() == n_queries * kk &&
                  p.index.size() == n_queries * kk,
              "k-NN: neighbour lists of different shapes cannot be merged");
  KnnNeighbors out;
  out.k = k;
  out.sim.assign(n_queries * kk, -std::numeric_limits<float>::infinity());
  out.label.assign(n_queries * kk, -1);
  out.index.assign(n_queries * kk, -1);
  parallel_for(default_threads(), 0, n_queries, Schedule::fixed(), [&](std::size_t q) {
    // A k-way merge of sorted lists: the head that is better() goes first.
    std::vector<std::size_t> head(parts.size(), 0);
    for (std::size_t slot = 0; slot < kk; ++slot) {
      std::size_t best = parts.size();
      for (std::size_t p = 0; p < parts.size(); ++p) {
        if (head[p] >= kk) continue;
        const std::size_t i = q * kk + head[p];
        if (parts[p].index[i] < 0) continue;  // an unfilled slot: the list ends
        if (best == parts.size()) {
          best = p;
          continue;
        }
        const std::size_t b = q * kk + head[best];
        if (better(parts[p].sim[i], parts[p].index[i], parts[best].sim[b], parts[best].index[b]))
          best = p;
      }
      if (best == parts.size()) break;
      const std::size_t i = q * kk + head[best]++;
      out.sim[q * kk + slot] = parts[best].sim[i];
      out.label[q * kk + slot] = parts[best].label[i];
      out.index[q * kk + slot] = parts[best].index[i];
    }
  });
  return out;
}

std::string neighbors_to_bytes(const KnnNeighbors& nb) {
  std::string s;
  s.reserve(nb.sim.size() * (sizeof(float) + sizeof(int) + sizeof(std::int64_t)));
  s.append(reinterpret_cast<const char*>(nb.sim.data()), nb.sim.size() * sizeof(float));
  s.append(reinterpret_cast<const char*>(nb.label.data()), nb.label.size() * sizeof(int));
  s.append(reinterpret_cast<const char*>(nb.index.data()), nb.index.size() * sizeof(std::int64_t));
  return s;
}

KnnNeighbors neighbors_from_bytes(const std::string& bytes, std::size_t n_queries, int k) {
  const std::size_t slots = n_queries * static_cast<std::size_t>(k);
  SMT_CHECK(bytes.size() == slots * (sizeof(float) + sizeof(int) + sizeof(std::int64_t)),
            "k-NN: neighbour lists of ", bytes.size(), " bytes, expected ", n_queries,
            " queries x ", k);
  KnnNeighbors nb;
  nb.k = k;
  nb.sim.resize(slots);
  nb.label.resize(slots);
  nb.index.resize(slots);
  const char* p = bytes.data();
  std::memcpy(nb.sim.data(), p, slots * sizeof(float));
  p += slots * sizeof(float);
  std::memcpy(nb.label.data(), p, slots * sizeof(int));
  p += slots * sizeof(int);
  std::memcpy(nb.index.data(), p, slots * sizeof(std::int64_t));
  return nb;
}

KnnResult classify_neighbors(const KnnNeighbors& nb, std::size_t n_queries, std::int64_t n_refs,
                             int num_classes, float temperature,
                             const std::vector<int>& query_labels) {
  SMT_CHECK(num_classes >= 1, "num_classes must be >= 1, got ", num_classes);
  check_temperature(temperature);
  check_k_vs_refs(nb.k, n_refs);
  check_query_labels(query_labels, n_queries, num_classes);
  for (std::size_t i = 0; i < nb.label.size(); ++i) {
    SMT_CHECK(nb.label[i] < num_classes, "training label ", nb.label[i], " (reference ",
              nb.index[i], ") is >= num_classes=", num_classes);
  }

  const std::size_t k = static_cast<std::size_t>(nb.k);
  const std::size_t nc = static_cast<std::size_t>(num_classes);
  const double inv_t = 1.0 / static_cast<double>(temperature);
  KnnResult res;
  res.top1.assign(n_queries, -1);
  res.top5.assign(n_queries, std::array<int, 5>{-1, -1, -1, -1, -1});
  parallel_for(
      default_threads(), 0, n_queries, Schedule::fixed(), [nc] { return std::vector<double>(nc); },
      [&](std::vector<double>& votes, std::size_t q) {
        const float* sim = nb.sim.data() + q * k;
        const int* lab = nb.label.data() + q * k;
        std::fill(votes.begin(), votes.end(), 0.0);
        // Lists are sorted, so sim[0] is the max: subtracting it keeps
        // exp(sim / T) from overflowing at small T without changing the ranking.
        const double top = sim[0];
        for (std::size_t j = 0; j < k; ++j) {
          votes[static_cast<std::size_t>(lab[j])] += std::exp((sim[j] - top) * inv_t);
        }
        // Five argmax passes; strict > keeps the smaller label on ties.
        auto& t5 = res.top5[q];
        for (std::size_t r = 0; r < 5 && r < nc; ++r) {
          std::size_t best = nc;
          for (std::size_t c = 0; c < nc; ++c) {
            if (votes[c] < 0.0) continue;  // already taken
            if (best == nc || votes[c] > votes[best]) best = c;
          }
          t5[r] = static_cast<int>(best);
          votes[best] = -1.0;
        }
        res.top1[q] = t5[0];
      });
  res.set_accuracy(query_labels);
  return res;
}

KnnResult brute_force_knn(const float* queries, std::size_t nq, const float* refs,
                          const int* labels, std::size_t nr, std::size_t dim, int k,
                          int num_classes, float temperature,
                          const std::vector<int>& query_labels) {
  SMT_CHECK(k >= 1, "k-NN needs k >= 1, got ", k);
  SMT_CHECK(dim > 0, "k-NN feature dimension must be > 0");
  SMT_CHECK(num_classes >= 1, "num_classes must be >= 1, got ", num_classes);
  check_temperature(temperature);
  check_k_vs_refs(k, static_cast<std::int64_t>(nr));
  check_finite(queries, nq, dim, "query (test)", 0);
  check_finite(refs, nr, dim, "reference (training)", 0);
  check_query_labels(query_labels, nq, num_classes);
  for (std::size_t r = 0; r < nr; ++r) {
    SMT_CHECK(labels[r] >= 0 && labels[r] < num_classes, "training label ", labels[r], " at row ",
              r, " is outside [0, ", num_classes, ")");
  }

  auto norm = [dim](const float* x) {
    double sq = 0.0;
    for (std::size_t c = 0; c < dim; ++c) sq += static_cast<double>(x[c]) * x[c];
    return std::sqrt(sq);
  };
  std::vector<double> ref_norm(nr);
  for (std::size_t r = 0; r < nr; ++r) ref_norm[r] = norm(refs + r * dim);

  const std::size_t uk = static_cast<std::size_t>(k);
  const std::size_t nc = static_cast<std::size_t>(num_classes);
  KnnResult res;
  res.top1.assign(nq, -1);
  res.top5.assign(nq, std::array<int, 5>{-1, -1, -1, -1, -1});
  std::vector<std::pair<double, std::size_t>> cand(nr);
  std::vector<double> votes(nc);
  std::vector<int> order(nc);
  for (std::size_t q = 0; q < nq; ++q) {
    const float* x = queries + q * dim;
    const double qn = norm(x);
    for (std::size_t r = 0; r < nr; ++r) {
      const float* y = refs + r * dim;
      double dot = 0.0;
      for (std::size_t c = 0; c < dim; ++c) dot += static_cast<double>(x[c]) * y[c];
      const double den = qn * ref_norm[r];
      cand[r] = {den > 0.0 ? dot / den : 0.0, r};
    }
    std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    std::fill(votes.begin(), votes.end(), 0.0);
    for (std::size_t j = 0; j < uk; ++j) {
      votes[static_cast<std::size_t>(labels[cand[j].second])] +=
          std::exp((cand[j].first - cand[0].first) / static_cast<double>(temperature));
    }
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&votes](int a, int b) {
      const double va = votes[static_cast<std::size_t>(a)];
      const double vb = votes[static_cast<std::size_t>(b)];
      return va > vb || (va == vb && a < b);
    });
    for (std::size_t r = 0; r < 5 && r < nc; ++r) res.top5[q][r] = order[r];
    res.top1[q] = order[0];
  }
  res.set_accuracy(query_labels);
  return res;
}

}  // namespace smt
