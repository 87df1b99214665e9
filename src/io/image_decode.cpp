#include "smt/io/image_decode.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include <cerrno>
#include <cstdint>
#include <fstream>

#include "smt/core/error.h"

// libjpeg and libpng report errors through callbacks that must not return.
// Both decoders below longjmp out of the library back to a setjmp in a
// *_steps function. Those functions keep every object that lives across the
// setjmp in a state struct owned by their caller (so nothing is left
// indeterminate by the jump), and the jump only skips library frames and the
// trivially destructible callbacks. The callers turn a failed step into an
// smt::Error and release the library state in all cases.

namespace smt {
namespace {

constexpr const char* kFixHint = "replace or remove the file";
constexpr std::uint64_t kJpegPixelsPerByte = 64 * 8;  // one bit per 8x8 block
constexpr std::uint64_t kDeflateMaxRatio = 1032;

bool starts_with(const std::uint8_t* data, std::size_t size, const std::uint8_t* sig,
                 std::size_t n) {
  return size >= n && std::memcmp(data, sig, n) == 0;
}

std::string leading_bytes(const std::uint8_t* data, std::size_t size) {
  std::string out;
  char buf[8];
  for (std::size_t i = 0; i < size && i < 8; ++i) {
    std::snprintf(buf, sizeof(buf), "%s%02x", i ? " " : "", data[i]);
    out += buf;
  }
  return out.empty() ? "nothing (empty file)" : out;
}

// ---------------------------------------------------------------- JPEG

struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg sees a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

struct JpegState {
  jpeg_decompress_struct cinfo{};
  JpegErrorManager err{};
  bool created = false;
  JSAMPROW row = nullptr;
};

[[noreturn]] void jpeg_fail(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpeg_error_exit(j_common_ptr cinfo) {
  jpeg_fail(cinfo);
}

// Warnings (level -1) about damaged data are errors: a truncated or garbled
// file would otherwise decode "successfully" into grey or smeared pixels.
// Only warnings that do not affect the pixels are let through. Trace
// messages (level >= 0) are dropped.
void jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level >= 0) return;
  switch (cinfo->err->msg_code) {
    case JWRN_ADOBE_XFORM:
    case JWRN_JFIF_MAJOR:
    case JWRN_BOGUS_ICC:
      ++cinfo->err->num_warnings;
      return;
    default:
      jpeg_fail(cinfo);
  }
}

// Returns false with s.err.message set on failure.
bool jpeg_steps(JpegState& s, const std::uint8_t* data, std::size_t size, DecodedImage& out) {
  if (setjmp(s.err.jump)) return false;
  jpeg_create_decompress(&s.cinfo);
  s.created = true;
  jpeg_mem_src(&s.cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&s.cinfo, TRUE);
  switch (s.cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      s.cinfo.out_color_space = JCS_GRAYSCALE;
      break;
    case JCS_YCbCr:
    case JCS_RGB:
      s.cinfo.out_color_space = JCS_RGB;
      break;
    default:
      std::snprintf(s.err.message, sizeof(s.err.message),
                    "unsupported JPEG colour space %d (CMYK/YCCK); only grayscale and RGB/YCbCr "
                    "are read",
                    static_cast<int>(s.cinfo.jpeg_color_space));
      return false;
  }
  if (s.cinfo.image_width > kMaxDecodedSide || s.cinfo.image_height > kMaxDecodedSide) {
    std::snprintf(s.err.message, sizeof(s.err.message),
                  "image is %ux%u pixels, larger than the supported %d per side",
                  s.cinfo.image_width, s.cinfo.image_height, kMaxDecodedSide);
    return false;
  }
  // Every 8x8 block of a scan takes at least one bit (a Huffman code), so a
  // complete JPEG of `size` bytes holds at most 512 * size pixels. A header
  // announcing more is damaged; rejecting it before jpeg_start_decompress
  // keeps libjpeg (which allocates a progressive image's coefficients for the
  // whole image there) and the pixel buffer below from allocating for pixels
  // that are not in the file. Arithmetic-coded files, rare, are held to the
  // same bound.
  const std::uint64_t pixels = std::uint64_t{s.cinfo.image_width} * s.cinfo.image_height;
  if (pixels > kJpegPixelsPerByte * std::uint64_t{size}) {
    std::snprintf(s.err.message, sizeof(s.err.message),
                  "the header announces %ux%u pixels, more than %zu bytes of JPEG data can hold "
                  "(at most %llu pixels a byte)",
                  s.cinfo.image_width, s.cinfo.image_height, size,
                  static_cast<unsigned long long>(kJpegPixelsPerByte));
    return false;
  }
  jpeg_start_decompress(&s.cinfo);
  out.height = static_cast<int>(s.cinfo.output_height);
  out.width = static_cast<int>(s.cinfo.output_width);
  out.channels = s.cinfo.output_components;
  const std::size_t stride = static_cast<std::size_t>(out.width) * out.channels;
  out.pixels.resize(stride * out.height);
  while (s.cinfo.output_scanline < s.cinfo.output_height) {
    s.row = out.pixels.data() + stride * s.cinfo.output_scanline;
    jpeg_read_scanlines(&s.cinfo, &s.row, 1);
  }
  // Reads up to the EOI marker: a file cut after the last scan fails here.
  jpeg_finish_decompress(&s.cinfo);
  return true;
}

DecodedImage decode_jpeg_bytes(const std::uint8_t* data, std::size_t size,
                               const std::string& name) {
  JpegState s;
  s.cinfo.err = jpeg_std_error(&s.err.pub);
  s.err.pub.error_exit = jpeg_error_exit;
  s.err.pub.emit_message = jpeg_emit_message;
  struct Release {
    JpegState& s;
    ~Release() {
      if (s.created) jpeg_destroy_decompress(&s.cinfo);
    }
  } release{s};
  DecodedImage out;
  if (!jpeg_steps(s, data, size, out)) {
    SMT_THROW("cannot decode JPEG '", name, "': ", s.err.message,
              " (the file is corrupt or truncated, or not a supported JPEG); ", kFixHint);
  }
  return out;
}

// ---------------------------------------------------------------- PNG

struct PngState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t pos = 0;
  std::vector<png_bytep> rows;
  char message[256] = {};
};

[[noreturn]] void png_error_fn(png_structp png, png_const_charp msg) {
  auto* s = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof(s->message), "%s", msg ? msg : "unknown libpng error");
  png_longjmp(png, 1);
}

// Warnings concern ancillary data (a bad CRC in a text chunk, an unknown
// profile); the pixels are intact, so they are ignored rather than printed.
void png_warning_fn(png_structp, png_const_charp) {}

void png_read_fn(png_structp png, png_bytep dst, size_t length) {
  auto* s = static_cast<PngState*>(png_get_io_ptr(png));
  if (length > s->size - s->pos) png_error(png, "unexpected end of file (truncated PNG)");
  std::memcpy(dst, s->data + s->pos, length);
  s->pos += length;
}

// Returns false with s.message set on failure.
bool png_steps(PngState& s, DecodedImage& out) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_read_fn(s.png, &s, png_read_fn);
  png_read_info(s.png, s.info);
  if (png_get_image_width(s.png, s.info) > kMaxDecodedSide ||
      png_get_image_height(s.png, s.info) > kMaxDecodedSide) {
    std::snprintf(s.message, sizeof(s.message),
                  "image is %ux%u pixels, larger than the supported %d per side",
                  png_get_image_width(s.png, s.info), png_get_image_height(s.png, s.info),
                  kMaxDecodedSide);
    return false;
  }
  // Deflate expands at most 1032:1 and every row stores a filter byte plus at
  // least one bit a pixel, so a complete PNG of `size` bytes cannot hold more
  // rows x (1 + width / 8) than this: a header announcing more is damaged, and
  // is rejected before the pixel buffer is allocated.
  const std::uint64_t min_inflated = std::uint64_t{png_get_image_height(s.png, s.info)} *
                                     (1 + (std::uint64_t{png_get_image_width(s.png, s.info)} + 7) / 8);
  if (min_inflated > kDeflateMaxRatio * std::uint64_t{s.size}) {
    std::snprintf(s.message, sizeof(s.message),
                  "the header announces %ux%u pixels, more than %zu bytes of PNG data can hold",
                  png_get_image_width(s.png, s.info), png_get_image_height(s.png, s.info), s.size);
    return false;
  }
  png_set_expand(s.png);  // palette -> RGB, 1/2/4-bit gray -> 8-bit, tRNS -> alpha
  png_set_scale_16(s.png);
  png_set_strip_alpha(s.png);
  png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);

  out.height = static_cast<int>(png_get_image_height(s.png, s.info));
  out.width = static_cast<int>(png_get_image_width(s.png, s.info));
  out.channels = png_get_channels(s.png, s.info);
  const std::size_t stride = static_cast<std::size_t>(out.width) * out.channels;
  if ((out.channels != 1 && out.channels != 3) || png_get_rowbytes(s.png, s.info) != stride) {
    std::snprintf(s.message, sizeof(s.message),
                  "unexpected layout after conversion (%d channels, %zu bytes per row)",
                  out.channels, png_get_rowbytes(s.png, s.info));
    return false;
  }
  out.pixels.resize(stride * out.height);
  s.rows.resize(static_cast<std::size_t>(out.height));
  for (std::size_t r = 0; r < s.rows.size(); ++r) s.rows[r] = out.pixels.data() + r * stride;
  png_read_image(s.png, s.rows.data());
  // Checks the remaining chunks up to IEND: a file cut after the image data fails.
  png_read_end(s.png, nullptr);
  return true;
}

DecodedImage decode_png_bytes(const std::uint8_t* data, std::size_t size, const std::string& name) {
  PngState s;
  s.data = data;
  s.size = size;
  struct Release {
    PngState& s;
    ~Release() {
      if (s.png) png_destroy_read_struct(&s.png, s.info ? &s.info : nullptr, nullptr);
    }
  } release{s};
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, png_error_fn, png_warning_fn);
  SMT_CHECK(s.png, "cannot initialise libpng to read '", name, "'");
  s.info = png_create_info_struct(s.png);
  SMT_CHECK(s.info, "cannot initialise libpng to read '", name, "'");
  DecodedImage out;
  if (!png_steps(s, out)) {
    SMT_THROW("cannot decode PNG '", name, "': ", s.message,
              " (the file is corrupt or truncated); ", kFixHint);
  }
  return out;
}

}  // namespace

DecodedImage decode_image(const std::uint8_t* data, std::size_t size, const std::string& name) {
  static constexpr std::uint8_t kJpegSig[] = {0xff, 0xd8, 0xff};
  static constexpr std::uint8_t kPngSig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (starts_with(data, size, kJpegSig, sizeof(kJpegSig)))
    return decode_jpeg_bytes(data, size, name);
  if (starts_with(data, size, kPngSig, sizeof(kPngSig))) return decode_png_bytes(data, size, name);
  SMT_THROW("'", name, "' is neither a JPEG nor a PNG image: it starts with ",
            leading_bytes(data, size), "; ", kFixHint);
}

DecodedImage decode_image_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  SMT_CHECK(in.is_open(), "cannot open image '", path, "': ", std::strerror(errno));
  const std::streamoff size = in.tellg();
  SMT_CHECK(size >= 0, "cannot read the size of image '", path, "'");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  SMT_CHECK(in.gcount() == size, "I/O error while reading image '", path, "'");
  return decode_image(bytes.data(), bytes.size(), path);
}

}  // namespace smt
