#include "kernels/scatter.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "smt/core/error.h"
#include "smt/core/parallel.h"

namespace smt::kernel {

namespace {

// Start of each of `threads` parts of n_lists lists (list g starting at entry
// start[g]), n_entries at the end: part t covers lists
// [n_lists * t / threads, n_lists * (t + 1) / threads).
std::vector<std::size_t> split_by_list(const std::vector<std::size_t>& start, int threads) {
  const std::size_t n_lists = start.size() - 1;
  const std::size_t parts = static_cast<std::size_t>(threads);
  std::vector<std::size_t> part(parts + 1);
  for (std::size_t t = 0; t < parts; ++t) part[t] = start[n_lists * t / parts];
  part[parts] = start[n_lists];
  return part;
}

// Counting sort of entry positions [0, n) by row (atom_at(e)), in parallel:
// part t counts the rows of entries [part[t], part[t+1]), then fills its own
// slots of every row's bucket. Rows list their entries in increasing position
// whatever the thread count. Result in ws.row_start (K+1) and items, where
// the entry at position e is stored as item_at(e).
template <typename AtomAt, typename Item, typename ItemAt>
void bucket_by_row(std::size_t n, const std::vector<std::size_t>& part, AtomAt atom_at,
                   std::vector<Item>& items, ItemAt item_at, int k, int threads,
                   ScatterWorkspace& ws) {
  const std::size_t kk = static_cast<std::size_t>(k);
  const std::size_t parts = static_cast<std::size_t>(threads);
  auto& counts = ws.counts;
  counts.resize(parts);
  for (auto& c : counts) c.assign(kk, 0);
  ws.row_start.assign(kk + 1, 0);
  items.resize(n);
  parallel_for(threads, 0, parts, Schedule::fixed(), [&](std::size_t t) {
    std::vector<std::uint32_t>& cnt = counts[t];
    for (std::size_t e = part[t]; e < part[t + 1]; ++e) ++cnt[atom_at(e)];
  });
  std::uint32_t run = 0;
  for (std::size_t i = 0; i < kk; ++i) {
    ws.row_start[i] = run;
    for (std::size_t u = 0; u < parts; ++u) {
      const std::uint32_t c = counts[u][i];
      counts[u][i] = run;  // becomes part u's next slot in row i
      run += c;
    }
  }
  ws.row_start[kk] = run;
  parallel_for(threads, 0, parts, Schedule::fixed(), [&](std::size_t t) {
    std::vector<std::uint32_t>& cnt = counts[t];
    for (std::size_t e = part[t]; e < part[t + 1]; ++e) items[cnt[atom_at(e)]++] = item_at(e);
  });
}

// Per-thread scratch of a row walk: one row's sums, and which atoms it touched.
struct RowScratch {
  std::vector<double> acc;
  std::vector<char> mark;
  std::vector<std::uint32_t> touched;
};

}  // namespace

void apply_terms(const std::vector<const RankOneTerms*>& lists, ScatterWorkspace& ws,
                 std::vector<double>& m, int k, bool diagonal_only, int threads,
                 std::vector<double>* also, double also_scale) {
  const std::size_t kk = static_cast<std::size_t>(k);
  for (const RankOneTerms* r : lists) {
    for (const auto& [i, x] : r->diagonal) {
      const std::size_t at = diagonal_only ? i : i * kk + i;
      m[at] += x;
      if (also) (*also)[at] += also_scale * x;
    }
  }
  if (diagonal_only) return;
  // Flatten the lists' terms: entry e holds its atom, its value times the
  // term's weight (wval), its plain value and the end of its term.
  const std::size_t n_lists = lists.size();
  std::vector<std::size_t> list_start(n_lists + 1, 0);
  for (std::size_t g = 0; g < n_lists; ++g)
    list_start[g + 1] = list_start[g] + lists[g]->entries.size();
  const std::size_t n_entries = list_start[n_lists];
  if (n_entries == 0) return;
  SMT_CHECK(n_entries < (std::size_t{1} << 32), "statistics chunk too large");
  std::vector<FlatEntry>& ent = ws.ent;
  ent.resize(n_entries);
  const std::vector<std::size_t> part = split_by_list(list_start, threads);
  parallel_for(threads, 0, static_cast<std::size_t>(threads), Schedule::fixed(),
               [&](std::size_t t) {
                 const std::size_t parts = static_cast<std::size_t>(threads);
                 const std::size_t g0 = n_lists * t / parts, g1 = n_lists * (t + 1) / parts;
                 for (std::size_t g = g0; g < g1; ++g) {
                   const RankOneTerms& r = *lists[g];
                   const std::size_t base = list_start[g];
                   for (std::size_t u = 0; u < r.weights.size(); ++u) {
                     for (std::uint32_t e = r.starts[u]; e < r.starts[u + 1]; ++e) {
                       const auto& [i, x] = r.entries[e];
                       ent[base + e] = {i, static_cast<std::uint32_t>(base + r.starts[u + 1]), x,
                                        r.weights[u] * x};
                     }
                   }
                 }
               });
  bucket_by_row(
      n_entries, part, [&](std::size_t e) { return ent[e].atom; }, ws.item,
      [](std::size_t e) { return static_cast<std::uint32_t>(e); }, k, threads, ws);
  const std::vector<std::uint32_t>& row_start = ws.row_start;
  const std::vector<std::uint32_t>& item = ws.item;
  parallel_for(
      threads, 0, kk, Schedule::dynamic(16),
      [kk] {
        return RowScratch{std::vector<double>(kk, 0.0), std::vector<char>(kk, 0), {}};
      },
      [&](RowScratch& sc, std::size_t i) {
        const std::uint32_t s0 = row_start[i], s1 = row_start[i + 1];
        if (s0 == s1) return;
        for (std::uint32_t s = s0; s < s1; ++s) {
          // The entries of each item's term lie elsewhere in memory: fetch a
          // few items ahead.
          if (s + 6 < s1) __builtin_prefetch(&ent[item[s + 6]]);
          const std::uint32_t a = item[s];
          const double wi = ent[a].wval;
          const std::uint32_t end = ent[a].term_end;
          for (std::uint32_t c = a; c < end; ++c) {
            const std::uint32_t j = ent[c].atom;
            if (!sc.mark[j]) {
              sc.mark[j] = 1;
              sc.touched.push_back(j);
            }
            sc.acc[j] += wi * ent[c].val;
          }
        }
        double* row = m.data() + i * kk;
        double* also_row = also ? also->data() + i * kk : nullptr;
        for (std::uint32_t j : sc.touched) {
          row[j] += sc.acc[j];
          if (also_row) also_row[j] += also_scale * sc.acc[j];
          sc.acc[j] = 0.0;
          sc.mark[j] = 0;
        }
        sc.touched.clear();
      });
}

void apply_binary_gram(const std::vector<BinaryPatches>& lists, ScatterWorkspace& ws,
                       std::vector<double>& m, int k, int threads, std::vector<double>* also,
                       double also_scale) {
  const std::size_t kk = static_cast<std::size_t>(k);
  const std::size_t n_lists = lists.size();
  std::vector<std::size_t> e_start(n_lists + 1, 0);
  for (std::size_t g = 0; g < n_lists; ++g) {
    const PatchCodes& c = *lists[g].codes;
    std::size_t ne = 0;
    for (int p : *lists[g].patches) {
      const auto len = c.end(p) - c.begin(p);
      // The walk below stores a term's size in 16 bits (checked here, before
      // the parallel loops).
      SMT_CHECK(len <= 65536, "statistics: a patch code lists ", len,
                " atoms, more than the 65536 a 16-bit index can name (repeated atoms?)");
      ne += len;
    }
    e_start[g + 1] = e_start[g] + ne;
  }
  const std::size_t n = e_start[n_lists];
  if (n == 0) return;
  SMT_CHECK(n < (std::size_t{1} << 32), "statistics chunk too large");
  ws.atoms.resize(n);
  // Per entry: the number of entries from it to its term's end and its term's
  // size, both minus one (< 65536: a term has at most K <= 65536 atoms).
  auto& walk = ws.walk;
  walk.resize(n);
  const std::vector<std::size_t> part = split_by_list(e_start, threads);
  parallel_for(threads, 0, static_cast<std::size_t>(threads), Schedule::fixed(),
               [&](std::size_t t) {
                 const std::size_t parts = static_cast<std::size_t>(threads);
                 const std::size_t g0 = n_lists * t / parts, g1 = n_lists * (t + 1) / parts;
                 for (std::size_t g = g0; g < g1; ++g) {
                   const PatchCodes& c = *lists[g].codes;
                   std::size_t e = e_start[g];
                   for (int p : *lists[g].patches) {
                     const std::size_t begin = e;
                     for (auto q = c.begin(p); q < c.end(p); ++q) ws.atoms[e++] = c.atoms[q];
                     // The upper-triangle walk below needs ascending atoms within a term.
                     const auto first = ws.atoms.begin() + static_cast<std::ptrdiff_t>(begin);
                     const auto last = ws.atoms.begin() + static_cast<std::ptrdiff_t>(e);
                     if (!std::is_sorted(first, last)) std::sort(first, last);
                     const auto k_m1 = static_cast<std::uint16_t>(e - begin - 1);
                     for (std::size_t q = begin; q < e; ++q)
                       walk[q] = {static_cast<std::uint16_t>(e - 1 - q), k_m1};
                   }
                 }
               });
  bucket_by_row(
      n, part, [&](std::size_t e) { return ws.atoms[e]; }, ws.gram_item,
      [&](std::size_t e) {
        return GramItem{static_cast<std::uint32_t>(e), walk[e].first, walk[e].second};
      },
      k, threads, ws);
  const std::uint16_t* atoms = ws.atoms.data();
  parallel_for(
      threads, 0, kk, Schedule::dynamic(16), [kk] { return std::vector<double>(kk, 0.0); },
      [&](std::vector<double>& acc, std::size_t i) {
        const std::uint32_t s0 = ws.row_start[i], s1 = ws.row_start[i + 1];
        if (s0 == s1) return;
        const GramItem* items = ws.gram_item.data();
        for (std::uint32_t s = s0; s < s1; ++s) {
          if (s + 8 < s1) __builtin_prefetch(atoms + items[s + 8].begin);
          const GramItem it = items[s];
          // alpha's entries as PatchCodes::value() gives them (a float 1/k),
          // so that V and the S S^T term agree to the last bit.
          const double a = 1.0f / static_cast<float>(it.k_m1 + 1);
          const double w = a * a;
          const std::uint16_t* c = atoms + it.begin;
          for (int q = 0; q <= it.rest_m1; ++q) acc[c[q]] += w;
        }
        double* row = m.data() + i * kk;
        double* also_row = also ? also->data() + i * kk : nullptr;
        for (std::size_t j = i; j < kk; ++j) {
          row[j] += acc[j];
          if (also_row) also_row[j] += also_scale * acc[j];
          acc[j] = 0.0;
        }
      });
}

void apply_outer_dense(const std::vector<const RankOneTerms*>& lists, ScatterWorkspace& ws,
                       std::vector<double>& m, int k) {
  const std::size_t kk = static_cast<std::size_t>(k);
  for (const double sign : {1.0, -1.0}) {
    std::size_t cols = 0;
    for (const RankOneTerms* r : lists)
      for (double w : r->weights) cols += (w * sign > 0);
    if (cols == 0) continue;
    std::vector<double>& s = ws.dense;  // row-major K x cols
    s.assign(kk * cols, 0.0);
    std::size_t c = 0;
    for (const RankOneTerms* list : lists) {
      const RankOneTerms& r = *list;
      for (std::size_t t = 0; t < r.weights.size(); ++t) {
        if (r.weights[t] * sign <= 0) continue;
        const double root = std::sqrt(std::abs(r.weights[t]));
        for (std::uint32_t e = r.starts[t]; e < r.starts[t + 1]; ++e)
          s[r.entries[e].first * cols + c] = root * r.entries[e].second;
        ++c;
      }
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, k, static_cast<int>(cols), sign, s.data(),
                static_cast<int>(cols), 1.0, m.data(), k);
  }
}

bool outer_dense_is_cheaper(const std::vector<const RankOneTerms*>& lists, int k) {
  double sparse = 0, dense = 0;
  for (const RankOneTerms* r : lists) {
    for (std::size_t t = 0; t < r->weights.size(); ++t) {
      const double nnz = r->starts[t + 1] - r->starts[t];
      sparse += 16.0 * nnz * nnz;
      dense += static_cast<double>(k) * k;
    }
  }
  return dense > 0 && dense < sparse;
}

}  // namespace smt::kernel
