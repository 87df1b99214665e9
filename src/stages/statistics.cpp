#include "smt/stages/statistics.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "smt/core/error.h"

namespace smt {

namespace {

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

// Sparse accumulator over K atoms: dense values plus the list of touched atoms.
struct SparseVec {
  std::vector<double> val;
  std::vector<char> mark;
  std::vector<std::uint32_t> touched;
  explicit SparseVec(int k) : val(k, 0.0), mark(k, 0) {}
  void add(std::uint32_t i, double x) {
    if (!mark[i]) {
      mark[i] = 1;
      touched.push_back(i);
    }
    val[i] += x;
  }
  // Appends the entries sorted by index to terms (dropping exact zeros) and resets.
  void flush_to(RankOneTerms& t) {
    std::sort(touched.begin(), touched.end());
    for (auto i : touched) {
      if (val[i] != 0.0) t.entries.emplace_back(i, val[i]);
      val[i] = 0.0;
      mark[i] = 0;
    }
    touched.clear();
  }
};

// acc += scale * alpha_p for patch p's code.
void add_patch(SparseVec& acc, const PatchCodes& codes, int p, double scale) {
  for (auto e = codes.begin(p); e < codes.end(p); ++e)
    acc.add(codes.atoms[e], scale * codes.value(p, e));
}

struct ImageTerms {
  RankOneTerms v, l;
  RankOneTerms outer;  // whole-image window: the -b S S^T term
  // Whole window, dense V: the V terms also reach L (scaled by a_full) except
  // for images with fewer than two included patches, which go to v_only.
  RankOneTerms v_only;
  // Binary codes: patches whose alpha alpha^T goes to V (and L as above).
  std::vector<int> gram_patches, gram_only;
  std::int64_t columns = 0;
  void clear() {
    gram_patches.clear();
    gram_only.clear();
    v_only.clear();
    v.clear();
    l.clear();
    outer.clear();
    columns = 0;
  }
};

// One record per flattened entry, so that an item's data shares a cache line.
struct FlatEntry {
  std::uint32_t atom, term_end;
  double val, wval;
};

}  // namespace

// Binary-code Gram path: one bucketed entry, with what its row walk needs
// stored inline (looking it up per term cost two dependent cache misses per
// entry, ~60 % of the stage): it starts the walk at atoms[begin], covers
// rest_m1 + 1 entries and belongs to a patch of k_m1 + 1 active atoms.
struct GramItem {
  std::uint32_t begin;
  std::uint16_t rest_m1, k_m1;
};

// Buffers reused from chunk to chunk and call to call: fresh allocations of
// this size come from mmap and cost a page fault per 4 KiB on every chunk.
struct SmtStatistics::Workspace {
  std::vector<ImageTerms> terms;
  std::vector<FlatEntry> ent;
  std::vector<std::vector<std::uint32_t>> counts;
  std::vector<std::uint32_t> row_start, item;
  std::vector<double> dense;
  // Binary-code Gram path: flattened atoms, each entry's term, per-term end and weight.
  std::vector<std::uint16_t> atoms;
  std::vector<std::pair<std::uint16_t, std::uint16_t>> walk;  // per entry: rest_m1, k_m1
  std::vector<GramItem> gram_item;
};

namespace {

// Counting sort of entry positions [0, n) by row (atom_at(e)), in parallel:
// thread t counts the rows of entries [part[t], part[t+1]), then fills its own
// slots of every row's bucket. Rows list their entries in increasing position
// whatever the thread count. Result in ws.row_start (K+1) and items, where
// the entry at position e is stored as item_at(e).
template <typename AtomAt, typename Item, typename ItemAt>
void bucket_by_row(std::size_t n, const std::vector<std::size_t>& part, AtomAt atom_at,
                   std::vector<Item>& items, ItemAt item_at, int k, int threads,
                   SmtStatistics::Workspace& ws) {
  const std::size_t kk = static_cast<std::size_t>(k);
  auto& counts = ws.counts;
  counts.resize(threads);
  for (auto& c : counts) c.assign(kk, 0);
  ws.row_start.assign(kk + 1, 0);
  items.resize(n);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    std::vector<std::uint32_t>& cnt = counts[t];
    for (std::size_t e = part[t]; e < part[t + 1]; ++e) ++cnt[atom_at(e)];
#pragma omp barrier
#pragma omp single
    {
      std::uint32_t run = 0;
      for (std::size_t i = 0; i < kk; ++i) {
        ws.row_start[i] = run;
        for (int u = 0; u < threads; ++u) {
          const std::uint32_t c = counts[u][i];
          counts[u][i] = run;  // becomes thread u's next slot in row i
          run += c;
        }
      }
      ws.row_start[kk] = run;
    }
    for (std::size_t e = part[t]; e < part[t + 1]; ++e) items[cnt[atom_at(e)]++] = item_at(e);
  }
}

// Applies sum_t w_t v_t v_t^T (upper triangle) and the diagonal parts of a
// chunk of images to m. Scattered updates into a K x K matrix miss the cache
// on every access, so the entries are first bucketed by row (a parallel
// counting sort); each row is then accumulated in a private, cache-resident
// K-vector and added to the matrix once. Every row sums its contributions in
// (image, term, entry) order, so the result does not depend on the thread
// count. When `also` is given, every row is added a second time, scaled by
// also_scale, into *also: the whole-image window adds a_full * alpha alpha^T to
// L for every term it adds to V, so one pass over the entries serves both.
void apply_terms(const std::vector<ImageTerms>& all, RankOneTerms ImageTerms::*which,
                 SmtStatistics::Workspace& ws, std::vector<double>& m, int k, bool diagonal_only,
                 int threads, std::vector<double>* also = nullptr, double also_scale = 0.0) {
  const std::size_t kk = static_cast<std::size_t>(k);
  for (const ImageTerms& it : all) {
    for (const auto& [i, x] : (it.*which).diagonal) {
      const std::size_t at = diagonal_only ? i : i * kk + i;
      m[at] += x;
      if (also) (*also)[at] += also_scale * x;
    }
  }
  if (diagonal_only) return;
  // Flatten the chunk's terms: entry e holds its atom, its value times the
  // term's weight (wv), its plain value and the end of its term.
  const std::size_t n_img = all.size();
  std::vector<std::size_t> img_start(n_img + 1, 0);
  for (std::size_t g = 0; g < n_img; ++g)
    img_start[g + 1] = img_start[g] + (all[g].*which).entries.size();
  const std::size_t n_entries = img_start[n_img];
  if (n_entries == 0) return;
  SMT_CHECK(n_entries < (std::size_t{1} << 32), "statistics chunk too large");
  std::vector<FlatEntry>& ent = ws.ent;
  ent.resize(n_entries);
  std::vector<std::size_t> part(threads + 1);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const std::size_t g0 = n_img * t / threads, g1 = n_img * (t + 1) / threads;
    part[t] = img_start[g0];
    if (t == threads - 1) part[threads] = n_entries;
    for (std::size_t g = g0; g < g1; ++g) {
      const RankOneTerms& r = all[g].*which;
      const std::size_t base = img_start[g];
      for (std::size_t u = 0; u < r.weights.size(); ++u) {
        for (std::uint32_t e = r.starts[u]; e < r.starts[u + 1]; ++e) {
          const auto& [i, x] = r.entries[e];
          ent[base + e] = {i, static_cast<std::uint32_t>(base + r.starts[u + 1]), x,
                           r.weights[u] * x};
        }
      }
    }
  }
  bucket_by_row(
      n_entries, part, [&](std::size_t e) { return ent[e].atom; }, ws.item,
      [](std::size_t e) { return static_cast<std::uint32_t>(e); }, k, threads, ws);
  const std::vector<std::uint32_t>& row_start = ws.row_start;
  const std::vector<std::uint32_t>& item = ws.item;
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> acc(kk, 0.0);
    std::vector<char> mark(kk, 0);
    std::vector<std::uint32_t> touched;
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < k; ++i) {
      const std::uint32_t s0 = row_start[i], s1 = row_start[i + 1];
      if (s0 == s1) continue;
      for (std::uint32_t s = s0; s < s1; ++s) {
        // The entries of each item's term lie elsewhere in memory: fetch a
        // few items ahead.
        if (s + 6 < s1) __builtin_prefetch(&ent[item[s + 6]]);
        const std::uint32_t a = item[s];
        const double wi = ent[a].wval;
        const std::uint32_t end = ent[a].term_end;
        for (std::uint32_t c = a; c < end; ++c) {
          const std::uint32_t j = ent[c].atom;
          if (!mark[j]) {
            mark[j] = 1;
            touched.push_back(j);
          }
          acc[j] += wi * ent[c].val;
        }
      }
      double* row = m.data() + static_cast<std::size_t>(i) * kk;
      double* also_row = also ? also->data() + static_cast<std::size_t>(i) * kk : nullptr;
      for (std::uint32_t j : touched) {
        row[j] += acc[j];
        if (also_row) also_row[j] += also_scale * acc[j];
        acc[j] = 0.0;
        mark[j] = 0;
      }
      touched.clear();
    }
  }
}

// V += sum_p alpha_p alpha_p^T over the listed patches of binary codes, where
// alpha_p = a_p / k_p: every pair of active atoms gets 1 / k_p^2. The entries
// are the codes' own sorted atom lists (2 bytes each, no values), bucketed by
// row; each row sums into a dense, cache-resident K-vector that is added to
// the matrix once per chunk. When `also` is given the row is added a second
// time, scaled, into *also (L of the whole-image window).
void apply_binary_gram(const std::vector<const PatchCodes*>& images, std::size_t first,
                       const std::vector<ImageTerms>& terms, std::vector<int> ImageTerms::*list,
                       SmtStatistics::Workspace& ws, std::vector<double>& m, int k, int threads,
                       std::vector<double>* also, double also_scale) {
  const std::size_t kk = static_cast<std::size_t>(k);
  const std::size_t n_img = terms.size();
  std::vector<std::size_t> e_start(n_img + 1, 0);
  for (std::size_t g = 0; g < n_img; ++g) {
    const PatchCodes& c = *images[first + g];
    std::size_t ne = 0;
    for (int p : terms[g].*list) {
      const auto len = c.end(p) - c.begin(p);
      // The walk below stores a term's size in 16 bits (checked here, outside
      // the parallel region).
      SMT_CHECK(len <= 65536, "statistics: a patch code lists ", len,
                " atoms, more than the 65536 a 16-bit index can name (repeated atoms?)");
      ne += len;
    }
    e_start[g + 1] = e_start[g] + ne;
  }
  const std::size_t n = e_start[n_img];
  if (n == 0) return;
  SMT_CHECK(n < (std::size_t{1} << 32), "statistics chunk too large");
  ws.atoms.resize(n);
  // Per entry: the number of entries from it to its term's end and its term's
  // size, both minus one (< 65536: a term has at most K <= 65536 atoms).
  auto& walk = ws.walk;
  walk.resize(n);
  std::vector<std::size_t> part(threads + 1);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const std::size_t g0 = n_img * t / threads, g1 = n_img * (t + 1) / threads;
    part[t] = e_start[g0];
    if (t == threads - 1) part[threads] = n;
    for (std::size_t g = g0; g < g1; ++g) {
      const PatchCodes& c = *images[first + g];
      std::size_t e = e_start[g];
      for (int p : terms[g].*list) {
        const std::size_t begin = e;
        for (auto q = c.begin(p); q < c.end(p); ++q) ws.atoms[e++] = c.atoms[q];
        // The upper-triangle walk below needs ascending atoms within a term.
        if (!std::is_sorted(ws.atoms.begin() + begin, ws.atoms.begin() + e))
          std::sort(ws.atoms.begin() + begin, ws.atoms.begin() + e);
        const auto k_m1 = static_cast<std::uint16_t>(e - begin - 1);
        for (std::size_t q = begin; q < e; ++q)
          walk[q] = {static_cast<std::uint16_t>(e - 1 - q), k_m1};
      }
    }
  }
  bucket_by_row(
      n, part, [&](std::size_t e) { return ws.atoms[e]; }, ws.gram_item,
      [&](std::size_t e) {
        return GramItem{static_cast<std::uint32_t>(e), walk[e].first, walk[e].second};
      },
      k, threads, ws);
  const std::uint16_t* atoms = ws.atoms.data();
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> acc(kk, 0.0);
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < k; ++i) {
      const std::uint32_t s0 = ws.row_start[i], s1 = ws.row_start[i + 1];
      if (s0 == s1) continue;
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
      double* row = m.data() + static_cast<std::size_t>(i) * kk;
      double* also_row = also ? also->data() + static_cast<std::size_t>(i) * kk : nullptr;
      for (std::size_t j = static_cast<std::size_t>(i); j < kk; ++j) {
        row[j] += acc[j];
        if (also_row) also_row[j] += also_scale * acc[j];
        acc[j] = 0.0;
      }
    }
  }
}

// Applies the outer-product terms sum_t w_t s_t s_t^T as one BLAS-3 rank-B
// update per sign: the columns sqrt(|w_t|) s_t are laid out densely (K x B) and
// dsyrk adds their Gram matrix to the upper triangle. Costs K^2 flop per term
// however many atoms s_t holds, which beats scattered updates once s_t has
// more than about K/4 entries (whole images under threshold coding).
void apply_outer_dense(const std::vector<ImageTerms>& all, SmtStatistics::Workspace& ws,
                       std::vector<double>& m, int k) {
  const std::size_t kk = static_cast<std::size_t>(k);
  for (const double sign : {1.0, -1.0}) {
    std::size_t cols = 0;
    for (const ImageTerms& it : all)
      for (double w : it.outer.weights) cols += (w * sign > 0);
    if (cols == 0) continue;
    std::vector<double>& s = ws.dense;  // row-major K x cols
    s.assign(kk * cols, 0.0);
    std::size_t c = 0;
    for (const ImageTerms& it : all) {
      const RankOneTerms& r = it.outer;
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

// Chooses the dense path when it does fewer operations, counting a scattered
// update as ~16 flop (a cache miss against FMAs at full vector width).
bool outer_prefers_dense(const std::vector<ImageTerms>& all, int k, OuterProducts policy) {
  if (policy != OuterProducts::kAuto) return policy == OuterProducts::kDense;
  double sparse = 0, dense = 0;
  for (const ImageTerms& it : all) {
    const RankOneTerms& r = it.outer;
    for (std::size_t t = 0; t < r.weights.size(); ++t) {
      const double nnz = r.starts[t + 1] - r.starts[t];
      sparse += 16.0 * nnz * nnz;
      dense += static_cast<double>(k) * k;
    }
  }
  return dense > 0 && dense < sparse;
}

}  // namespace

SmtStatistics::SmtStatistics(int dict_size, bool diagonal_v, OperatorSpec spec)
    : k_(dict_size), diagonal_v_(diagonal_v), spec_(spec) {
  SMT_CHECK(dict_size >= 1, "statistics need a dictionary");
  const std::size_t kk = static_cast<std::size_t>(k_) * k_;
  v_.assign(diagonal_v ? static_cast<std::size_t>(k_) : kk, 0.0);
  l_.assign(kk, 0.0);
}

void SmtStatistics::add_images(const std::vector<const PatchCodes*>& images, int gh, int gw,
                               const Context& ctx) {
  const int n_img = static_cast<int>(images.size());
  if (n_img == 0) return;
  const int threads = ctx.num_threads();
  const int npatch = gh * gw;
  const int w = spec_.neighborhood;
  const bool whole = w < 0 || (w >= gh && w >= gw);
  const bool second = spec_.op == Operator::kSecond;
  // Chunks bound the memory of the generated terms.
  const int chunk = std::max(threads * 8, 128);
  // Checked here: exceptions must not escape the parallel region below.
  for (const PatchCodes* codes : images)
    SMT_CHECK(codes->num_patches() == npatch, "image has ", codes->num_patches(),
              " coded patches, expected ", npatch, " (", gh, "x", gw, " grid)");
  // a_full: the factor of sum alpha alpha^T in L for an image whose patches
  // are all included (see the closed form below).
  const double np = npatch;
  const double a_full = npatch < 2 ? 0.0 : second ? (np / (np - 1)) * (np / (np - 1)) : np;
  const bool v_feeds_l = whole && !diagonal_v_;
  if (!work_) work_ = std::make_shared<Workspace>();
  Workspace& ws = *work_;
  std::vector<ImageTerms>& terms = ws.terms;
  for (int c0 = 0; c0 < n_img; c0 += chunk) {
    const int cn = std::min(chunk, n_img - c0);
    terms.resize(cn);
    for (ImageTerms& t : terms) t.clear();
    std::int64_t added_patches = 0;
#pragma omp parallel num_threads(threads) reduction(+ : added_patches)
    {
      SparseVec acc(k_), acc2(k_);
      std::vector<char> on(npatch);
#pragma omp for schedule(dynamic, 1)
      for (int ii = 0; ii < cn; ++ii) {
        const PatchCodes& codes = *images[c0 + ii];
        ImageTerms& out = terms[ii];
        added_patches += npatch;
        int n_on = 0;
        for (int p = 0; p < npatch; ++p) {
          on[p] = codes.end(p) > codes.begin(p) &&
                  !(codes.fallback[p] && spec_.zero_code == ZeroCode::kDrop);
          n_on += on[p];
        }
        // V: alpha_p alpha_p^T for every included patch. Under the whole
        // window these terms also carry a_full alpha alpha^T into L, except
        // for images too small to have an operator column.
        const bool degenerate = v_feeds_l && n_on < 2;
        for (int p = 0; p < npatch; ++p) {
          if (!on[p]) continue;
          if (diagonal_v_) {
            for (auto e = codes.begin(p); e < codes.end(p); ++e) {
              const double a = codes.value(p, e);
              out.v.diagonal.emplace_back(codes.atoms[e], a * a);
            }
          } else if (codes.values.empty()) {
            (degenerate ? out.gram_only : out.gram_patches).push_back(p);
          } else {
            RankOneTerms& dst = degenerate ? out.v_only : out.v;
            add_patch(acc, codes, p, 1.0);
            acc.flush_to(dst);
            dst.close_term(1.0);
          }
        }
        if (whole) {
          // Closed form over the whole image with n included patches and
          // S = sum_p alpha_p:
          //   second derivative: (n/(n-1))^2 sum alpha alpha^T - n/(n-1)^2 S S^T
          //   first derivative:  n sum alpha alpha^T - S S^T
          // For dense V the sum alpha alpha^T part reaches L through V's pass,
          // scaled by a_full (the factor of an image with every patch
          // included); only images with fewer included patches add a
          // correction here.
          const double n = n_on;
          const double a = n_on < 2 ? 0.0 : second ? (n / (n - 1)) * (n / (n - 1)) : n;
          if (n_on >= 2)
            out.columns = second ? n_on : static_cast<std::int64_t>(n_on) * (n_on - 1) / 2;
          if (!diagonal_v_ && n_on >= 2 && a != a_full) {
            for (int p = 0; p < npatch; ++p) {
              if (!on[p]) continue;
              add_patch(acc, codes, p, 1.0);
              acc.flush_to(out.l);
              out.l.close_term(a - a_full);
            }
          }
          if (n_on < 2) continue;
          const double b = second ? n / ((n - 1) * (n - 1)) : 1.0;
          for (int p = 0; p < npatch; ++p) {
            if (!on[p]) continue;
            if (diagonal_v_) {
              for (auto e = codes.begin(p); e < codes.end(p); ++e) {
                const double v = codes.value(p, e);
                out.l.diagonal.emplace_back(codes.atoms[e], a * v * v);
              }
            }
            add_patch(acc2, codes, p, 1.0);
          }
          acc2.flush_to(out.outer);
          out.outer.close_term(-b);
          continue;
        }
        // Explicit columns over a (2w+1)^2 window of the grid.
        for (int i = 0; i < gh; ++i) {
          for (int j = 0; j < gw; ++j) {
            const int p = i * gw + j;
            if (!on[p]) continue;
            const int i0 = std::max(0, i - w), i1 = std::min(gh - 1, i + w);
            const int j0 = std::max(0, j - w), j1 = std::min(gw - 1, j + w);
            if (second) {
              int m = 0;
              for (int a = i0; a <= i1; ++a)
                for (int b = j0; b <= j1; ++b) m += (a * gw + b != p) && on[a * gw + b];
              if (m == 0) continue;
              const double inv = 1.0 / m;
              for (int a = i0; a <= i1; ++a) {
                for (int b = j0; b <= j1; ++b) {
                  const int q = a * gw + b;
                  if (q == p || !on[q]) continue;
                  add_patch(acc, codes, q, -inv);
                }
              }
              add_patch(acc, codes, p, 1.0);
              acc.flush_to(out.l);
              out.l.close_term(1.0);
              ++out.columns;
            } else {
              // One column e_p - e_q per unordered pair: q after p in grid order.
              for (int a = i0; a <= i1; ++a) {
                for (int b = j0; b <= j1; ++b) {
                  const int q = a * gw + b;
                  if (q <= p || !on[q]) continue;
                  add_patch(acc, codes, p, 1.0);
                  add_patch(acc, codes, q, -1.0);
                  acc.flush_to(out.l);
                  out.l.close_term(1.0);
                  ++out.columns;
                }
              }
            }
          }
        }
      }
    }
    patches_ += added_patches;
    apply_terms(terms, &ImageTerms::v, ws, v_, k_, diagonal_v_, threads, v_feeds_l ? &l_ : nullptr,
                a_full);
    apply_terms(terms, &ImageTerms::v_only, ws, v_, k_, diagonal_v_, threads);
    apply_binary_gram(images, c0, terms, &ImageTerms::gram_patches, ws, v_, k_, threads,
                      v_feeds_l ? &l_ : nullptr, a_full);
    apply_binary_gram(images, c0, terms, &ImageTerms::gram_only, ws, v_, k_, threads, nullptr, 0);
    apply_terms(terms, &ImageTerms::l, ws, l_, k_, false, threads);
    if (outer_prefers_dense(terms, k_, outer_policy_)) {
      apply_outer_dense(terms, ws, l_, k_);
    } else {
      apply_terms(terms, &ImageTerms::outer, ws, l_, k_, false, threads);
    }
    for (const auto& t : terms) columns_ += t.columns;
  }
  images_ += n_img;
}

void SmtStatistics::merge(const SmtStatistics& o) {
  SMT_CHECK(o.k_ == k_ && o.diagonal_v_ == diagonal_v_ && o.spec_.op == spec_.op &&
                o.spec_.neighborhood == spec_.neighborhood,
            "cannot merge statistics of different shapes or operators");
  for (std::size_t i = 0; i < v_.size(); ++i) v_[i] += o.v_[i];
  for (std::size_t i = 0; i < l_.size(); ++i) l_[i] += o.l_[i];
  patches_ += o.patches_;
  images_ += o.images_;
  columns_ += o.columns_;
}

std::vector<double> SmtStatistics::dense_v() const {
  const std::size_t k = k_;
  std::vector<double> d(k * k, 0.0);
  const double inv_m = patches_ > 0 ? 1.0 / static_cast<double>(patches_) : 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    if (diagonal_v_) {
      d[i * k + i] = v_[i] * inv_m;
      continue;
    }
    for (std::size_t j = i; j < k; ++j) d[i * k + j] = d[j * k + i] = v_[i * k + j] * inv_m;
  }
  return d;
}

std::vector<double> SmtStatistics::dense_l() const {
  const std::size_t k = k_;
  std::vector<double> d(k * k, 0.0);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = i; j < k; ++j) d[i * k + j] = d[j * k + i] = l_[i * k + j];
  return d;
}

void SmtStatistics::release() {
  std::vector<double>().swap(v_);
  std::vector<double>().swap(l_);
  work_.reset();
}

}  // namespace smt
