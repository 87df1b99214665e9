// 8-bit RGB raster images, written as PNG through libpng (the simplified
// png_image API: errors come back as return codes, never as longjmp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace smt {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

class RgbImage {
 public:
  RgbImage() = default;
  RgbImage(int width, int height, Rgb fill = {255, 255, 255});

  int width() const { return w_; }
  int height() const { return h_; }
  bool inside(int x, int y) const { return x >= 0 && y >= 0 && x < w_ && y < h_; }
  Rgb at(int x, int y) const;
  // Sets a pixel; coordinates outside the image are ignored (drawing clips).
  void set(int x, int y, Rgb c);
  // Copies `src` with its top-left corner at (x, y), clipped.
  void blit(const RgbImage& src, int x, int y);
  // Row-major R, G, B bytes.
  const std::vector<std::uint8_t>& bytes() const { return px_; }

 private:
  int w_ = 0, h_ = 0;
  std::vector<std::uint8_t> px_;
};

// PNG file contents of the image.
std::string encode_png(const RgbImage& image);
// Decodes PNG bytes into RGB (any PNG colour type); throws smt::Error.
RgbImage decode_png(const std::string& bytes);
// Writes the image as PNG atomically (temporary file, then rename).
void write_png(const std::string& path, const RgbImage& image);

}  // namespace smt
