// Writes the seed corpora of the fuzz harnesses: small valid inputs made by
// the project's own writers (and zlib, libjpeg, libpng), one folder per
// harness. Usage: smt_fuzz_seeds OUT_DIR CONFIGS_DIR (configs/*.json are
// copied as config_json seeds).
#include <cstdio>
#include <cstdlib>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_targets.h"
#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/io/cifar_reader.h"
#include "smt/io/npy.h"
#include "smt/model/fit.h"
#include "smt/model/model.h"
#include "smt/model/run_metrics.h"
#include "smt/stages/compact_codes.h"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

void write(const fs::path& dir, const std::string& name, const Bytes& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
}

Bytes read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void be32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

Bytes gzip(const Bytes& in) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  Bytes out(deflateBound(&zs, in.size()) + 32);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// n images of h x w (pixel values from a simple pattern) and their labels.
void idx_files(int n, int h, int w, Bytes& images, Bytes& labels) {
  be32(images, 0x803);
  be32(images, static_cast<std::uint32_t>(n));
  be32(images, static_cast<std::uint32_t>(h));
  be32(images, static_cast<std::uint32_t>(w));
  for (int i = 0; i < n * h * w; ++i) images.push_back(static_cast<std::uint8_t>(i * 37));
  be32(labels, 0x801);
  be32(labels, static_cast<std::uint32_t>(n));
  for (int i = 0; i < n; ++i) labels.push_back(static_cast<std::uint8_t>(i % 10));
}

Bytes cifar(int n, bool hundred) {
  Bytes out;
  for (int r = 0; r < n; ++r) {
    if (hundred) out.push_back(static_cast<std::uint8_t>(r % 20));
    out.push_back(static_cast<std::uint8_t>(r % 10));
    for (std::size_t i = 0; i < smt::kCifarPixelBytes; ++i)
      out.push_back(static_cast<std::uint8_t>(i * 7 + r));
  }
  return out;
}

Bytes jpeg(int w, int h, int components, bool progressive) {
  jpeg_compress_struct c{};
  jpeg_error_mgr err{};
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = static_cast<JDIMENSION>(w);
  c.image_height = static_cast<JDIMENSION>(h);
  c.input_components = components;
  c.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 50, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  Bytes row(static_cast<std::size_t>(w * components));
  while (c.next_scanline < c.image_height) {
    for (std::size_t i = 0; i < row.size(); ++i)
      row[i] = static_cast<std::uint8_t>(i * 9 + c.next_scanline * 5);
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  Bytes out(buf, buf + size);
  jpeg_destroy_compress(&c);
  std::free(buf);
  return out;
}

void png_append(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

// color_type: PNG_COLOR_TYPE_GRAY, _RGB, _RGB_ALPHA or _PALETTE.
Bytes png(int w, int h, int color_type, int bit_depth, bool interlaced) {
  Bytes out;
  png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(p);
  if (setjmp(png_jmpbuf(p))) throw std::runtime_error("libpng write failed");
  png_set_write_fn(p, &out, png_append, nullptr);
  png_set_IHDR(p, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), bit_depth,
               color_type, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color palette[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(p, info, palette, 4);
  png_write_info(p, info);
  const int channels = color_type == PNG_COLOR_TYPE_RGB         ? 3
                       : color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                                                                : 1;
  const std::size_t row_bytes = (static_cast<std::size_t>(w) * channels * bit_depth + 7) / 8;
  Bytes row(row_bytes);
  const int passes = interlaced ? png_set_interlace_handling(p) : 1;
  for (int pass = 0; pass < passes; ++pass)
    for (int y = 0; y < h; ++y) {
      for (std::size_t i = 0; i < row.size(); ++i)
        row[i] = static_cast<std::uint8_t>(color_type == PNG_COLOR_TYPE_PALETTE && bit_depth == 8
                                               ? (i + y) % 4
                                               : i * 11 + y * 3);
      png_write_row(p, row.data());
    }
  png_write_end(p, nullptr);
  png_destroy_write_struct(&p, &info);
  return out;
}

// The tiny model of tests/test_model_io.cpp: 12x12 gray blobs, 4x4 patches,
// 32 atoms, embedding 4.
Bytes model_file() {
  smt::ImageSet train;
  train.height = train.width = 12;
  train.channels = 1;
  train.num_classes = 10;
  for (int i = 0; i < 40; ++i) {
    train.labels.push_back(i % 10);
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x) {
        const int cy = 3 + (i % 10) / 5 * 5, cx = 2 + (i % 5) * 2;
        const int d = (y - cy) * (y - cy) + (x - cx) * (x - cx);
        train.pixels.push_back(static_cast<std::uint8_t>(d < 6 ? 220 : 30 + (x * 7 + y * 13 + i) % 40));
      }
  }
  smt::Config c;
  c.patch_size = 4;
  c.whiten_tol = 1e-2;
  c.dict_size = 32;
  c.dict_threshold = 0.5;
  c.threshold = 1.0;
  c.embed_dim = 4;
  c.pool_window = 4;
  c.pool_stride = 2;
  c.threads = 1;
  c.batch_images = 16;
  smt::Context ctx;
  ctx.threads = 1;
  smt::RunMetrics metrics;
  const smt::SmtModel m = smt::fit_model(train, c, ctx, metrics);
  std::ostringstream out;
  m.save(out);
  const std::string s = out.str();
  return Bytes(s.begin(), s.end());
}

Bytes npy_file(const fs::path& tmp, bool floats) {
  const std::vector<float> f = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 1e-3f};
  const std::vector<std::int32_t> i = {1, -2, 3, 4, 5, 6};
  const fs::path p = tmp / "seed.npy";
  if (floats)
    smt::write_npy(p.string(), f.data(), {2, 3});
  else
    smt::write_npy(p.string(), i.data(), {6});
  Bytes b = read(p);
  fs::remove(p);
  return b;
}

Bytes compact(int patches, bool ascending, bool flags) {
  smt::PatchCodes codes;
  for (int p = 0; p < patches; ++p) {
    for (int k = 0; k < p % 4; ++k)
      codes.atoms.push_back(static_cast<std::uint16_t>(ascending ? k * 300 + p : 9000 - k * 77 * p));
    codes.offsets.push_back(static_cast<std::uint32_t>(codes.atoms.size()));
    if (flags) codes.fallback.push_back(static_cast<std::uint8_t>(p % 3 == 0));
  }
  const smt::CompactCodes packed(codes);
  return smt::fuzz::compact_input(flags, false, patches, packed.stream());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: smt_fuzz_seeds OUT_DIR CONFIGS_DIR\n";
    return 2;
  }
  try {
    const fs::path out = argv[1];
    Bytes images, labels, big_images, big_labels;
    idx_files(3, 4, 5, images, labels);
    idx_files(2, 28, 28, big_images, big_labels);
    write(out / "idx", "raw", smt::fuzz::idx_input(images, labels));
    write(out / "idx", "gzip", smt::fuzz::idx_input(gzip(images), gzip(labels)));
    write(out / "idx", "raw_gzip", smt::fuzz::idx_input(images, gzip(labels)));
    write(out / "idx", "mnist_sized_gzip", smt::fuzz::idx_input(gzip(big_images), gzip(big_labels)));

    write(out / "cifar10", "one", cifar(1, false));
    write(out / "cifar10", "two", cifar(2, false));
    write(out / "cifar100", "one", cifar(1, true));
    write(out / "cifar100", "two", cifar(2, true));

    write(out / "image", "gray.jpg", jpeg(8, 6, 1, false));
    write(out / "image", "rgb.jpg", jpeg(16, 9, 3, false));
    write(out / "image", "progressive.jpg", jpeg(17, 13, 3, true));
    write(out / "image", "gray.png", png(7, 5, PNG_COLOR_TYPE_GRAY, 8, false));
    write(out / "image", "gray1.png", png(9, 4, PNG_COLOR_TYPE_GRAY, 1, false));
    write(out / "image", "rgb16.png", png(5, 3, PNG_COLOR_TYPE_RGB, 16, false));
    write(out / "image", "rgba_interlaced.png", png(9, 9, PNG_COLOR_TYPE_RGB_ALPHA, 8, true));
    write(out / "image", "palette.png", png(6, 6, PNG_COLOR_TYPE_PALETTE, 8, false));

    write(out / "model", "tiny.smt", model_file());

    write(out / "npy", "float.npy", npy_file(out, true));
    write(out / "npy", "int.npy", npy_file(out, false));

    for (const auto& e : fs::directory_iterator(argv[2]))
      if (e.path().extension() == ".json") write(out / "config_json", e.path().filename(), read(e.path()));
    const std::string minimal = R"({"dict-size": 64, "embed-dim": 8, "_comment": "x"})";
    write(out / "config_json", "minimal.json", Bytes(minimal.begin(), minimal.end()));

    write(out / "compact_codes", "ascending", compact(20, true, false));
    write(out / "compact_codes", "unordered_flags", compact(20, false, true));
    Bytes with_values = compact(12, true, true);
    with_values[0] |= 2;
    write(out / "compact_codes", "values", with_values);
  } catch (const std::exception& e) {
    std::cerr << "smt_fuzz_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
