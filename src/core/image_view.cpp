#include "smt/core/image_view.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "smt/core/error.h"

namespace smt {

namespace {

// One 8-bit pixel from a float in [0, 1]; `image` locates it for the message.
template <class F>
std::uint8_t to_byte(F x, const char* what, const char* type, std::size_t image) {
  if (!(x >= F(0) && x <= F(1)))  // also catches NaN
    SMT_THROW(what, ": ", type, " pixel ", x, " of image ", image,
              " is outside [0, 1] (or NaN); scale float images to [0, 1] or pass uint8");
  return static_cast<std::uint8_t>(std::lround(x * F(255)));
}

template <class T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Copies image i's values in (row, column, channel) order into out, each
// through `to_8bit(address)`; the pixel type is a template argument so the
// innermost loop has no switch.
template <class To8bit>
void copy_image(const ImageView& v, const std::array<std::ptrdiff_t, 4>& st, std::size_t i,
                std::uint8_t* out, To8bit to_8bit) {
  const auto* base =
      static_cast<const std::uint8_t*>(v.data) + static_cast<std::ptrdiff_t>(i) * st[0];
  std::size_t o = 0;
  for (int y = 0; y < v.height; ++y)
    for (int x = 0; x < v.width; ++x) {
      const std::uint8_t* px = base + y * st[1] + x * st[2];
      for (int c = 0; c < v.channels; ++c) out[o++] = to_8bit(px + c * st[3]);
    }
}

void copy_images(const ImageView& v, const std::array<std::ptrdiff_t, 4>& st, std::uint8_t* out,
                 const char* what) {
  const std::size_t per = v.values_per_image();
  for (std::size_t i = 0; i < v.count; ++i) {
    std::uint8_t* dst = out + i * per;
    switch (v.type) {
      case PixelType::kUint8:
        copy_image(v, st, i, dst, [](const std::uint8_t* q) { return *q; });
        break;
      case PixelType::kFloat32:
        copy_image(v, st, i, dst, [&](const std::uint8_t* q) {
          return to_byte(load<float>(q), what, "float32", i);
        });
        break;
      case PixelType::kFloat64:
        copy_image(v, st, i, dst, [&](const std::uint8_t* q) {
          return to_byte(load<double>(q), what, "float64", i);
        });
        break;
    }
  }
}

}  // namespace

std::size_t pixel_bytes(PixelType type) {
  switch (type) {
    case PixelType::kUint8:
      return 1;
    case PixelType::kFloat32:
      return 4;
    case PixelType::kFloat64:
      return 8;
  }
  return 0;
}

ImageSet to_image_set(const ImageView& v, const char* what) {
  SMT_CHECK(v.data != nullptr && v.count > 0, what, ": no images (null data or a count of 0)");
  SMT_CHECK(v.height > 0 && v.width > 0, what, ": images of ", v.height, "x", v.width,
            " pixels; height and width must be positive");
  SMT_CHECK(v.channels == 1 || v.channels == 3, what, ": images with ", v.channels,
            " channels; smt reads grayscale (1) or RGB (3) images in (count, height, width, "
            "channels) order");
  const auto bytes = static_cast<std::ptrdiff_t>(pixel_bytes(v.type));
  const std::array<std::ptrdiff_t, 4> st =
      v.strides
          ? *v.strides
          : std::array<std::ptrdiff_t, 4>{static_cast<std::ptrdiff_t>(v.values_per_image()) * bytes,
                                          static_cast<std::ptrdiff_t>(v.width) * v.channels * bytes,
                                          v.channels * bytes, bytes};
  ImageSet s;
  s.height = v.height;
  s.width = v.width;
  s.channels = v.channels;
  s.source = what;
  const std::size_t per = v.values_per_image();
  s.pixels.resize(v.count * per);
  const bool packed_bytes = v.type == PixelType::kUint8 && st[3] == 1 && st[2] == v.channels &&
                            st[1] == v.width * v.channels &&
                            st[0] == static_cast<std::ptrdiff_t>(per);
  if (packed_bytes) {
    const auto* p = static_cast<const std::uint8_t*>(v.data);
    std::copy(p, p + s.pixels.size(), s.pixels.begin());
  } else {
    copy_images(v, st, s.pixels.data(), what);
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
