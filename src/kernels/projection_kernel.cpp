#include "kernels/projection_kernel.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace smt::kernel {

namespace {

// One pass over the used atoms for columns [t0, t0 + 8 V) of beta: V column
// groups per pass share the index and weight loads of each update; the n x 8V
// accumulator (47 KB for 729 patches at V = 2) is contiguous because beta's own
// rows are d floats apart, a stride that folds onto a few L1 sets.
template <int V>
__attribute__((target("avx2,fma"))) void accumulate_columns(
    int t0, int n, const std::vector<std::uint16_t>& used, const std::uint32_t* group_end,
    const std::uint32_t* patch, const float* weight, const float* p_tiles, std::size_t k,
    std::size_t d, float* acc, float* beta) {
  constexpr std::size_t w = 8 * V;
  std::fill(acc, acc + static_cast<std::size_t>(n) * w, 0.0f);
  std::uint32_t g = 0;
  for (const std::uint16_t a : used) {
    __m256 col[V];
    for (int v = 0; v < V; ++v)
      col[v] = _mm256_loadu_ps(p_tiles + (static_cast<std::size_t>(t0) + 8 * v) * k +
                               static_cast<std::size_t>(a) * 8);
    for (const std::uint32_t g_end = group_end[a]; g < g_end; ++g) {
      float* out = acc + static_cast<std::size_t>(patch[g]) * w;
      const __m256 wv = _mm256_set1_ps(weight[g]);
      for (int v = 0; v < V; ++v)
        _mm256_storeu_ps(out + 8 * v, _mm256_fmadd_ps(wv, col[v], _mm256_loadu_ps(out + 8 * v)));
    }
  }
  for (int p = 0; p < n; ++p)
    for (int v = 0; v < V; ++v)
      _mm256_storeu_ps(beta + static_cast<std::size_t>(p) * d + t0 + 8 * v,
                       _mm256_loadu_ps(acc + static_cast<std::size_t>(p) * w + 8 * v));
}

}  // namespace

__attribute__((target("avx2,fma"))) void embed_atom_major(const std::uint32_t* offsets, int n,
                                                          const std::uint16_t* atoms,
                                                          const float* value, const float* p_tiles,
                                                          int k, int d, float* beta,
                                                          EmbedScratch& s) {
  const std::size_t ud = static_cast<std::size_t>(d);
  std::fill(beta, beta + static_cast<std::size_t>(n) * ud, 0.0f);
  const std::uint32_t entries = offsets[n];
  if (entries == 0) return;
  // Counting sort of the entries by atom; within an atom, patches ascend, so
  // each patch still sums its atoms in ascending order.
  s.count.assign(static_cast<std::size_t>(k) + 1, 0);
  for (std::uint32_t e = 0; e < entries; ++e) ++s.count[atoms[e] + 1];
  s.used.clear();
  for (int a = 0; a < k; ++a) {
    if (s.count[a + 1] != 0) s.used.push_back(static_cast<std::uint16_t>(a));
    s.count[a + 1] += s.count[a];
  }
  s.patch.resize(entries);
  s.weight.resize(entries);
  for (int p = 0; p < n; ++p) {
    const std::uint32_t b = offsets[p], e_end = offsets[p + 1];
    const float w_bin = e_end > b ? 1.0f / static_cast<float>(e_end - b) : 0.0f;
    for (std::uint32_t e = b; e < e_end; ++e) {
      const std::uint32_t slot = s.count[atoms[e]]++;
      s.patch[slot] = static_cast<std::uint32_t>(p);
      s.weight[slot] = value ? value[e] : w_bin;
    }
  }
  // count[a] is now the end of atom a's group, i.e. the start of atom a + 1's.
  const int d8 = d / 8 * 8;
  s.acc.resize(static_cast<std::size_t>(n) * 16);
  const std::uint32_t* patch = s.patch.data();
  const float* weight = s.weight.data();
  const std::uint32_t* group_end = s.count.data();
  const std::size_t uk = static_cast<std::size_t>(k);
  int t0 = 0;
  for (; t0 + 16 <= d8; t0 += 16)
    accumulate_columns<2>(t0, n, s.used, group_end, patch, weight, p_tiles, uk, ud, s.acc.data(),
                          beta);
  if (t0 < d8)
    accumulate_columns<1>(t0, n, s.used, group_end, patch, weight, p_tiles, uk, ud, s.acc.data(),
                          beta);
  if (d8 < d) {  // the last d % 8 columns: p_tiles holds them as k x (d - d8)
    const int rest = d - d8;
    const float* tail = p_tiles + static_cast<std::size_t>(d8) * static_cast<std::size_t>(k);
    std::uint32_t g = 0;
    for (const std::uint16_t a : s.used) {
      const float* col = tail + static_cast<std::size_t>(a) * rest;
      for (; g < group_end[a]; ++g) {
        float* out = beta + static_cast<std::size_t>(patch[g]) * ud + d8;
        for (int j = 0; j < rest; ++j) out[j] = std::fma(weight[g], col[j], out[j]);
      }
    }
  }
}

std::vector<float> tile_projection(const float* p_by_atom, int k, int d) {
  const std::size_t uk = static_cast<std::size_t>(k), ud = static_cast<std::size_t>(d);
  std::vector<float> t(uk * ud);
  const int d8 = d / 8 * 8;
  for (int t0 = 0; t0 < d8; t0 += 8)
    for (std::size_t a = 0; a < uk; ++a)
      for (int j = 0; j < 8; ++j)
        t[static_cast<std::size_t>(t0) * uk + a * 8 + j] = p_by_atom[a * ud + t0 + j];
  const int rest = d - d8;
  for (std::size_t a = 0; a < uk; ++a)
    for (int j = 0; j < rest; ++j)
      t[static_cast<std::size_t>(d8) * uk + a * rest + j] = p_by_atom[a * ud + d8 + j];
  return t;
}

}  // namespace smt::kernel
