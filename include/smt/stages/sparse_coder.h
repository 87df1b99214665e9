// Sparse codes of whitened patches against the dictionary (docs/algorithm.md step 6),
// computed as blocked matrix products whose tiles are thresholded while hot in
// cache: the full atoms x patches similarity matrix never exists.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "smt/core/config.h"
#include "smt/stages/dictionary.h"

namespace smt {

namespace kernel {
struct PackedAtoms;
}

// Codes of a run of patches in compressed-row form. Patch p's active atoms are
// atoms[offsets[p] .. offsets[p+1]); their normalised values alpha sum to 1.
struct PatchCodes {
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::uint16_t> atoms;
  // Empty for binary codes, where each active atom of patch p weighs
  // 1 / (number of active atoms): codes stay 2 bytes an entry.
  std::vector<float> values;
  // 1 when patch p had no atom over the threshold and holds its argmax atom
  // instead (a "zero-code" patch). Always 0 under vector quantisation.
  std::vector<std::uint8_t> fallback;

  int num_patches() const { return static_cast<int>(offsets.size()) - 1; }
  std::uint32_t begin(int p) const { return offsets[p]; }
  std::uint32_t end(int p) const { return offsets[p + 1]; }
  float value(int p, std::uint32_t e) const {
    return values.empty() ? 1.0f / static_cast<float>(end(p) - begin(p)) : values[e];
  }
  void clear() {
    offsets.assign(1, 0);
    atoms.clear();
    values.clear();
    fallback.clear();
  }
  std::size_t bytes() const {
    return offsets.capacity() * 4 + atoms.capacity() * 2 + values.capacity() * 4 +
           fallback.capacity();
  }
};

// Appends the patches of `more` after those of `codes` (one longer run).
void append_codes(PatchCodes& codes, const PatchCodes& more);

class SparseCoder {
 public:
  // allow_fused: use the fused AVX2+FMA kernel when the CPU has it; false
  // forces the portable BLAS path (tests compare the two).
  // The coder shares the dictionary, so it stays valid whatever happens to the
  // caller's copy; the first form copies it.
  SparseCoder(const Dictionary& dictionary, double threshold, CodeValues values,
              bool allow_fused = true);
  SparseCoder(std::shared_ptr<const Dictionary> dictionary, double threshold, CodeValues values,
              bool allow_fused = true);

  bool fused() const { return packed_ != nullptr; }

  bool vector_quantization() const { return threshold_ >= 1.0; }

  // Codes n whitened patches (n x dim, row-major), appending to out. Not
  // thread-safe across calls sharing `scratch`; use one scratch per thread.
  struct Scratch {
    std::vector<float> sims, best;
    std::vector<int> best_atom;
    std::vector<std::vector<std::pair<std::uint16_t, float>>> active;
  };
  void encode(const float* patches, int n, PatchCodes& out, Scratch& scratch) const;

  // Floating-point operations of encode() for n patches (for GFLOP/s reports).
  double flops(std::int64_t n) const {
    return 2.0 * static_cast<double>(n) * dictionary_->size() * dictionary_->dim();
  }

 private:
  void encode_blas(const float* patches, int n, Scratch& scratch) const;

  std::shared_ptr<const Dictionary> dictionary_;
  float threshold_;
  CodeValues values_;
  std::shared_ptr<const kernel::PackedAtoms> packed_;  // null: BLAS path
};

// The plain reference: full similarity matrix, per-patch loops. Tests compare
// the blocked coder against it.
PatchCodes encode_reference(const Dictionary& dictionary, double threshold, CodeValues values,
                            const float* patches, int n);

}  // namespace smt
