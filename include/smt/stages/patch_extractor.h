// Patch extraction with per-image context-mean removal (docs/algorithm.md steps 2-3).
#pragma once

#include <cstdint>
#include <vector>

namespace smt {

class PatchExtractor {
 public:
  // context: half-size c of the window of patches whose mean is removed from
  // each patch; any c >= grid size, or -1, means the whole image.
  // per_channel: remove one mean per colour channel instead of one over all
  // entries (the same for one channel).
  PatchExtractor(int height, int width, int channels, int patch_size, int stride, int context,
                 bool per_channel = false);

  int grid_h() const { return grid_h_; }
  int grid_w() const { return grid_w_; }
  int num_patches() const { return grid_h_ * grid_w_; }
  int dim() const { return patch_size_ * patch_size_ * channels_; }
  int height() const { return height_; }
  int width() const { return width_; }
  int channels() const { return channels_; }
  bool per_channel() const { return per_channel_; }

  // Writes num_patches() x dim() floats to out: patch (i, j) of the grid is row
  // i * grid_w() + j, its entries ordered (dy, dx, channel). Pixels are scaled
  // to [0, 1]; `flip` mirrors the image left-right first. `scratch` is reused
  // between calls to avoid allocation in hot loops.
  void extract(const std::uint8_t* image, bool flip, float* out, std::vector<float>& scratch) const;

 private:
  int height_, width_, channels_, patch_size_, stride_, context_;
  bool per_channel_;
  int grid_h_, grid_w_;
};

}  // namespace smt
