// The embedding map P (docs/algorithm.md steps 9-10): rows are the generalized
// eigenvectors of L u = lambda (V + eps I) u with the smallest eigenvalues
// after `skip`; beta_p = P alpha_p / ||P alpha_p||.
#pragma once

#include <string>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/stages/eigen_solver.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

class SmtStatistics;
class SectionWriter;
class SectionReader;

struct ProjectionReport {
  int active_atoms = 0;             // atoms used by at least one training patch
  double v_reg = 0;                 // absolute eps added to V's diagonal
  std::vector<double> eigenvalues;  // skip + d smallest, ascending (skipped ones first)
  std::string method;
  int iterations = 0;
  double max_rel_residual = 0;
};

class Projection {
 public:
  Projection() = default;
  // by_atom: dict_size x embed_dim, row k = column k of P.
  Projection(int dict_size, int embed_dim, std::vector<float> by_atom,
             std::vector<double> eigenvalues);

  // Solves the eigenproblem. Consumes the statistics' accumulators (they are
  // reused in place as solver workspace, keeping peak memory at one K x K
  // matrix under vector quantisation).
  static Projection fit(SmtStatistics&& stats, int embed_dim, int skip, double v_reg,
                        EigenMethod method, const Context& ctx, ProjectionReport* report,
                        double eigen_tol = 1e-9);

  int dict_size() const { return k_; }
  int embed_dim() const { return d_; }
  const std::vector<float>& by_atom() const { return p_; }
  const std::vector<double>& eigenvalues() const { return eigenvalues_; }  // the kept d

  // beta (n x d) for the n coded patches: P alpha_p, L2-normalised (a patch
  // without atoms gives a zero row).
  // Uses the atom-major AVX2 kernel when the codes have several atoms per
  // patch and the CPU has AVX2+FMA, else embed_reference.
  void embed(const PatchCodes& codes, float* beta) const;
  // The plain per-patch loop: the portable path and the reference embed() is
  // tested against (equal up to float rounding).
  void embed_reference(const PatchCodes& codes, float* beta) const;

  void save(SectionWriter& w) const;
  static Projection load(const SectionReader& r);

 private:
  int k_ = 0, d_ = 0;
  std::vector<float> p_;
  std::vector<float> p_tiles_;  // p_ rearranged for the atom-major kernel
  std::vector<double> eigenvalues_;
};

}  // namespace smt
