// ZCA whitening of patch vectors with tolerance tau, then L2 normalisation
// (docs/algorithm.md step 4): x <- W x / ||W x||, W = (Sigma + tau I)^(-1/2).
#pragma once

#include <cstdint>
#include <vector>

namespace smt {

class SectionWriter;
class SectionReader;
class PatchSource;
struct Context;

// Streaming first and second moments of patch vectors; mergeable across
// shards (fit on parts, add, solve once).
class MomentAccumulator {
 public:
  explicit MomentAccumulator(int dim = 0);
  // Adds n patch vectors laid out row by row (n x dim).
  void add(const float* patches, std::int64_t n);
  void merge(const MomentAccumulator& other);
  int dim() const { return dim_; }
  std::int64_t count() const { return count_; }
  std::vector<double> mean() const;
  std::vector<double> covariance() const;  // dim x dim, centred, divided by count
  // The raw sums (sum of x: dim; sum of x x^T: dim x dim, upper triangle).
  const std::vector<double>& sums() const { return sum_; }
  const std::vector<double>& outer_sums() const { return outer_; }
  static MomentAccumulator from_sums(int dim, std::int64_t count, std::vector<double> sum,
                                     std::vector<double> outer);

 private:
  int dim_;
  std::int64_t count_ = 0;
  std::vector<double> sum_;    // dim
  std::vector<double> outer_;  // dim x dim, sum of x x^T
};

// The moments of every patch of every image of `source`. Images are summed
// in fixed blocks of 32 whose partial moments are added exactly (in fixed
// point, kernels/exact_sum.h), so the bits depend on neither the thread
// count, the schedule, nor (in a distributed run, ctx.comm: each process sums
// its shard, whose blocks are whole, and the exact sums are exchanged) the
// number of processes.
MomentAccumulator patch_moments(const PatchSource& source, const Context& ctx);

class Whitener {
 public:
  Whitener() = default;
  // W = (Sigma + tol I)^(-1/2) from the accumulated covariance.
  static Whitener fit(const MomentAccumulator& moments, double tol);

  int dim() const { return dim_; }
  const std::vector<float>& matrix() const { return w_; }  // dim x dim, symmetric
  // Eigenvalues of the patch covariance, largest first, from fit(): they say
  // which directions tol damps (those well below it). Empty after load().
  const std::vector<double>& covariance_spectrum() const { return spectrum_; }

  // In place for n patches (n x dim): x <- W x, then x <- x / ||x||. A patch
  // whose whitened norm is below 1e-12 becomes exactly zero (no atom will
  // match it) instead of NaN.
  void apply(float* patches, std::int64_t n) const;

  // with_spectrum: also the covariance spectrum (checkpoints keep it for the
  // fit report; model files do not); load() restores it when present.
  void save(SectionWriter& w, bool with_spectrum = false) const;
  static Whitener load(const SectionReader& r);

 private:
  int dim_ = 0;
  std::vector<float> w_;
  std::vector<double> spectrum_;
};

}  // namespace smt
