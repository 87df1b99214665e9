// Decoding of single JPEG and PNG images (libjpeg, libpng) into 8-bit pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace smt {

struct DecodedImage {
  int height = 0;
  int width = 0;
  int channels = 0;  // 1 (grayscale) or 3 (RGB)
  // Channel-last (row, column, channel), height * width * channels bytes.
  std::vector<std::uint8_t> pixels;
};

// Largest accepted side, in pixels: a guard against headers that announce
// absurd sizes (dataset images are small).
inline constexpr int kMaxDecodedSide = 16384;

// Decodes a JPEG or PNG held in memory; the format is detected from the
// content (signature), not from a file name. Grayscale images give 1 channel
// and colour images 3: alpha is dropped (not composited), palettes are
// expanded, 16-bit samples are scaled to 8 bits, JPEG colour is converted
// to RGB. Throws smt::Error naming `name` for anything else: unknown format,
// corrupt or truncated data (libjpeg's "corrupt data" and "premature end"
// warnings count as errors), CMYK JPEGs, images over kMaxDecodedSide.
// Thread-safe: every call uses its own decoder state.
DecodedImage decode_image(const std::uint8_t* data, std::size_t size, const std::string& name);

// Reads the file at `path` and decodes it as decode_image does.
DecodedImage decode_image_file(const std::string& path);

}  // namespace smt
