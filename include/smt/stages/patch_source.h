// Whitened, normalised training patches of an image set, produced per image
// on demand: the full patch matrix is never stored.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "smt/core/image_set.h"
#include "smt/stages/patch_extractor.h"
#include "smt/stages/whitener.h"

namespace smt {

// Image i of the augmented set: source image i / (flip ? 2 : 1), mirrored when
// flip is on and i is odd. Flips sit next to their originals so that a prefix
// of the augmented set is the augmented prefix of the images.
struct AugmentedIndex {
  std::size_t image;
  bool mirrored;
};

class PatchSource {
 public:
  // whitener may be null: patches are then only context-mean removed.
  // grayscale: RGB images are converted to luma first (the extractor then has
  // one channel); one-channel images pass unchanged.
  // The source keeps a copy of the extractor and of the whitener (small), and
  // refers to `images`, which must outlive it (a temporary set is refused).
  PatchSource(const ImageSet& images, PatchExtractor extractor, const Whitener* whitener, bool flip,
              bool grayscale = false);
  PatchSource(ImageSet&&, PatchExtractor, const Whitener*, bool, bool = false) = delete;

  std::size_t num_images() const { return images_->size() * (flip_ ? 2 : 1); }
  int patches_per_image() const { return extractor_.num_patches(); }
  int dim() const { return extractor_.dim(); }
  std::int64_t num_patches() const {
    return static_cast<std::int64_t>(num_images()) * patches_per_image();
  }
  AugmentedIndex index(std::size_t i) const {
    return flip_ ? AugmentedIndex{i / 2, (i % 2) == 1} : AugmentedIndex{i, false};
  }
  int label(std::size_t i) const { return images_->labels[index(i).image]; }

  // Writes the patches_per_image() x dim() patches of augmented image i.
  void patches(std::size_t i, float* out, std::vector<float>& scratch) const;

  // Writes only the patches at the given grid positions (count x dim()), in
  // that order: the context means still need the whole image, but only the
  // chosen patches are whitened (sampling a few patches per image).
  void patches_at(std::size_t i, const int* positions, int count, float* out,
                  std::vector<float>& all, std::vector<float>& scratch) const;

 private:
  void extract(std::size_t i, float* out, std::vector<float>& scratch) const;

  const ImageSet* images_;
  PatchExtractor extractor_;
  std::optional<Whitener> whitener_;
  bool flip_;
  bool grayscale_;
};

}  // namespace smt
