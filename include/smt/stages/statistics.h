// The two K x K statistics of the SMT objective (pipeline steps 7-8),
// accumulated image by image without ever forming the code matrix A or the
// differential operator D:
//   V = (1/M) sum_p alpha_p alpha_p^T            (M = all training patches)
//   L = sum_images sum_columns (A d)(A d)^T       (d: columns of D for the image)
// Mergeable: fit on shards, merge(), solve once.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/stages/sparse_coder.h"

namespace smt {

class SectionWriter;
class SectionReader;
class Communicator;

struct OperatorSpec {
  Operator op = Operator::kSecond;
  int neighborhood = -1;                 // half-size in patches; -1: whole image
  ZeroCode zero_code = ZeroCode::kDrop;  // what fallback (zero-code) patches do in training
};

// How the whole-image term S S^T is accumulated: scattered sparse updates, or
// one BLAS-3 rank update per batch of images (cheaper once S holds more than
// about a quarter of the atoms, as under threshold coding). kAuto picks per
// batch; the others exist for tests and benchmarks.
enum class OuterProducts { kAuto, kSparse, kDense };

class SmtStatistics {
 public:
  SmtStatistics() = default;
  // diagonal_v: codes are one-hot (vector quantisation), so V is diagonal and
  // stored as a vector (K doubles instead of K^2).
  SmtStatistics(int dict_size, bool diagonal_v, OperatorSpec spec);

  // Adds images whose patches lie on a grid_h x grid_w grid. Parallel inside;
  // the result depends only on the order of `images`, not on the thread count.
  // Every image's codes are checked first (grid_h * grid_w patches with
  // fallback flags, monotone offsets, values sized like atoms when given,
  // distinct atoms below dict_size() in each patch, one-hot codes when V is
  // diagonal): smt::Error names the image and the fault, and nothing is added.
  void add_images(const std::vector<const PatchCodes*>& images, int grid_h, int grid_w,
                  const Context& ctx);
  // Adds ordered sequences (trajectories, video frames, time series): each
  // PatchCodes is one sequence whose patches are its time steps. The operator
  // runs along time only, never across sequences: a sequence of length T is a
  // 1 x T grid, so spec().neighborhood is the half-window in steps and -1 (or
  // >= T) means the whole sequence. Sequences count in num_images(). Real
  // valued codes (values non-empty) with several atoms need dense V
  // (diagonal_v false). Implemented in src/stages/sequence_statistics.cpp.
  void add_sequences(const std::vector<const PatchCodes*>& sequences, const Context& ctx);
  void merge(const SmtStatistics& other);
  // The distributed fit: sums every process's statistics (its shard's
  // images) into root's, counts included; the other processes' are released.
  // The additions follow the communicator's fixed tree, so the bits depend
  // only on the process count. Implemented in statistics_reduce.cpp.
  void reduce_to_root(const Communicator& comm, int root = 0);

  // For checkpoints (model/checkpoint.h): counts, operator and accumulators,
  // L and a dense V as their upper triangles. save() refers to the
  // accumulators instead of copying them: keep the statistics unchanged until
  // the writer has written. load() checks every size and the operator.
  void save(SectionWriter& w) const;
  static SmtStatistics load(const SectionReader& r);

  int dict_size() const { return k_; }
  bool diagonal_v() const { return diagonal_v_; }
  std::int64_t num_patches() const { return patches_; }  // M
  std::int64_t num_images() const { return images_; }
  std::int64_t num_columns() const { return columns_; }  // columns of D used
  const OperatorSpec& spec() const { return spec_; }

  // Raw accumulators: V_sum = M V (K values if diagonal, else K x K), and L;
  // K x K matrices are row-major with only the upper triangle (j >= i) filled.
  std::vector<double>& v_sum() { return v_; }
  std::vector<double>& l_upper() { return l_; }
  const std::vector<double>& v_sum() const { return v_; }
  const std::vector<double>& l_upper() const { return l_; }

  // Full symmetric dense copies (for tests and reports; K^2 doubles each).
  std::vector<double> dense_v() const;  // V = V_sum / M
  std::vector<double> dense_l() const;

  void set_outer_products(OuterProducts policy) { outer_policy_ = policy; }

  // Frees the accumulators.
  void release();
  // Frees add_images' scratch buffers (hundreds of MB for dense codes); a
  // later add_images allocates them again.
  void release_workspace() { work_.reset(); }

  struct Workspace;  // scratch buffers of add_images (copies share it: one thread at a time)

 private:
  int k_ = 0;
  bool diagonal_v_ = false;
  OperatorSpec spec_;
  OuterProducts outer_policy_ = OuterProducts::kAuto;
  std::int64_t patches_ = 0, images_ = 0, columns_ = 0;
  std::vector<double> v_, l_;
  std::shared_ptr<Workspace> work_;
};

}  // namespace smt
