#include "smt/stages/patch_extractor.h"

#include <algorithm>

#include "smt/core/error.h"

namespace smt {

namespace {
constexpr int kMaxGroups = 16;  // channels with per-channel means (RGB needs 3)
}  // namespace

PatchExtractor::PatchExtractor(int height, int width, int channels, int patch_size, int stride,
                               int context, bool per_channel)
    : height_(height),
      width_(width),
      channels_(channels),
      patch_size_(patch_size),
      stride_(stride),
      context_(context),
      per_channel_(per_channel && channels > 1) {
  SMT_CHECK(height > 0 && width > 0 && channels > 0, "invalid image shape ", height, "x", width,
            "x", channels);
  SMT_CHECK(patch_size >= 1 && stride >= 1, param("patch-size"), " and ", param("stride"),
            " must be >= 1");
  SMT_CHECK(patch_size <= height && patch_size <= width, param("patch-size"), " ", patch_size,
            " is larger than the images (", height, "x", width, "); use a smaller patch size");
  SMT_CHECK(context >= -1, param("context"), " must be -1 (whole image) or >= 0, got ", context);
  SMT_CHECK(!per_channel_ || channels <= kMaxGroups, param("context-mean"),
            " channel supports at most ", kMaxGroups, " channels, got ", channels, "; use ",
            param("context-mean"), " all");
  grid_h_ = (height - patch_size) / stride + 1;
  grid_w_ = (width - patch_size) / stride + 1;
}

void PatchExtractor::extract(const std::uint8_t* image, bool flip, float* out,
                             std::vector<float>& scratch) const {
  const int ps = patch_size_, C = channels_, gh = grid_h_, gw = grid_w_, D = dim();
  const std::size_t npix = static_cast<std::size_t>(height_) * width_ * C;
  scratch.resize(npix);  // the image scaled to [0, 1]
  float* img = scratch.data();
  for (int y = 0; y < height_; ++y) {
    for (int x = 0; x < width_; ++x) {
      const int sx = flip ? width_ - 1 - x : x;
      const std::uint8_t* src = image + (static_cast<std::size_t>(y) * width_ + sx) * C;
      float* dst = img + (static_cast<std::size_t>(y) * width_ + x) * C;
      for (int c = 0; c < C; ++c) dst[c] = static_cast<float>(src[c]) * (1.0f / 255.0f);
    }
  }
  // Copy patches, summing each one's entries as we go: one sum per mean group
  // (all entries, or each colour channel). Entry k of a patch row belongs to
  // channel k % C.
  // Double precision: the window sums below are differences of prefix sums.
  const int groups = per_channel_ ? C : 1;
  const std::size_t plane = static_cast<std::size_t>(gh + 1) * (gw + 1);
  std::vector<double> prefix_store(plane * groups, 0.0);
  double sums[kMaxGroups];
  for (int i = 0; i < gh; ++i) {
    for (int j = 0; j < gw; ++j) {
      float* p = out + (static_cast<std::size_t>(i) * gw + j) * D;
      for (int g = 0; g < groups; ++g) sums[g] = 0;
      for (int dy = 0; dy < ps; ++dy) {
        const float* row =
            img + (static_cast<std::size_t>(i * stride_ + dy) * width_ + j * stride_) * C;
        for (int k = 0; k < ps * C; ++k) {
          p[dy * ps * C + k] = row[k];
          sums[groups == 1 ? 0 : k % C] += row[k];
        }
      }
      // 2-D prefix sums of patch sums: prefix[(i+1)(gw+1) + (j+1)].
      for (int g = 0; g < groups; ++g) {
        double* prefix = prefix_store.data() + g * plane;
        prefix[(i + 1) * (gw + 1) + (j + 1)] = sums[g] + prefix[i * (gw + 1) + (j + 1)] +
                                               prefix[(i + 1) * (gw + 1) + j] -
                                               prefix[i * (gw + 1) + j];
      }
    }
  }
  const bool whole = context_ < 0 || (context_ >= gh && context_ >= gw);
  const int entries_per_group = D / groups;
  float means[kMaxGroups];
  for (int i = 0; i < gh; ++i) {
    const int i0 = whole ? 0 : std::max(0, i - context_);
    const int i1 = whole ? gh : std::min(gh, i + context_ + 1);
    for (int j = 0; j < gw; ++j) {
      const int j0 = whole ? 0 : std::max(0, j - context_);
      const int j1 = whole ? gw : std::min(gw, j + context_ + 1);
      const double count = static_cast<double>(i1 - i0) * (j1 - j0) * entries_per_group;
      for (int g = 0; g < groups; ++g) {
        const double* prefix = prefix_store.data() + g * plane;
        const double s = prefix[i1 * (gw + 1) + j1] - prefix[i0 * (gw + 1) + j1] -
                         prefix[i1 * (gw + 1) + j0] + prefix[i0 * (gw + 1) + j0];
        means[g] = static_cast<float>(s / count);
      }
      float* p = out + (static_cast<std::size_t>(i) * gw + j) * D;
      if (groups == 1) {
        for (int k = 0; k < D; ++k) p[k] -= means[0];
      } else {
        for (int k = 0; k < D; ++k) p[k] -= means[k % C];
      }
    }
  }
}

}  // namespace smt
