#include "smt/demo/png_image.h"

#include <png.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "smt/core/error.h"
#include "smt/io/atomic_file.h"

namespace smt {

RgbImage::RgbImage(int width, int height, Rgb fill) : w_(width), h_(height) {
  SMT_CHECK(width >= 1 && height >= 1 && width <= 1 << 15 && height <= 1 << 15, "image size ",
            width, "x", height, " out of range");
  px_.resize(static_cast<std::size_t>(w_) * h_ * 3);
  for (std::size_t i = 0; i < px_.size(); i += 3) {
    px_[i] = fill.r;
    px_[i + 1] = fill.g;
    px_[i + 2] = fill.b;
  }
}

Rgb RgbImage::at(int x, int y) const {
  SMT_CHECK(inside(x, y), "pixel (", x, ", ", y, ") outside the ", w_, "x", h_, " image");
  const std::size_t i = (static_cast<std::size_t>(y) * w_ + x) * 3;
  return {px_[i], px_[i + 1], px_[i + 2]};
}

void RgbImage::set(int x, int y, Rgb c) {
  if (!inside(x, y)) return;
  const std::size_t i = (static_cast<std::size_t>(y) * w_ + x) * 3;
  px_[i] = c.r;
  px_[i + 1] = c.g;
  px_[i + 2] = c.b;
}

void RgbImage::blit(const RgbImage& src, int x, int y) {
  for (int j = 0; j < src.height(); ++j)
    for (int i = 0; i < src.width(); ++i) set(x + i, y + j, src.at(i, j));
}

std::string encode_png(const RgbImage& image) {
  SMT_CHECK(image.width() > 0, "cannot encode an empty image as PNG");
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width());
  png.height = static_cast<png_uint_32>(image.height());
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  const png_int_32 stride = image.width() * 3;
  // First call sizes the output, second one writes it.
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.bytes().data(), stride, nullptr))
    SMT_THROW("libpng: cannot encode a ", image.width(), "x", image.height(),
              " image: ", png.message);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&png, out.data(), &size, 0, image.bytes().data(), stride, nullptr))
    SMT_THROW("libpng: cannot encode a ", image.width(), "x", image.height(),
              " image: ", png.message);
  out.resize(size);
  return out;
}

RgbImage decode_png(const std::string& bytes) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    SMT_THROW("libpng: not a readable PNG: ", png.message);
  png.format = PNG_FORMAT_RGB;
  const int w = static_cast<int>(png.width), h = static_cast<int>(png.height);
  if (w < 1 || h < 1 || w > 1 << 15 || h > 1 << 15) {
    png_image_free(&png);
    SMT_THROW("PNG size ", w, "x", h, " out of range");
  }
  std::vector<std::uint8_t> buf(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, buf.data(), 0, nullptr))
    SMT_THROW("libpng: cannot decode PNG: ", png.message);
  RgbImage out(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const std::size_t i = (static_cast<std::size_t>(y) * w + x) * 3;
      out.set(x, y, {buf[i], buf[i + 1], buf[i + 2]});
    }
  return out;
}

void write_png(const std::string& path, const RgbImage& image) {
  const std::string data = encode_png(image);
  write_file_atomically(path, [&](std::ostream& os) {
    os.write(data.data(), static_cast<std::streamsize>(data.size()));
  });
}

}  // namespace smt
