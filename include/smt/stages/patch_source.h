// Whitened, normalised training patches of an image set, produced per image
// on demand: the full patch matrix is never stored.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "smt/core/image_set.h"
#include "smt/stages/augmented_views.h"
#include "smt/stages/patch_extractor.h"
#include "smt/stages/whitener.h"

namespace smt {

// Image i of the augmented set: view i % views.size() of source image
// i / views.size() (augmented_views.h).
struct AugmentedIndex {
  std::size_t image;
  View view;
};

class PatchSource {
 public:
  // whitener may be null: patches are then only context-mean removed.
  // grayscale: RGB images are converted to luma first (the extractor then has
  // one channel); one-channel images pass unchanged.
  // The source keeps a copy of the extractor and of the whitener (small), and
  // refers to `images`, which must outlive it (a temporary set is refused).
  // Luma views need colour images and a colour extractor.
  PatchSource(const ImageSet& images, PatchExtractor extractor, const Whitener* whitener,
              ViewSet views, bool grayscale = false);
  PatchSource(ImageSet&&, PatchExtractor, const Whitener*, ViewSet, bool = false) = delete;

  const ViewSet& views() const { return views_; }
  std::size_t num_images() const { return views_.augmented(images_->size()); }
  int patches_per_image() const { return extractor_.num_patches(); }
  int dim() const { return extractor_.dim(); }
  std::int64_t num_patches() const {
    return static_cast<std::int64_t>(num_images()) * patches_per_image();
  }
  AugmentedIndex index(std::size_t i) const {
    const std::size_t nv = static_cast<std::size_t>(views_.size());
    return AugmentedIndex{i / nv, views_[static_cast<int>(i % nv)]};
  }
  int label(std::size_t i) const { return images_->labels[index(i).image]; }

  // A shard of a distributed run (ImageSet::shard): the augmented images of
  // the whole set, and how they are dealt to the processes (layout(): each
  // image's views stay together in its block). Indices of every other member
  // are local. Equal to the local ones for a whole set.
  std::size_t global_num_images() const { return views_.augmented(images_->global_size()); }
  std::int64_t global_num_patches() const {
    return static_cast<std::int64_t>(global_num_images()) * patches_per_image();
  }
  ShardLayout layout() const {
    return images_->layout().augmented(static_cast<std::size_t>(views_.size()));
  }

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
  ViewSet views_;
  bool grayscale_;
};

}  // namespace smt
