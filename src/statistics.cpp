#include "smt/statistics.h"

#include <omp.h>

#include <algorithm>

#include "smt/error.h"

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
  std::int64_t columns = 0;
};

// Applies sum_t w_t v_t v_t^T (upper triangle) and the diagonal parts of a
// chunk of images to m. Scattered updates into a K x K matrix miss the cache
// on every access, so the entries are first bucketed by row; each row is then
// accumulated in a private, cache-resident K-vector and added to the matrix
// once. Every row sums its contributions in (image, term, entry) order, so the
// result does not depend on the thread count.
void apply_terms(const std::vector<ImageTerms>& all, bool for_v, std::vector<double>& m, int k,
                 bool diagonal_only, int threads) {
  const std::size_t kk = static_cast<std::size_t>(k);
  for (const ImageTerms& it : all) {
    for (const auto& [i, x] : (for_v ? it.v : it.l).diagonal)
      m[diagonal_only ? i : i * kk + i] += x;
  }
  if (diagonal_only) return;
  // Flatten the chunk's terms.
  std::vector<std::pair<std::uint32_t, double>> entries;
  std::vector<std::uint32_t> term_end;  // entries of term t end at term_end[t]
  std::vector<double> weight;
  for (const ImageTerms& it : all) {
    const RankOneTerms& r = for_v ? it.v : it.l;
    for (std::size_t t = 0; t < r.weights.size(); ++t) {
      entries.insert(entries.end(), r.entries.begin() + r.starts[t],
                     r.entries.begin() + r.starts[t + 1]);
      term_end.push_back(static_cast<std::uint32_t>(entries.size()));
      weight.push_back(r.weights[t]);
    }
  }
  if (entries.empty()) return;
  // Bucket (term, entry position) by the entry's row.
  std::vector<std::uint32_t> start(kk + 1, 0);
  for (const auto& e : entries) ++start[e.first + 1];
  for (std::size_t i = 0; i < kk; ++i) start[i + 1] += start[i];
  std::vector<std::uint32_t> item_pos(entries.size()), item_term(entries.size());
  {
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    std::uint32_t t = 0;
    for (std::uint32_t a = 0; a < entries.size(); ++a) {
      while (a >= term_end[t]) ++t;
      const std::uint32_t slot = fill[entries[a].first]++;
      item_pos[slot] = a;
      item_term[slot] = t;
    }
  }
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> acc(kk, 0.0);
    std::vector<char> mark(kk, 0);
    std::vector<std::uint32_t> touched;
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < k; ++i) {
      if (start[i] == start[i + 1]) continue;
      for (std::uint32_t s = start[i]; s < start[i + 1]; ++s) {
        const std::uint32_t a = item_pos[s], t = item_term[s];
        const double wi = weight[t] * entries[a].second;
        for (std::uint32_t c = a; c < term_end[t]; ++c) {
          const std::uint32_t j = entries[c].first;
          if (!mark[j]) {
            mark[j] = 1;
            touched.push_back(j);
          }
          acc[j] += wi * entries[c].second;
        }
      }
      double* row = m.data() + static_cast<std::size_t>(i) * kk;
      for (std::uint32_t j : touched) {
        row[j] += acc[j];
        acc[j] = 0.0;
        mark[j] = 0;
      }
      touched.clear();
    }
  }
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
  std::vector<ImageTerms> terms;
  for (int c0 = 0; c0 < n_img; c0 += chunk) {
    const int cn = std::min(chunk, n_img - c0);
    terms.assign(cn, ImageTerms{});
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
        // V: alpha_p alpha_p^T for every included patch.
        for (int p = 0; p < npatch; ++p) {
          if (!on[p]) continue;
          if (diagonal_v_) {
            for (auto e = codes.begin(p); e < codes.end(p); ++e) {
              const double a = codes.value(p, e);
              out.v.diagonal.emplace_back(codes.atoms[e], a * a);
            }
          } else {
            add_patch(acc, codes, p, 1.0);
            acc.flush_to(out.v);
            out.v.close_term(1.0);
          }
        }
        if (whole) {
          // Closed form over the whole image with n included patches and
          // S = sum_p alpha_p:
          //   second derivative: (n/(n-1))^2 sum alpha alpha^T - n/(n-1)^2 S S^T
          //   first derivative:  n sum alpha alpha^T - S S^T
          if (n_on < 2) continue;
          const double n = n_on;
          const double a = second ? (n / (n - 1)) * (n / (n - 1)) : n;
          const double b = second ? n / ((n - 1) * (n - 1)) : 1.0;
          out.columns = second ? n_on : static_cast<std::int64_t>(n_on) * (n_on - 1) / 2;
          for (int p = 0; p < npatch; ++p) {
            if (!on[p]) continue;
            if (diagonal_v_) {
              for (auto e = codes.begin(p); e < codes.end(p); ++e) {
                const double v = codes.value(p, e);
                out.l.diagonal.emplace_back(codes.atoms[e], a * v * v);
              }
            } else {
              add_patch(acc, codes, p, 1.0);
              acc.flush_to(out.l);
              out.l.close_term(a);
            }
            add_patch(acc2, codes, p, 1.0);
          }
          acc2.flush_to(out.l);
          out.l.close_term(-b);
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
    apply_terms(terms, true, v_, k_, diagonal_v_, threads);
    apply_terms(terms, false, l_, k_, false, threads);
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
}

}  // namespace smt
