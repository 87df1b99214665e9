// Fused similarity + selection kernel for sparse coding (private to the
// library): computes patch-atom cosines in registers and keeps only what the
// coder needs (running argmax, atoms over the threshold), so no similarity
// tile is written to memory. AVX2+FMA, chosen at run time; the BLAS path in
// sparse_coder.cpp is the portable fallback and the reference it is tested
// against.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace smt::kernel {

// Atoms packed in panels of 8: panel q holds atoms 8q..8q+7 as [dim][8].
// Padded to a multiple of 16 atoms with copies of atom 0 (equal scores lose
// ties to atom 0, so the argmax is unchanged; padding is never "active").
struct PackedAtoms {
  int size = 0;    // real atoms
  int padded = 0;  // multiple of 16
  int dim = 0;
  std::vector<float> data;
};

PackedAtoms pack_atoms(const float* atoms, int size, int dim);

// True when this CPU has AVX2+FMA: it runs fused_code and the embedding kernel
// (projection_kernel.h).
bool fused_available();

// For n patches (n x dim, row-major): best[p] / best_atom[p] become the
// maximum cosine and its atom (ties: lowest atom index). With active != null,
// also appends (atom, cosine) for every atom with cosine >= threshold to
// active[p], in ascending atom order.
void fused_code(const PackedAtoms& atoms, const float* patches, int n, float threshold, float* best,
                int* best_atom, std::vector<std::pair<std::uint16_t, float>>* active);

}  // namespace smt::kernel
