#include "smt/patch_source.h"

#include "smt/error.h"

namespace smt {

PatchSource::PatchSource(const ImageSet& images, const PatchExtractor& extractor,
                         const Whitener* whitener, bool flip)
    : images_(images), extractor_(extractor), whitener_(whitener), flip_(flip) {
  SMT_CHECK(images.height == extractor.height() && images.width == extractor.width() &&
                images.channels == extractor.channels(),
            images.source, ": images are ", images.height, "x", images.width, "x", images.channels,
            " but the model expects ", extractor.height(), "x", extractor.width(), "x",
            extractor.channels());
  if (whitener) SMT_CHECK(whitener->dim() == extractor.dim(), "whitener/patch size mismatch");
}

void PatchSource::patches(std::size_t i, float* out, std::vector<float>& scratch) const {
  const AugmentedIndex a = index(i);
  extractor_.extract(images_.image(a.image), a.mirrored, out, scratch);
  if (whitener_) whitener_->apply(out, extractor_.num_patches());
}

}  // namespace smt
