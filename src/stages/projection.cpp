#include "smt/stages/projection.h"

#include <cmath>

#include "kernels/coding_kernel.h"
#include "kernels/projection_kernel.h"
#include "smt/core/error.h"
#include "smt/io/binary_format.h"
#include "smt/stages/statistics.h"

namespace smt {

Projection::Projection(int dict_size, int embed_dim, std::vector<float> by_atom,
                       std::vector<double> eigenvalues)
    : k_(dict_size), d_(embed_dim), p_(std::move(by_atom)), eigenvalues_(std::move(eigenvalues)) {
  SMT_CHECK(p_.size() == static_cast<std::size_t>(k_) * d_, "projection holds ", p_.size(),
            " values, expected ", k_, " x ", d_);
  p_tiles_ = kernel::tile_projection(p_.data(), k_, d_);
}

Projection Projection::fit(SmtStatistics&& stats, int embed_dim, int skip, double v_reg,
                           EigenMethod method, const Context& ctx, ProjectionReport* report,
                           double eigen_tol) {
  stats.release_workspace();  // the solver needs the memory more
  const int k = stats.dict_size();
  const bool diag = stats.diagonal_v();
  SMT_CHECK(stats.num_patches() > 0, "no training patches were accumulated");
  const double inv_m = 1.0 / static_cast<double>(stats.num_patches());
  std::vector<double>& v = stats.v_sum();
  std::vector<double>& l = stats.l_upper();
  auto v_at = [&](std::size_t i) { return diag ? v[i] : v[i * k + i]; };
  // Atoms no training patch uses have zero rows in V and L: each would be a
  // spurious zero-eigenvalue solution, so they are left out of the problem
  // and get zero columns in P.
  std::vector<int> active;
  double trace_v = 0;
  for (int i = 0; i < k; ++i) {
    if (v_at(i) > 0) active.push_back(i);
    trace_v += v_at(i) * inv_m;
  }
  const int n = static_cast<int>(active.size());
  const int m = skip + embed_dim;
  SMT_CHECK(m < n, "only ", n, " of ", k,
            " dictionary atoms are used by the training patches, "
            "too few for ",
            param("skip"), " ", skip, " + ", param("embed-dim"), " ", embed_dim, ": lower ",
            param("embed-dim"), ", use more training images or a smaller ", param("dict-size"));
  const double eps = v_reg * trace_v / k;
  // Compact to the active atoms in place. Row-major upper == column-major
  // lower; new positions never overtake the old ones, so a forward copy is safe.
  auto compact = [&](std::vector<double>& a, double scale, double add_diag) {
    for (int c = 0; c < n; ++c) {
      for (int r = c; r < n; ++r) {
        const double x = a[static_cast<std::size_t>(active[c]) * k + active[r]] * scale;
        a[static_cast<std::size_t>(c) * n + r] = x + (r == c ? add_diag : 0.0);
      }
    }
  };
  compact(l, 1.0, 0.0);
  if (diag) {
    for (int i = 0; i < n; ++i) v[i] = v[active[i]] * inv_m + eps;
  } else {
    compact(v, inv_m, eps);
  }
  ctx.log(str_cat("eigenproblem: ", n, " active atoms of ", k, ", ", m, " smallest eigenpairs, V ",
                  diag ? "diagonal" : "dense"));
  EigenResult eig = solve_smallest_eigenpairs(n, l, v, diag, m, method, ctx, eigen_tol);
  stats.release();
  std::vector<float> by_atom(static_cast<std::size_t>(k) * embed_dim, 0.0f);
  for (int j = 0; j < embed_dim; ++j) {
    const double* u = eig.vectors.data() + static_cast<std::size_t>(skip + j) * n;
    for (int r = 0; r < n; ++r)
      by_atom[static_cast<std::size_t>(active[r]) * embed_dim + j] = static_cast<float>(u[r]);
  }
  if (report) {
    report->active_atoms = n;
    report->v_reg = eps;
    report->eigenvalues = eig.values;
    report->method = eig.method;
    report->iterations = eig.iterations;
    report->max_rel_residual = eig.max_rel_residual;
  }
  return Projection(k, embed_dim, std::move(by_atom),
                    std::vector<double>(eig.values.begin() + skip, eig.values.end()));
}

namespace {

// beta_p <- beta_p / ||beta_p|| for the n rows (zero rows stay zero).
void normalize_rows(float* beta, int n, int d) {
  for (int p = 0; p < n; ++p) {
    float* b = beta + static_cast<std::size_t>(p) * d;
    double ss = 0;
    for (int j = 0; j < d; ++j) ss += static_cast<double>(b[j]) * b[j];
    const float inv = ss > 0 ? static_cast<float>(1.0 / std::sqrt(ss)) : 0.0f;
    for (int j = 0; j < d; ++j) b[j] *= inv;
  }
}

}  // namespace

void Projection::embed(const PatchCodes& codes, float* beta) const {
  static const bool kernel_ok = kernel::fused_available();  // AVX2 + FMA
  const int n = codes.num_patches();
  // One or two atoms per patch (vector quantisation) read each column of P
  // about once per image anyway; the atom-major kernel pays off above that.
  if (!kernel_ok || p_tiles_.empty() || codes.atoms.size() < 2 * static_cast<std::size_t>(n)) {
    embed_reference(codes, beta);
    return;
  }
  thread_local kernel::EmbedScratch scratch;
  kernel::embed_atom_major(codes.offsets.data(), n, codes.atoms.data(),
                           codes.values.empty() ? nullptr : codes.values.data(), p_tiles_.data(),
                           k_, d_, beta, scratch);
  normalize_rows(beta, n, d_);
}

void Projection::embed_reference(const PatchCodes& codes, float* beta) const {
  const int n = codes.num_patches();
  for (int p = 0; p < n; ++p) {
    float* b = beta + static_cast<std::size_t>(p) * d_;
    std::fill(b, b + d_, 0.0f);
    for (auto e = codes.begin(p); e < codes.end(p); ++e) {
      const float a = codes.value(p, e);
      const float* col = p_.data() + static_cast<std::size_t>(codes.atoms[e]) * d_;
      for (int j = 0; j < d_; ++j) b[j] += a * col[j];
    }
  }
  normalize_rows(beta, n, d_);
}

void Projection::save(SectionWriter& w) const {
  w.add_i64("projection.dict_size", k_);
  w.add_i64("projection.embed_dim", d_);
  w.add_array("projection.by_atom", p_);
  w.add_array("projection.eigenvalues", eigenvalues_);
}

Projection Projection::load(const SectionReader& r) {
  const std::int64_t k = r.i64("projection.dict_size"), d = r.i64("projection.embed_dim");
  SMT_CHECK(k >= 1 && k <= 65536 && d >= 1 && d <= 65536, "model file: invalid projection shape ",
            k, " x ", d);
  return Projection(static_cast<int>(k), static_cast<int>(d),
                    r.array<float>("projection.by_atom", static_cast<std::size_t>(k * d)),
                    r.array<double>("projection.eigenvalues", static_cast<std::size_t>(d)));
}

}  // namespace smt
