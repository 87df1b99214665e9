// SmtStatistics: the per-image terms of V = A A^T and L = A D D^T A^T
// (docs/algorithm.md steps 7-8) for the second- and first-derivative
// operators over a window of the patch grid, or their closed form over the
// whole image. This file is the mathematics: which weighted sparse vectors
// each image contributes. Adding them to the K x K accumulators fast is the
// scatter engine's job (kernels/scatter.h).
#include "smt/stages/statistics.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "kernels/scatter.h"
#include "smt/core/error.h"
#include "smt/core/parallel.h"
#include "smt/io/binary_format.h"

namespace smt {

namespace {

using kernel::RankOneTerms;

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

// What one image adds to V and L.
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

// Per-thread scratch of ImageOperator::terms.
struct TermScratch {
  SparseVec acc, acc2;
  std::vector<char> on;
};

// The operator on one grid shape, and the terms it makes of an image's codes.
struct ImageOperator {
  OperatorSpec spec;
  bool diagonal_v;
  int gh, gw;
  bool whole, second;
  double a_full;   // the factor of sum alpha alpha^T in L when every patch is included
  bool v_feeds_l;  // whole window, dense V: V's terms reach L scaled by a_full

  void terms(const PatchCodes& codes, TermScratch& s, ImageTerms& out) const;
};

void ImageOperator::terms(const PatchCodes& codes, TermScratch& s, ImageTerms& out) const {
  const int npatch = gh * gw;
  const int w = spec.neighborhood;
  SparseVec &acc = s.acc, &acc2 = s.acc2;
  std::vector<char>& on = s.on;
  int n_on = 0;
  for (int p = 0; p < npatch; ++p) {
    on[p] =
        codes.end(p) > codes.begin(p) && !(codes.fallback[p] && spec.zero_code == ZeroCode::kDrop);
    n_on += on[p];
  }
  // V: alpha_p alpha_p^T for every included patch. Under the whole window
  // these terms also carry a_full alpha alpha^T into L, except for images too
  // small to have an operator column.
  const bool degenerate = v_feeds_l && n_on < 2;
  for (int p = 0; p < npatch; ++p) {
    if (!on[p]) continue;
    if (diagonal_v) {
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
    // scaled by a_full (the factor of an image with every patch included);
    // only images with fewer included patches add a correction here.
    const double n = n_on;
    const double a = n_on < 2 ? 0.0 : second ? (n / (n - 1)) * (n / (n - 1)) : n;
    if (n_on >= 2) out.columns = second ? n_on : static_cast<std::int64_t>(n_on) * (n_on - 1) / 2;
    if (!diagonal_v && n_on >= 2 && a != a_full) {
      for (int p = 0; p < npatch; ++p) {
        if (!on[p]) continue;
        add_patch(acc, codes, p, 1.0);
        acc.flush_to(out.l);
        out.l.close_term(a - a_full);
      }
    }
    if (n_on < 2) return;
    const double b = second ? n / ((n - 1) * (n - 1)) : 1.0;
    for (int p = 0; p < npatch; ++p) {
      if (!on[p]) continue;
      if (diagonal_v) {
        for (auto e = codes.begin(p); e < codes.end(p); ++e) {
          const double v = codes.value(p, e);
          out.l.diagonal.emplace_back(codes.atoms[e], a * v * v);
        }
      }
      add_patch(acc2, codes, p, 1.0);
    }
    acc2.flush_to(out.outer);
    out.outer.close_term(-b);
    return;
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

// Checks every image's codes against the grid and the dictionary before
// anything is accumulated (the terms and the scatter engine index by them
// unchecked): O(patches + entries) plus one K-vector.
void check_codes(const std::vector<const PatchCodes*>& images, int gh, int gw, int k,
                 bool diagonal_v) {
  SMT_CHECK(gh >= 0 && gw >= 0 && (gh == 0 || gw <= INT_MAX / gh), "statistics: a ", gh, "x", gw,
            " patch grid is not a grid");
  const int npatch = gh * gw;
  // Per atom: the last patch (counted over all images, from 1) that listed it.
  std::vector<std::size_t> seen(static_cast<std::size_t>(k), 0);
  std::size_t stamp = 0;
  for (std::size_t im = 0; im < images.size(); ++im) {
    SMT_CHECK(images[im] != nullptr, "statistics: image ", im, " is null");
    const PatchCodes& c = *images[im];
    SMT_CHECK(!c.offsets.empty() && c.offsets.front() == 0, "statistics: image ", im,
              ": malformed codes (offsets must start with 0)");
    SMT_CHECK(c.num_patches() == npatch, "statistics: image ", im, " has ", c.num_patches(),
              " coded patches, expected ", npatch, " (", gh, "x", gw, " grid)");
    for (int p = 0; p < npatch; ++p)
      SMT_CHECK(c.begin(p) <= c.end(p), "statistics: image ", im, ": offsets decrease at patch ", p,
                " (", c.begin(p), " then ", c.end(p), ")");
    SMT_CHECK(c.offsets.back() == c.atoms.size(), "statistics: image ", im, ": offsets end at ",
              c.offsets.back(), " but ", c.atoms.size(), " atoms are listed");
    SMT_CHECK(c.values.empty() || c.values.size() == c.atoms.size(), "statistics: image ", im, ": ",
              c.values.size(), " values for ", c.atoms.size(), " atoms");
    SMT_CHECK(c.fallback.size() == static_cast<std::size_t>(npatch), "statistics: image ", im, ": ",
              c.fallback.size(), " fallback flags for ", npatch, " patches");
    for (int p = 0; p < npatch; ++p) {
      // Diagonal V holds only alpha_k^2: exact for one-hot codes alone.
      SMT_CHECK(!diagonal_v || c.end(p) - c.begin(p) <= 1, "statistics: image ", im, " patch ", p,
                " has ", c.end(p) - c.begin(p),
                " atoms, but these statistics keep V diagonal (one-hot codes only)");
      ++stamp;
      for (auto e = c.begin(p); e < c.end(p); ++e) {
        const std::uint16_t a = c.atoms[e];
        SMT_CHECK(a < k, "statistics: image ", im, " patch ", p, ": atom ", a,
                  " outside the dictionary of ", k, " atoms");
        SMT_CHECK(seen[a] != stamp, "statistics: image ", im, " patch ", p, " lists atom ", a,
                  " twice");
        seen[a] = stamp;
      }
    }
  }
}

// The `which` terms of every image of a chunk, for the scatter engine.
std::vector<const RankOneTerms*> lists_of(const std::vector<ImageTerms>& terms,
                                          RankOneTerms ImageTerms::*which) {
  std::vector<const RankOneTerms*> out;
  out.reserve(terms.size());
  for (const ImageTerms& t : terms) out.push_back(&(t.*which));
  return out;
}

// The binary-code patches `list` of every image of a chunk (images from `first`).
std::vector<kernel::BinaryPatches> patches_of(const std::vector<const PatchCodes*>& images,
                                              std::size_t first,
                                              const std::vector<ImageTerms>& terms,
                                              std::vector<int> ImageTerms::*list) {
  std::vector<kernel::BinaryPatches> out;
  out.reserve(terms.size());
  for (std::size_t g = 0; g < terms.size(); ++g)
    out.push_back({images[first + g], &(terms[g].*list)});
  return out;
}

}  // namespace

// The terms of a chunk of images, and the engine's buffers: reused from chunk
// to chunk and call to call.
struct SmtStatistics::Workspace {
  std::vector<ImageTerms> terms;
  kernel::ScatterWorkspace scatter;
};

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
  check_codes(images, gh, gw, k_, diagonal_v_);
  const int threads = ctx.num_threads();
  const int npatch = gh * gw;
  const int w = spec_.neighborhood;
  ImageOperator op{
      spec_, diagonal_v_, gh, gw, w < 0 || (w >= gh && w >= gw), spec_.op == Operator::kSecond,
      0.0,   false};
  // a_full: the factor of sum alpha alpha^T in L for an image whose patches
  // are all included (see the closed form in ImageOperator::terms).
  const double np = npatch;
  op.a_full = npatch < 2 ? 0.0 : op.second ? (np / (np - 1)) * (np / (np - 1)) : np;
  op.v_feeds_l = op.whole && !diagonal_v_;
  std::vector<double>* l_too = op.v_feeds_l ? &l_ : nullptr;
  // Chunks bound the memory of the generated terms.
  const int chunk = std::max(threads * 8, 128);
  if (!work_) work_ = std::make_shared<Workspace>();
  Workspace& ws = *work_;
  std::vector<ImageTerms>& terms = ws.terms;
  for (int c0 = 0; c0 < n_img; c0 += chunk) {
    const int cn = std::min(chunk, n_img - c0);
    terms.resize(cn);
    for (ImageTerms& t : terms) t.clear();
    parallel_for(
        threads, 0, static_cast<std::size_t>(cn), Schedule::dynamic(1),
        [&] {
          return TermScratch{SparseVec(k_), SparseVec(k_), std::vector<char>(npatch)};
        },
        [&](TermScratch& s, std::size_t ii) {
          op.terms(*images[static_cast<std::size_t>(c0) + ii], s, terms[ii]);
        });
    patches_ += static_cast<std::int64_t>(cn) * npatch;
    kernel::ScatterWorkspace& sw = ws.scatter;
    const auto gram = &ImageTerms::gram_patches, gram_only = &ImageTerms::gram_only;
    kernel::apply_terms(lists_of(terms, &ImageTerms::v), sw, v_, k_, diagonal_v_, threads, l_too,
                        op.a_full);
    kernel::apply_terms(lists_of(terms, &ImageTerms::v_only), sw, v_, k_, diagonal_v_, threads);
    kernel::apply_binary_gram(patches_of(images, c0, terms, gram), sw, v_, k_, threads, l_too,
                              op.a_full);
    kernel::apply_binary_gram(patches_of(images, c0, terms, gram_only), sw, v_, k_, threads,
                              nullptr, 0);
    kernel::apply_terms(lists_of(terms, &ImageTerms::l), sw, l_, k_, false, threads);
    const auto outer = lists_of(terms, &ImageTerms::outer);
    const bool dense = outer_policy_ == OuterProducts::kAuto
                           ? kernel::outer_dense_is_cheaper(outer, k_)
                           : outer_policy_ == OuterProducts::kDense;
    if (dense) {
      kernel::apply_outer_dense(outer, sw, l_, k_);
    } else {
      kernel::apply_terms(outer, sw, l_, k_, false, threads);
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

namespace {

// The upper triangle (j >= i) of a row-major k x k matrix, row by row.
void save_upper(SectionWriter& w, const std::string& tag, const std::vector<double>& m, int k) {
  const std::size_t kk = static_cast<std::size_t>(k);
  w.add_produced(tag, kk * (kk + 1) / 2 * sizeof(double), sizeof(double),
                 [&m, kk](const SectionWriter::Sink& sink) {
                   for (std::size_t i = 0; i < kk; ++i)
                     sink(m.data() + i * kk + i, (kk - i) * sizeof(double));
                 });
}

void load_upper(const SectionReader& r, const std::string& tag, std::vector<double>& m, int k) {
  const std::size_t kk = static_cast<std::size_t>(k);
  const char* p = r.array_bytes(tag, sizeof(double), kk * (kk + 1) / 2);
  m.assign(kk * kk, 0.0);
  for (std::size_t i = 0; i < kk; ++i) {
    std::memcpy(m.data() + i * kk + i, p, (kk - i) * sizeof(double));
    p += (kk - i) * sizeof(double);
  }
}

}  // namespace

void SmtStatistics::save(SectionWriter& w) const {
  w.add_i64("statistics.dict_size", k_);
  w.add_i64("statistics.diagonal_v", diagonal_v_ ? 1 : 0);
  w.add_i64("statistics.operator", static_cast<std::int64_t>(spec_.op));
  w.add_i64("statistics.neighborhood", spec_.neighborhood);
  w.add_i64("statistics.zero_code", static_cast<std::int64_t>(spec_.zero_code));
  w.add_i64("statistics.patches", patches_);
  w.add_i64("statistics.images", images_);
  w.add_i64("statistics.columns", columns_);
  if (diagonal_v_) {
    w.add_array("statistics.v", v_);
  } else {
    save_upper(w, "statistics.v", v_, k_);
  }
  save_upper(w, "statistics.l", l_, k_);
}

SmtStatistics SmtStatistics::load(const SectionReader& r) {
  const std::int64_t k = r.i64("statistics.dict_size");
  SMT_CHECK(k >= 1 && k <= 65536, "'", r.path(), "': invalid statistics size ", k);
  const std::int64_t op = r.i64("statistics.operator"), zero = r.i64("statistics.zero_code");
  SMT_CHECK(op == static_cast<std::int64_t>(Operator::kSecond) ||
                op == static_cast<std::int64_t>(Operator::kFirst),
            "'", r.path(), "': invalid operator ", op);
  SMT_CHECK(zero == static_cast<std::int64_t>(ZeroCode::kDrop) ||
                zero == static_cast<std::int64_t>(ZeroCode::kArgmax),
            "'", r.path(), "': invalid zero-code mode ", zero);
  const std::int64_t nb = r.i64("statistics.neighborhood");
  SMT_CHECK(nb >= -1 && nb <= INT_MAX, "'", r.path(), "': invalid neighborhood ", nb);
  OperatorSpec spec{static_cast<Operator>(op), static_cast<int>(nb), static_cast<ZeroCode>(zero)};
  SmtStatistics st;
  st.k_ = static_cast<int>(k);
  st.diagonal_v_ = r.i64("statistics.diagonal_v") != 0;
  st.spec_ = spec;
  st.patches_ = r.i64("statistics.patches");
  st.images_ = r.i64("statistics.images");
  st.columns_ = r.i64("statistics.columns");
  SMT_CHECK(st.patches_ >= 0 && st.images_ >= 0 && st.columns_ >= 0, "'", r.path(),
            "': negative statistics counts");
  if (st.diagonal_v_) {
    st.v_ = r.array<double>("statistics.v", static_cast<std::size_t>(k));
  } else {
    load_upper(r, "statistics.v", st.v_, st.k_);
  }
  load_upper(r, "statistics.l", st.l_, st.k_);
  return st;
}

void SmtStatistics::release() {
  std::vector<double>().swap(v_);
  std::vector<double>().swap(l_);
  work_.reset();
}

}  // namespace smt
