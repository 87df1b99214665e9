#include "smt/stages/patch_source.h"

#include <algorithm>

#include "smt/core/error.h"

namespace smt {

PatchSource::PatchSource(const ImageSet& images, PatchExtractor extractor, const Whitener* whitener,
                         ViewSet views, bool grayscale)
    : images_(&images),
      extractor_(std::move(extractor)),
      whitener_(whitener ? std::optional<Whitener>(*whitener) : std::nullopt),
      views_(std::move(views)),
      grayscale_(grayscale && images.channels == 3) {
  SMT_CHECK(!grayscale || extractor_.channels() == 1,
            "grayscale patches need a one-channel extractor, got ", extractor_.channels());
  SMT_CHECK(images.height == extractor_.height() && images.width == extractor_.width() &&
                (images.channels == extractor_.channels() || grayscale_),
            images.source, ": images are ", images.height, "x", images.width, "x", images.channels,
            " but the model expects ", extractor_.height(), "x", extractor_.width(), "x",
            extractor_.channels());
  SMT_CHECK(!views_.has_luma() || (images.channels == 3 && extractor_.channels() == 3),
            images.source, ": ", param("gray-view"),
            " makes luma copies of colour images, but these images have ", images.channels,
            " channel(s)", grayscale_ ? " and are made luma already" : "", "; turn it off");
  if (whitener) SMT_CHECK(whitener->dim() == extractor_.dim(), "whitener/patch size mismatch");
}

void PatchSource::extract(std::size_t i, float* out, std::vector<float>& scratch) const {
  const AugmentedIndex a = index(i);
  if (grayscale_ || a.view.luma) {
    // ITU-R BT.601 luma, the usual RGB -> gray conversion; a luma view writes
    // it to all three channels.
    const std::size_t n = static_cast<std::size_t>(images_->height) * images_->width;
    const int out_channels = grayscale_ ? 1 : 3;
    std::vector<std::uint8_t> gray(n * static_cast<std::size_t>(out_channels));
    const std::uint8_t* rgb = images_->image(a.image);
    for (std::size_t q = 0; q < n; ++q) {
      const auto y = static_cast<std::uint8_t>(
          (299 * rgb[3 * q] + 587 * rgb[3 * q + 1] + 114 * rgb[3 * q + 2] + 500) / 1000);
      for (int ch = 0; ch < out_channels; ++ch) gray[q * out_channels + ch] = y;
    }
    extractor_.extract(gray.data(), a.view.mirrored, out, scratch);
  } else {
    extractor_.extract(images_->image(a.image), a.view.mirrored, out, scratch);
  }
}

void PatchSource::patches(std::size_t i, float* out, std::vector<float>& scratch) const {
  extract(i, out, scratch);
  if (whitener_) whitener_->apply(out, extractor_.num_patches());
}

void PatchSource::patches_at(std::size_t i, const int* positions, int count, float* out,
                             std::vector<float>& all, std::vector<float>& scratch) const {
  const int n = extractor_.num_patches(), d = extractor_.dim();
  all.resize(static_cast<std::size_t>(n) * d);
  extract(i, all.data(), scratch);
  for (int k = 0; k < count; ++k) {
    SMT_CHECK(positions[k] >= 0 && positions[k] < n, "patch position ", positions[k],
              " outside the ", n, " patches of an image");
    std::copy_n(all.data() + static_cast<std::size_t>(positions[k]) * d, d,
                out + static_cast<std::size_t>(k) * d);
  }
  if (whitener_) whitener_->apply(out, count);
}

}  // namespace smt
