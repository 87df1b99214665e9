#include "kernels/coding_kernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace smt::kernel {

namespace {

constexpr int kPatchBlock = 6;  // patches per register block
// Atoms per chunk: the chunk's panels stay in L2 (sized for 512 KB per core)
// while every patch block of the image streams past them; a chunk larger than
// L2 (2048 atoms x 108 dims = 864 KB) is measurably slower at CIFAR's density.
constexpr std::size_t kChunkBytes = 224 * 1024;

int atom_chunk(int dim) {
  const int atoms = static_cast<int>(kChunkBytes / (sizeof(float) * static_cast<std::size_t>(dim)));
  return std::clamp(atoms / 16 * 16, 16, 4096);
}

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

// Cosines of 16 atoms (two packed panels) with 6 patches, handed to
// epilogue(j, s0, s1) for patch j (atoms 0-7 and 8-15) straight from the
// twelve named accumulators, which stay in registers: no tile round trip
// through memory.
template <class Epilogue>
__attribute__((target("avx2,fma"), always_inline)) inline void block16x6(
    const float* pa, const float* pb, const float* const* x, int dim, Epilogue&& epilogue) {
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
  epilogue(0, c00, c01);
  epilogue(1, c10, c11);
  epilogue(2, c20, c21);
  epilogue(3, c30, c31);
  epilogue(4, c40, c41);
  epilogue(5, c50, c51);
}

// Running lane-wise maxima of patch j over atoms a0..a0+15.
__attribute__((target("avx2,fma"), always_inline)) inline void update_best(__m256 s0, __m256 s1,
                                                                           __m256i idx0,
                                                                           __m256i idx1, float* lb,
                                                                           int* la) {
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
}

// Patch j's bit mask of atoms a0..a0+15 with score >= t; the scores go to
// tile[16 j ..] for the caller's appends (unconditional stores are cheaper
// than a branch per patch). No calls here: a call would clobber the ymm
// registers and force all twelve accumulators onto the stack.
__attribute__((target("avx2,fma"), always_inline)) inline int threshold_mask(__m256 s0, __m256 s1,
                                                                             __m256 tv,
                                                                             float* tile) {
  const int bits = _mm256_movemask_ps(_mm256_cmp_ps(s0, tv, _CMP_GE_OQ)) |
                   (_mm256_movemask_ps(_mm256_cmp_ps(s1, tv, _CMP_GE_OQ)) << 8);
  _mm256_store_ps(tile, s0);
  _mm256_store_ps(tile + 8, s1);
  return bits;
}

// Vector quantisation: lane-wise argmax over all atoms, reduced per patch.
__attribute__((target("avx2,fma"))) void fused_argmax(const PackedAtoms& A, const float* x, int n,
                                                      int n_pad, float* best, int* best_atom) {
  const int dim = A.dim, chunk = atom_chunk(dim);
  std::vector<float> lane_best(static_cast<std::size_t>(n_pad) * 8,
                               -std::numeric_limits<float>::infinity());
  std::vector<int> lane_atom(static_cast<std::size_t>(n_pad) * 8, 0);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int c0 = 0; c0 < A.padded; c0 += chunk) {
    const int c1 = std::min(A.padded, c0 + chunk);
    for (int p0 = 0; p0 < n_pad; p0 += kPatchBlock) {
      const float* xr[kPatchBlock];
      for (int j = 0; j < kPatchBlock; ++j) xr[j] = x + static_cast<std::size_t>(p0 + j) * dim;
      float* lb = lane_best.data() + static_cast<std::size_t>(p0) * 8;
      int* la = lane_atom.data() + static_cast<std::size_t>(p0) * 8;
      for (int a0 = c0; a0 < c1; a0 += 16) {
        const float* pa = A.data.data() + static_cast<std::size_t>(a0 / 8) * dim * 8;
        const __m256i idx0 = _mm256_add_epi32(_mm256_set1_epi32(a0), lanes);
        const __m256i idx1 = _mm256_add_epi32(idx0, _mm256_set1_epi32(8));
        block16x6(
            pa, pa + static_cast<std::size_t>(dim) * 8, xr, dim,
            [&](int j, __m256 s0, __m256 s1) __attribute__((target("avx2,fma"), always_inline)) {
              update_best(s0, s1, idx0, idx1, lb + 8 * j, la + 8 * j);
            });
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

// Thresholded coding: only the compare + movemask per patch and 16 atoms;
// no argmax in the inner loop (measurably slower at CIFAR's density).
__attribute__((target("avx2,fma"))) void fused_threshold(
    const PackedAtoms& A, const float* x, int n, int n_pad, float threshold,
    std::vector<std::pair<std::uint16_t, float>>* active) {
  const int dim = A.dim, chunk = atom_chunk(dim);
  const __m256 tv = _mm256_set1_ps(threshold);
  std::vector<std::pair<std::uint16_t, float>> discard;
  alignas(32) float tile[kPatchBlock * 16];
  for (int c0 = 0; c0 < A.padded; c0 += chunk) {
    const int c1 = std::min(A.padded, c0 + chunk);
    for (int p0 = 0; p0 < n_pad; p0 += kPatchBlock) {
      const float* xr[kPatchBlock];
      std::vector<std::pair<std::uint16_t, float>>* out[kPatchBlock];
      for (int j = 0; j < kPatchBlock; ++j) {
        xr[j] = x + static_cast<std::size_t>(p0 + j) * dim;
        // Zero padding rows can pass a threshold <= 0; their atoms go nowhere.
        out[j] = p0 + j < n ? &active[p0 + j] : &discard;
      }
      for (int a0 = c0; a0 < c1; a0 += 16) {
        const float* pa = A.data.data() + static_cast<std::size_t>(a0 / 8) * dim * 8;
        int bits[kPatchBlock];
        block16x6(
            pa, pa + static_cast<std::size_t>(dim) * 8, xr, dim,
            [&](int j, __m256 s0, __m256 s1) __attribute__((target("avx2,fma"), always_inline)) {
              bits[j] = threshold_mask(s0, s1, tv, tile + 16 * j);
            });
        // Rare at ~2 % density: most tiles end here with six zero masks.
        for (int j = 0; j < kPatchBlock; ++j)
          for (int b = bits[j]; b != 0; b &= b - 1) {
            const int lane = __builtin_ctz(static_cast<unsigned>(b));
            const int atom = a0 + lane;
            if (atom < A.size)
              out[j]->emplace_back(static_cast<std::uint16_t>(atom), tile[16 * j + lane]);
          }
        discard.clear();
      }
    }
  }
}

}  // namespace

void fused_code(const PackedAtoms& A, const float* patches, int n, float threshold, float* best,
                int* best_atom, std::vector<std::pair<std::uint16_t, float>>* active) {
  const int dim = A.dim;
  // Patch rows padded to a multiple of the register block with zeros.
  const int n_pad = (n + kPatchBlock - 1) / kPatchBlock * kPatchBlock;
  std::vector<float> x(static_cast<std::size_t>(n_pad) * dim, 0.0f);
  std::memcpy(x.data(), patches, sizeof(float) * static_cast<std::size_t>(n) * dim);
  if (active == nullptr) {
    fused_argmax(A, x.data(), n, n_pad, best, best_atom);
    return;
  }
  fused_threshold(A, x.data(), n, n_pad, threshold, active);
  // The argmax of a patch with active atoms is its best active atom (the list
  // holds every atom >= t in ascending order, so strict > keeps the lowest
  // index on ties). Patches with none (rare) get a second, argmax-only pass.
  std::vector<int> empty;
  for (int p = 0; p < n; ++p) {
    const auto& act = active[p];
    if (act.empty()) {
      empty.push_back(p);
      continue;
    }
    float b = act[0].second;
    int a = act[0].first;
    for (const auto& e : act)
      if (e.second > b) {
        b = e.second;
        a = e.first;
      }
    best[p] = b;
    best_atom[p] = a;
  }
  if (empty.empty()) return;
  const int m = static_cast<int>(empty.size());
  const int m_pad = (m + kPatchBlock - 1) / kPatchBlock * kPatchBlock;
  std::vector<float> z(static_cast<std::size_t>(m_pad) * dim, 0.0f);
  for (int i = 0; i < m; ++i)
    std::memcpy(z.data() + static_cast<std::size_t>(i) * dim,
                patches + static_cast<std::size_t>(empty[i]) * dim, sizeof(float) * dim);
  std::vector<float> zb(m);
  std::vector<int> za(m);
  fused_argmax(A, z.data(), m, m_pad, zb.data(), za.data());
  for (int i = 0; i < m; ++i) {
    best[empty[i]] = zb[i];
    best_atom[empty[i]] = za[i];
  }
}

}  // namespace smt::kernel
