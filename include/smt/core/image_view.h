// Images the caller already holds in memory, described without copying:
// `count` images of height x width x channels values each in (image, row,
// column, channel) order, as a NumPy array of shape (count, height, width,
// channels) or (count, height, width) for one channel: C-contiguous, or with
// any byte strides (a slice, a transposed or flipped view).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "smt/core/image_set.h"

namespace smt {

enum class PixelType {
  kUint8,    // 0..255
  kFloat32,  // 0..1; the pipeline works on 8-bit pixels, so values are rounded to
             // multiples of 1/255 (exact for images that came from 8-bit data)
  kFloat64,  // 0..1, rounded likewise
};

// Bytes per value of the type.
std::size_t pixel_bytes(PixelType type);

struct ImageView {
  const void* data = nullptr;
  std::size_t count = 0;
  int height = 0, width = 0, channels = 0;
  PixelType type = PixelType::kUint8;
  // Optional, one per image, 0-based; fitting needs none.
  const std::int32_t* labels = nullptr;
  // Bytes from one image, row, column and channel to the next (may be
  // negative or zero); none (the default): C-contiguous.
  std::optional<std::array<std::ptrdiff_t, 4>> strides = std::nullopt;

  std::size_t values_per_image() const {
    return static_cast<std::size_t>(height) * width * channels;
  }
};

// An ImageSet holding a copy of the view's pixels (floats rounded to 8 bits)
// and labels (zeros when there are none): the one copy the pipeline needs,
// read through the strides. Throws smt::Error naming `what` for an empty or
// inconsistent view, a channel count other than 1 or 3, a float pixel
// outside [0, 1] or NaN, or a negative label.
ImageSet to_image_set(const ImageView& view, const char* what);

}  // namespace smt
