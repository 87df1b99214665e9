#include "coding_kernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace smt::kernel {

namespace {

constexpr int kPatchBlock = 6;     // patches per register block
constexpr int kAtomChunk = 2048;   // atoms per L2-resident chunk (2048 x 36 x 4 B = 288 KB)

}  // namespace

PackedAtoms pack_atoms(const float* atoms, int size, int dim) {
  PackedAtoms p;
  p.size = size;
  p.dim = dim;
  p.padded = (size + 15) / 16 * 16;
  p.data.assign(static_cast<std::size_t>(p.padded) * dim, 0.0f);
  for (int k = 0; k < p.padded; ++k) {
    const float* src = atoms + static_cast<std::size_t>(k < size ? k : 0) * dim;
    float* panel = p.data.data() + static_cast<std::size_t>(k / 8) * dim * 8;
    for (int d = 0; d < dim; ++d) panel[d * 8 + (k % 8)] = src[d];
  }
  return p;
}

bool fused_available() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) void fused_code(
    const PackedAtoms& A, const float* patches, int n, float threshold, float* best,
    int* best_atom, std::vector<std::pair<std::uint16_t, float>>* active) {
  const int dim = A.dim;
  // Patch rows padded to a multiple of the register block with zeros.
  const int n_pad = (n + kPatchBlock - 1) / kPatchBlock * kPatchBlock;
  alignas(32) float tile[8];
  std::vector<float> x(static_cast<std::size_t>(n_pad) * dim, 0.0f);
  std::memcpy(x.data(), patches, sizeof(float) * static_cast<std::size_t>(n) * dim);
  // Per-patch lane state across chunks.
  std::vector<float> state_best(static_cast<std::size_t>(n_pad) * 8,
                                -std::numeric_limits<float>::infinity());
  std::vector<int> state_idx(static_cast<std::size_t>(n_pad) * 8, 0);
  const __m256 tv = _mm256_set1_ps(threshold);
  const __m256i lane_offsets = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int c0 = 0; c0 < A.padded; c0 += kAtomChunk) {
    const int c1 = std::min(A.padded, c0 + kAtomChunk);
    for (int p0 = 0; p0 < n_pad; p0 += kPatchBlock) {
      __m256 bv[kPatchBlock];
      __m256i iv[kPatchBlock];
      for (int j = 0; j < kPatchBlock; ++j) {
        bv[j] = _mm256_loadu_ps(&state_best[static_cast<std::size_t>(p0 + j) * 8]);
        iv[j] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(&state_idx[static_cast<std::size_t>(p0 + j) * 8]));
      }
      const float* xr[kPatchBlock];
      for (int j = 0; j < kPatchBlock; ++j) xr[j] = x.data() + static_cast<std::size_t>(p0 + j) * dim;
      for (int a0 = c0; a0 < c1; a0 += 16) {
        const float* pa = A.data.data() + static_cast<std::size_t>(a0 / 8) * dim * 8;
        const float* pb = pa + static_cast<std::size_t>(dim) * 8;
        __m256 acc0[kPatchBlock], acc1[kPatchBlock];
        for (int j = 0; j < kPatchBlock; ++j) {
          acc0[j] = _mm256_setzero_ps();
          acc1[j] = _mm256_setzero_ps();
        }
        for (int d = 0; d < dim; ++d) {
          const __m256 va = _mm256_loadu_ps(pa + d * 8);
          const __m256 vb = _mm256_loadu_ps(pb + d * 8);
          for (int j = 0; j < kPatchBlock; ++j) {
            const __m256 xv = _mm256_broadcast_ss(xr[j] + d);
            acc0[j] = _mm256_fmadd_ps(va, xv, acc0[j]);
            acc1[j] = _mm256_fmadd_ps(vb, xv, acc1[j]);
          }
        }
        const __m256i idx0 = _mm256_add_epi32(_mm256_set1_epi32(a0), lane_offsets);
        const __m256i idx1 = _mm256_add_epi32(idx0, _mm256_set1_epi32(8));
        for (int j = 0; j < kPatchBlock; ++j) {
          // Strict > keeps the earlier atom of a lane on ties.
          __m256 m = _mm256_cmp_ps(acc0[j], bv[j], _CMP_GT_OQ);
          bv[j] = _mm256_blendv_ps(bv[j], acc0[j], m);
          iv[j] = _mm256_castps_si256(
              _mm256_blendv_ps(_mm256_castsi256_ps(iv[j]), _mm256_castsi256_ps(idx0), m));
          m = _mm256_cmp_ps(acc1[j], bv[j], _CMP_GT_OQ);
          bv[j] = _mm256_blendv_ps(bv[j], acc1[j], m);
          iv[j] = _mm256_castps_si256(
              _mm256_blendv_ps(_mm256_castsi256_ps(iv[j]), _mm256_castsi256_ps(idx1), m));
        }
        if (active) {
          for (int j = 0; j < kPatchBlock; ++j) {
            const int p = p0 + j;
            if (p >= n) break;
            for (int half = 0; half < 2; ++half) {
              const __m256 acc = half ? acc1[j] : acc0[j];
              int bits = _mm256_movemask_ps(_mm256_cmp_ps(acc, tv, _CMP_GE_OQ));
              if (!bits) continue;
              _mm256_store_ps(tile, acc);
              while (bits) {
                const int lane = __builtin_ctz(static_cast<unsigned>(bits));
                bits &= bits - 1;
                const int atom = a0 + half * 8 + lane;
                if (atom < A.size) active[p].emplace_back(static_cast<std::uint16_t>(atom), tile[lane]);
              }
            }
          }
        }
      }
      for (int j = 0; j < kPatchBlock; ++j) {
        _mm256_storeu_ps(&state_best[static_cast<std::size_t>(p0 + j) * 8], bv[j]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(&state_idx[static_cast<std::size_t>(p0 + j) * 8]),
                            iv[j]);
      }
    }
  }
  for (int p = 0; p < n; ++p) {
    const float* lb = &state_best[static_cast<std::size_t>(p) * 8];
    const int* li = &state_idx[static_cast<std::size_t>(p) * 8];
    float b = lb[0];
    int a = li[0];
    for (int l = 1; l < 8; ++l) {
      if (lb[l] > b || (lb[l] == b && li[l] < a)) {
        b = lb[l];
        a = li[l];
      }
    }
    best[p] = b;
    best_atom[p] = a;
  }
}

}  // namespace smt::kernel
