#include "coding_kernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace smt::kernel {

namespace {

constexpr int kPatchBlock = 6;    // patches per register block
constexpr int kAtomChunk = 2048;  // atoms per L2-resident chunk (2048 x 36 x 4 B = 288 KB)

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

namespace {

// Cosines of 16 atoms (two packed panels) with 6 patches, written to
// out[6][16]. Twelve named accumulators so that they stay in registers.
__attribute__((target("avx2,fma"))) inline void block16x6(const float* pa, const float* pb,
                                                          const float* const* x, int dim,
                                                          float* out) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4], *x5 = x[5];
  for (int d = 0; d < dim; ++d) {
    const __m256 va = _mm256_loadu_ps(pa + d * 8);
    const __m256 vb = _mm256_loadu_ps(pb + d * 8);
    __m256 xv = _mm256_broadcast_ss(x0 + d);
    c00 = _mm256_fmadd_ps(va, xv, c00);
    c01 = _mm256_fmadd_ps(vb, xv, c01);
    xv = _mm256_broadcast_ss(x1 + d);
    c10 = _mm256_fmadd_ps(va, xv, c10);
    c11 = _mm256_fmadd_ps(vb, xv, c11);
    xv = _mm256_broadcast_ss(x2 + d);
    c20 = _mm256_fmadd_ps(va, xv, c20);
    c21 = _mm256_fmadd_ps(vb, xv, c21);
    xv = _mm256_broadcast_ss(x3 + d);
    c30 = _mm256_fmadd_ps(va, xv, c30);
    c31 = _mm256_fmadd_ps(vb, xv, c31);
    xv = _mm256_broadcast_ss(x4 + d);
    c40 = _mm256_fmadd_ps(va, xv, c40);
    c41 = _mm256_fmadd_ps(vb, xv, c41);
    xv = _mm256_broadcast_ss(x5 + d);
    c50 = _mm256_fmadd_ps(va, xv, c50);
    c51 = _mm256_fmadd_ps(vb, xv, c51);
  }
  _mm256_store_ps(out + 0, c00);
  _mm256_store_ps(out + 8, c01);
  _mm256_store_ps(out + 16, c10);
  _mm256_store_ps(out + 24, c11);
  _mm256_store_ps(out + 32, c20);
  _mm256_store_ps(out + 40, c21);
  _mm256_store_ps(out + 48, c30);
  _mm256_store_ps(out + 56, c31);
  _mm256_store_ps(out + 64, c40);
  _mm256_store_ps(out + 72, c41);
  _mm256_store_ps(out + 80, c50);
  _mm256_store_ps(out + 88, c51);
}

}  // namespace

__attribute__((target("avx2,fma"))) void fused_code(
    const PackedAtoms& A, const float* patches, int n, float threshold, float* best, int* best_atom,
    std::vector<std::pair<std::uint16_t, float>>* active) {
  const int dim = A.dim;
  // Patch rows padded to a multiple of the register block with zeros.
  const int n_pad = (n + kPatchBlock - 1) / kPatchBlock * kPatchBlock;
  std::vector<float> x(static_cast<std::size_t>(n_pad) * dim, 0.0f);
  std::memcpy(x.data(), patches, sizeof(float) * static_cast<std::size_t>(n) * dim);
  // Lane-wise running maxima per patch (8 lanes), reduced at the end.
  std::vector<float> lane_best(static_cast<std::size_t>(n_pad) * 8,
                               -std::numeric_limits<float>::infinity());
  std::vector<int> lane_atom(static_cast<std::size_t>(n_pad) * 8, 0);
  alignas(32) float tile[kPatchBlock * 16];
  const __m256 tv = _mm256_set1_ps(threshold);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int c0 = 0; c0 < A.padded; c0 += kAtomChunk) {
    const int c1 = std::min(A.padded, c0 + kAtomChunk);
    for (int p0 = 0; p0 < n_pad; p0 += kPatchBlock) {
      const float* xr[kPatchBlock];
      for (int j = 0; j < kPatchBlock; ++j)
        xr[j] = x.data() + static_cast<std::size_t>(p0 + j) * dim;
      for (int a0 = c0; a0 < c1; a0 += 16) {
        const float* pa = A.data.data() + static_cast<std::size_t>(a0 / 8) * dim * 8;
        block16x6(pa, pa + static_cast<std::size_t>(dim) * 8, xr, dim, tile);
        const __m256i idx0 = _mm256_add_epi32(_mm256_set1_epi32(a0), lanes);
        const __m256i idx1 = _mm256_add_epi32(idx0, _mm256_set1_epi32(8));
        for (int j = 0; j < kPatchBlock; ++j) {
          float* lb = lane_best.data() + static_cast<std::size_t>(p0 + j) * 8;
          int* la = lane_atom.data() + static_cast<std::size_t>(p0 + j) * 8;
          const __m256 s0 = _mm256_load_ps(tile + j * 16), s1 = _mm256_load_ps(tile + j * 16 + 8);
          __m256 bv = _mm256_loadu_ps(lb);
          __m256 iv = _mm256_castsi256_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(la)));
          // Strict > keeps the earlier atom of a lane on ties.
          __m256 m = _mm256_cmp_ps(s0, bv, _CMP_GT_OQ);
          bv = _mm256_blendv_ps(bv, s0, m);
          iv = _mm256_blendv_ps(iv, _mm256_castsi256_ps(idx0), m);
          m = _mm256_cmp_ps(s1, bv, _CMP_GT_OQ);
          bv = _mm256_blendv_ps(bv, s1, m);
          iv = _mm256_blendv_ps(iv, _mm256_castsi256_ps(idx1), m);
          _mm256_storeu_ps(lb, bv);
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(la), _mm256_castps_si256(iv));
          if (active == nullptr || p0 + j >= n) continue;
          const int bits = _mm256_movemask_ps(_mm256_cmp_ps(s0, tv, _CMP_GE_OQ)) |
                           (_mm256_movemask_ps(_mm256_cmp_ps(s1, tv, _CMP_GE_OQ)) << 8);
          for (int b = bits; b != 0; b &= b - 1) {
            const int lane = __builtin_ctz(static_cast<unsigned>(b));
            const int atom = a0 + lane;
            if (atom < A.size)
              active[p0 + j].emplace_back(static_cast<std::uint16_t>(atom), tile[j * 16 + lane]);
          }
        }
      }
    }
  }
  for (int p = 0; p < n; ++p) {
    const float* lb = lane_best.data() + static_cast<std::size_t>(p) * 8;
    const int* la = lane_atom.data() + static_cast<std::size_t>(p) * 8;
    float b = lb[0];
    int a = la[0];
    for (int l = 1; l < 8; ++l) {
      if (lb[l] > b || (lb[l] == b && la[l] < a)) {
        b = lb[l];
        a = la[l];
      }
    }
    best[p] = b;
    best_atom[p] = a;
  }
}

}  // namespace smt::kernel
