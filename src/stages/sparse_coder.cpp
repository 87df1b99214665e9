#include "smt/stages/sparse_coder.h"

#include <cblas.h>

#include <algorithm>
#include <limits>

#include "kernels/coding_kernel.h"
#include "smt/core/error.h"

namespace smt {

namespace {

// Atoms per tile: a tile of kAtomBlock x (patches of one image) floats stays in
// L2 while it is scanned.
constexpr int kAtomBlock = 256;

void finish_patch(PatchCodes& out, std::vector<std::pair<std::uint16_t, float>>& active,
                  int best_atom, bool vq, CodeValues values) {
  const bool fallback = active.empty();
  if (fallback) active.emplace_back(static_cast<std::uint16_t>(best_atom), 1.0f);
  if (values == CodeValues::kVariable) {
    double sum = 0;
    for (auto& a : active) sum += a.second;
    for (auto& a : active)
      out.values.push_back(sum > 0 ? static_cast<float>(a.second / sum)
                                   : 1.0f / static_cast<float>(active.size()));
  }
  for (auto& a : active) out.atoms.push_back(a.first);
  out.offsets.push_back(static_cast<std::uint32_t>(out.atoms.size()));
  out.fallback.push_back(static_cast<std::uint8_t>(fallback && !vq));
  active.clear();
}

}  // namespace

SparseCoder::SparseCoder(const Dictionary& dictionary, double threshold, CodeValues values,
                         bool allow_fused)
    : SparseCoder(std::make_shared<const Dictionary>(dictionary), threshold, values, allow_fused) {}

SparseCoder::SparseCoder(std::shared_ptr<const Dictionary> dictionary, double threshold,
                         CodeValues values, bool allow_fused)
    : dictionary_(std::move(dictionary)),
      threshold_(static_cast<float>(threshold)),
      values_(values) {
  SMT_CHECK(dictionary_ != nullptr, "sparse coder: no dictionary");
  SMT_CHECK(dictionary_->size() <= 65536, "dictionary of ", dictionary_->size(),
            " atoms exceeds the 16-bit code index limit (65536)");
  if (allow_fused && kernel::fused_available())
    packed_ = std::make_shared<const kernel::PackedAtoms>(
        kernel::pack_atoms(dictionary_->atoms().data(), dictionary_->size(), dictionary_->dim()));
}

void SparseCoder::encode(const float* patches, int n, PatchCodes& out, Scratch& s) const {
  const bool vq = vector_quantization();
  s.best.assign(n, -std::numeric_limits<float>::infinity());
  s.best_atom.assign(n, 0);
  if (!vq) {
    if (static_cast<int>(s.active.size()) < n) s.active.resize(n);
    for (int p = 0; p < n; ++p) s.active[p].clear();
  }
  if (packed_) {
    kernel::fused_code(*packed_, patches, n, threshold_, s.best.data(), s.best_atom.data(),
                       vq ? nullptr : s.active.data());
  } else {
    encode_blas(patches, n, s);
  }
  std::vector<std::pair<std::uint16_t, float>> single;
  for (int p = 0; p < n; ++p)
    finish_patch(out, vq ? single : s.active[p], s.best_atom[p], vq, values_);
}

void SparseCoder::encode_blas(const float* patches, int n, Scratch& s) const {
  const int K = dictionary_->size(), dim = dictionary_->dim();
  const bool vq = vector_quantization();
  s.sims.resize(static_cast<std::size_t>(n) * kAtomBlock);
  const float t = threshold_;
  for (int k0 = 0; k0 < K; k0 += kAtomBlock) {
    const int kb = std::min(kAtomBlock, K - k0);
    // sims (n x kb) = patches (n x dim) * atoms[k0:k0+kb]^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, kb, dim, 1.0f, patches, dim,
                dictionary_->atom(k0), dim, 0.0f, s.sims.data(), kb);
    for (int p = 0; p < n; ++p) {
      const float* row = s.sims.data() + static_cast<std::size_t>(p) * kb;
      float best = s.best[p];
      int arg = s.best_atom[p];
      for (int k = 0; k < kb; ++k) {
        if (row[k] > best) {  // strict: ties keep the lower atom index
          best = row[k];
          arg = k0 + k;
        }
      }
      s.best[p] = best;
      s.best_atom[p] = arg;
      if (!vq) {
        auto& act = s.active[p];
        for (int k = 0; k < kb; ++k)
          if (row[k] >= t) act.emplace_back(static_cast<std::uint16_t>(k0 + k), row[k]);
      }
    }
  }
}

PatchCodes encode_reference(const Dictionary& dict, double threshold, CodeValues values,
                            const float* patches, int n) {
  const int K = dict.size(), dim = dict.dim();
  const bool vq = threshold >= 1.0;
  PatchCodes out;
  std::vector<std::pair<std::uint16_t, float>> active;
  for (int p = 0; p < n; ++p) {
    int best_atom = 0;
    float best = -std::numeric_limits<float>::infinity();
    for (int k = 0; k < K; ++k) {
      double dot = 0;
      for (int d = 0; d < dim; ++d)
        dot +=
            static_cast<double>(patches[static_cast<std::size_t>(p) * dim + d]) * dict.atom(k)[d];
      const float s = static_cast<float>(dot);
      if (s > best) {
        best = s;
        best_atom = k;
      }
      if (!vq && s >= static_cast<float>(threshold))
        active.emplace_back(static_cast<std::uint16_t>(k), s);
    }
    finish_patch(out, active, best_atom, vq, values);
  }
  return out;
}

void append_codes(PatchCodes& codes, const PatchCodes& more) {
  SMT_CHECK(
      codes.values.empty() == more.values.empty() || codes.atoms.empty() || more.atoms.empty(),
      "cannot join binary and valued codes");
  const std::uint32_t base = codes.offsets.back();
  if (codes.values.empty() && !more.values.empty()) codes.values.assign(codes.atoms.size(), 0.0f);
  for (int p = 0; p < more.num_patches(); ++p) codes.offsets.push_back(base + more.end(p));
  codes.atoms.insert(codes.atoms.end(), more.atoms.begin(), more.atoms.end());
  if (!more.values.empty())
    codes.values.insert(codes.values.end(), more.values.begin(), more.values.end());
  codes.fallback.insert(codes.fallback.end(), more.fallback.begin(), more.fallback.end());
}

}  // namespace smt
