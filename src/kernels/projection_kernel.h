// Atom-major embedding kernel (private to the library): beta = P alpha for all
// patches of one image, visiting each used atom's column of P once per image
// instead of once per patch that uses it. With ~100 active atoms per patch
// (CIFAR at threshold 0.3) the per-patch loop streams the 12 MB P from L3 for
// every patch; here P is read once per image and the slice of beta being
// accumulated stays in L1/L2. AVX2+FMA, chosen at run time
// (kernel::fused_available); Projection's plain loop is the portable fallback
// and the reference it is tested against.
#pragma once

#include <cstdint>
#include <vector>

namespace smt::kernel {

// Reusable buffers of one thread (the atom-major transpose of the codes).
struct EmbedScratch {
  std::vector<std::uint32_t> count;  // per atom, then offsets
  std::vector<std::uint32_t> patch;  // per entry, grouped by atom
  std::vector<float> weight;         // per entry, grouped by atom
  std::vector<std::uint16_t> used;   // atoms with at least one entry, ascending
  std::vector<float> acc;            // n x 16 slice of beta being accumulated
};

// P (k atoms x d, row-major) rearranged for embed_atom_major: for each group
// of 8 columns, the k atoms' 8 values contiguously (k x 8), then the last
// d % 8 columns as k x (d % 8). A pass over one column group then reads P
// sequentially instead of one 32-byte piece of every d-float row.
std::vector<float> tile_projection(const float* p_by_atom, int k, int d);

// beta (n x d, row-major) = sum over entries e of patch p of value[e] * P[atom[e]],
// unnormalised, with P given as tile_projection's output. offsets: n + 1 entry
// offsets; value: per entry (nullptr: 1 / entries of the patch).
void embed_atom_major(const std::uint32_t* offsets, int n, const std::uint16_t* atoms,
                      const float* value, const float* p_tiles, int k, int d, float* beta,
                      EmbedScratch& scratch);

}  // namespace smt::kernel
