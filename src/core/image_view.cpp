#include "smt/core/image_view.h"

#include <algorithm>
#include <cmath>

#include "smt/core/error.h"

namespace smt {

ImageSet to_image_set(const ImageView& v, const char* what) {
  SMT_CHECK(v.data != nullptr && v.count > 0, what, ": no images (null data or a count of 0)");
  SMT_CHECK(v.height > 0 && v.width > 0, what, ": images of ", v.height, "x", v.width,
            " pixels; height and width must be positive");
  SMT_CHECK(v.channels == 1 || v.channels == 3, what, ": images with ", v.channels,
            " channels; smt reads grayscale (1) or RGB (3) images in (count, height, width, "
            "channels) order");
  ImageSet s;
  s.height = v.height;
  s.width = v.width;
  s.channels = v.channels;
  s.source = what;
  const std::size_t n = v.count * v.values_per_image();
  s.pixels.resize(n);
  if (v.type == PixelType::kUint8) {
    const auto* p = static_cast<const std::uint8_t*>(v.data);
    std::copy(p, p + n, s.pixels.begin());
  } else {
    const auto* p = static_cast<const float*>(v.data);
    for (std::size_t i = 0; i < n; ++i) {
      const float x = p[i];
      if (!(x >= 0.0f && x <= 1.0f)) {  // also catches NaN
        const std::size_t per = v.values_per_image();
        SMT_THROW(what, ": float32 pixel ", x, " of image ", i / per,
                  " is outside [0, 1] (or NaN); scale float images to [0, 1] or pass uint8");
      }
      s.pixels[i] = static_cast<std::uint8_t>(std::lround(x * 255.0f));
    }
  }
  s.labels.assign(v.count, 0);
  if (v.labels) {
    int max_label = -1;
    for (std::size_t i = 0; i < v.count; ++i) {
      SMT_CHECK(v.labels[i] >= 0, what, ": label ", v.labels[i], " of image ", i,
                " is negative; labels are 0-based class indices");
      s.labels[i] = v.labels[i];
      max_label = std::max(max_label, static_cast<int>(v.labels[i]));
    }
    s.num_classes = max_label + 1;
  }
  return s;
}

}  // namespace smt
