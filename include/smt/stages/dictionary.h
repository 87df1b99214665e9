// The dictionary Phi of K unit-norm atoms (docs/algorithm.md step 5): greedy
// cosine-threshold selection of training patches, spherical k-means, or the
// online 1-sparse heuristic.
#pragma once

#include <cstdint>
#include <vector>

#include "smt/core/config.h"
#include "smt/core/context.h"

namespace smt {

class PatchSource;
class SectionWriter;
class SectionReader;

class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(int size, int dim, std::vector<float> atoms);

  // Greedy: visit training patches in a seeded random order and accept a patch
  // whose cosine with every accepted atom is <= threshold, until `size` atoms.
  // Throws, naming the count reached, when max_candidates patches were seen
  // (or the set is exhausted) first.
  static Dictionary fit_greedy(const PatchSource& patches, int size, double threshold,
                               std::int64_t max_candidates, const Context& ctx);
  // Mini-batch spherical k-means started from the greedy selection with
  // init_threshold; per-atom learning rate 1/count; atoms that never win a
  // patch move to the batch's worst-represented patches.
  static Dictionary fit_kmeans(const PatchSource& patches, int size, int iterations, int batch,
                               double init_threshold, const Context& ctx);
  // Online 1-sparse heuristic: seeded random patches as the start; then
  // `samples` seeded patch draws in mini-batches of `batch`, each patch won by
  // its nearest atom by cosine, which moves to the running mean of the
  // patches it has won (renormalised); atoms that stop winning are replaced
  // by the worst-represented patches. Deterministic for a given seed.
  static Dictionary fit_online(const PatchSource& patches, int size, std::int64_t samples,
                               int batch, const Context& ctx);
  static Dictionary fit(const PatchSource& patches, const Config& config, const Context& ctx);

  int size() const { return size_; }
  int dim() const { return dim_; }
  // size() x dim(), row k is atom k (unit norm).
  const std::vector<float>& atoms() const { return atoms_; }
  const float* atom(int k) const { return atoms_.data() + static_cast<std::size_t>(k) * dim_; }

  void save(SectionWriter& w) const;
  static Dictionary load(const SectionReader& r);

 private:
  int size_ = 0;
  int dim_ = 0;
  std::vector<float> atoms_;
};

}  // namespace smt
