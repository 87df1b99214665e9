#include "smt/io/image_resize.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "smt/core/error.h"

namespace smt {

namespace {

// One axis's filter: output pixel o reads input pixels first[o] ..
// first[o] + count[o] - 1 with weights[o * max_taps + t].
struct AxisFilter {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<double> weights;
  int max_taps = 0;
};

// The filter of output pixels offset .. offset + out - 1 of an axis scaled
// from `in` to `scaled` pixels.
AxisFilter axis_filter(int in, int scaled, int offset, int out) {
  const double scale = static_cast<double>(in) / scaled;
  const double widen = std::max(scale, 1.0);  // the triangle's half-width, in input pixels
  AxisFilter f;
  f.max_taps = static_cast<int>(std::ceil(widen)) * 2 + 1;
  f.first.resize(static_cast<std::size_t>(out));
  f.count.resize(static_cast<std::size_t>(out));
  f.weights.assign(static_cast<std::size_t>(out) * f.max_taps, 0.0);
  for (int o = 0; o < out; ++o) {
    // Edges in input pixel units, where pixel i spans [i, i + 1).
    const double centre = (offset + o + 0.5) * scale;
    const int lo = std::max(0, static_cast<int>(std::floor(centre - widen + 0.5)));
    const int hi = std::min(in, static_cast<int>(std::floor(centre + widen + 0.5)));
    double* w = f.weights.data() + static_cast<std::size_t>(o) * f.max_taps;
    double sum = 0;
    for (int i = lo; i < hi; ++i) {
      const double t = std::abs((i + 0.5 - centre) / widen);
      w[i - lo] = t < 1 ? 1 - t : 0;
      sum += w[i - lo];
    }
    for (int i = lo; i < hi; ++i) w[i - lo] /= sum;  // sum > 0: the nearest pixel is within 1/2
    f.first[static_cast<std::size_t>(o)] = lo;
    f.count[static_cast<std::size_t>(o)] = hi - lo;
  }
  return f;
}

// Round to nearest (halves up): clamped to [0, 255] first, so the truncating
// conversion of v + 0.5 rounds (and, unlike floor, vectorises).
std::uint8_t to_byte(double v) {
  return static_cast<std::uint8_t>(std::min(std::max(v, 0.0), 255.0) + 0.5);
}

// One input row filtered along x into out_width * C values; C fixed so that
// the channel loop unrolls.
template <int C>
void filter_row(const std::uint8_t* src, const AxisFilter& fx, int out_width, double* dst) {
  for (int x = 0; x < out_width; ++x) {
    const double* w = fx.weights.data() + static_cast<std::size_t>(x) * fx.max_taps;
    const std::uint8_t* in = src + static_cast<std::size_t>(fx.first[x]) * C;
    double acc[C] = {};
    for (int t = 0; t < fx.count[x]; ++t)
      for (int ch = 0; ch < C; ++ch) acc[ch] += w[t] * in[t * C + ch];
    for (int ch = 0; ch < C; ++ch) dst[x * C + ch] = acc[ch];
  }
}

void filter_row_any(const std::uint8_t* src, const AxisFilter& fx, int out_width, int channels,
                    double* dst) {
  const std::size_t c = static_cast<std::size_t>(channels);
  for (int x = 0; x < out_width; ++x) {
    const double* w = fx.weights.data() + static_cast<std::size_t>(x) * fx.max_taps;
    const std::uint8_t* in = src + static_cast<std::size_t>(fx.first[x]) * c;
    for (std::size_t ch = 0; ch < c; ++ch) {
      double v = 0;
      for (int t = 0; t < fx.count[x]; ++t) v += w[t] * in[static_cast<std::size_t>(t) * c + ch];
      dst[static_cast<std::size_t>(x) * c + ch] = v;
    }
  }
}

}  // namespace

std::vector<std::uint8_t> resize_triangle(const std::uint8_t* pixels, int height, int width,
                                          int channels, int scaled_height, int scaled_width,
                                          int top, int left, int out_height, int out_width) {
  SMT_CHECK(height >= 1 && width >= 1 && channels >= 1 && scaled_height >= 1 && scaled_width >= 1 &&
                out_height >= 1 && out_width >= 1,
            "cannot resize a ", height, "x", width, "x", channels, " image to ", scaled_height, "x",
            scaled_width, " (window ", out_height, "x", out_width, "): sizes must be >= 1");
  SMT_CHECK(top >= 0 && left >= 0 && top + out_height <= scaled_height &&
                left + out_width <= scaled_width,
            "resize window ", out_height, "x", out_width, " at (", top, ", ", left,
            ") lies outside the ", scaled_height, "x", scaled_width, " image");
  const AxisFilter fx = axis_filter(width, scaled_width, left, out_width);
  const AxisFilter fy = axis_filter(height, scaled_height, top, out_height);
  const std::size_t c = static_cast<std::size_t>(channels);
  // Rows: only the input rows some output row reads.
  const int row0 = fy.first.front();
  const int row1 = fy.first.back() + fy.count.back();
  const std::size_t row_len = static_cast<std::size_t>(out_width) * c;
  std::vector<double> rows(static_cast<std::size_t>(row1 - row0) * row_len);
  for (int y = row0; y < row1; ++y) {
    const std::uint8_t* src = pixels + static_cast<std::size_t>(y) * width * c;
    double* dst = rows.data() + static_cast<std::size_t>(y - row0) * row_len;
    if (channels == 1) {
      filter_row<1>(src, fx, out_width, dst);
    } else if (channels == 3) {
      filter_row<3>(src, fx, out_width, dst);
    } else {
      filter_row_any(src, fx, out_width, channels, dst);
    }
  }
  // Columns: whole filtered rows weighted and summed (contiguous, vectorises).
  std::vector<std::uint8_t> out(static_cast<std::size_t>(out_height) * row_len);
  std::vector<double> acc(row_len);
  for (int y = 0; y < out_height; ++y) {
    const double* w = fy.weights.data() + static_cast<std::size_t>(y) * fy.max_taps;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int t = 0; t < fy.count[y]; ++t) {
      const double* in = rows.data() + static_cast<std::size_t>(fy.first[y] - row0 + t) * row_len;
      for (std::size_t i = 0; i < row_len; ++i) acc[i] += w[t] * in[i];
    }
    std::uint8_t* dst = out.data() + static_cast<std::size_t>(y) * row_len;
    for (std::size_t i = 0; i < row_len; ++i) dst[i] = to_byte(acc[i]);
  }
  return out;
}

std::vector<std::uint8_t> resize_triangle(const std::uint8_t* pixels, int height, int width,
                                          int channels, int out_height, int out_width) {
  return resize_triangle(pixels, height, width, channels, out_height, out_width, 0, 0, out_height,
                         out_width);
}

CentreCrop centre_crop(int height, int width, int side) {
  SMT_CHECK(height >= 1 && width >= 1 && side >= 1, "cannot crop a ", height, "x", width,
            " image to ", side, "x", side, ": sizes must be >= 1");
  auto longer = [side](int lng, int shrt) {
    return static_cast<int>(static_cast<std::int64_t>(lng) * side / shrt);
  };
  CentreCrop c;
  c.scaled_height = height <= width ? side : longer(height, width);
  c.scaled_width = height <= width ? longer(width, height) : side;
  c.top = (c.scaled_height - side) / 2;
  c.left = (c.scaled_width - side) / 2;
  return c;
}

DecodedImage resize_and_centre_crop(const DecodedImage& image, int side) {
  const CentreCrop c = centre_crop(image.height, image.width, side);
  DecodedImage out;
  out.height = out.width = side;
  out.channels = image.channels;
  if (c.scaled_height == image.height && c.scaled_width == image.width) {
    // No scaling, only the crop: copy its rows.
    const std::size_t row = static_cast<std::size_t>(side) * image.channels;
    out.pixels.resize(row * side);
    for (int y = 0; y < side; ++y) {
      const std::size_t src =
          (static_cast<std::size_t>(c.top + y) * image.width + c.left) * image.channels;
      std::copy_n(image.pixels.begin() + static_cast<std::ptrdiff_t>(src), row,
                  out.pixels.begin() + static_cast<std::ptrdiff_t>(y * row));
    }
    return out;
  }
  out.pixels = resize_triangle(image.pixels.data(), image.height, image.width, image.channels,
                               c.scaled_height, c.scaled_width, c.top, c.left, side, side);
  return out;
}

}  // namespace smt
