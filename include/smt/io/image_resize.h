// Resampling of 8-bit channel-last images with the antialiased bilinear
// ("triangle") filter, and the shorter-side resize plus centre crop that
// makes an image folder of unequal image sizes one set (--resize S).
//
// The filter, separable (rows, then columns): output pixel o of an axis
// scaled from n to m pixels (scale s = n / m) sits at input position
// (o + 0.5) * s - 0.5 (pixel centres aligned), and input pixel i gets the
// weight max(0, 1 - |i - that position| / f) with f = max(s, 1), the weights
// normalised to sum to 1. When downsampling (s > 1) the triangle widens with
// the scale factor, so every input pixel contributes and fine detail is
// averaged instead of aliased, as PIL's BILINEAR does; when upsampling it is
// plain linear interpolation. Intermediate values stay in double and are
// rounded once, to nearest, into 8 bits. A scale of 1 is the identity.
#pragma once

#include <cstdint>
#include <vector>

#include "smt/io/image_decode.h"

namespace smt {

// The window of out_height x out_width pixels at (top, left) of the image
// scaled to scaled_height x scaled_width (the window must lie inside it);
// only the window's pixels are computed. Throws smt::Error on sizes < 1.
std::vector<std::uint8_t> resize_triangle(const std::uint8_t* pixels, int height, int width,
                                          int channels, int scaled_height, int scaled_width,
                                          int top, int left, int out_height, int out_width);

// The whole image scaled to out_height x out_width.
std::vector<std::uint8_t> resize_triangle(const std::uint8_t* pixels, int height, int width,
                                          int channels, int out_height, int out_width);

// Where the side x side centre crop of an image scaled by its shorter side
// lies: the shorter side becomes `side`, the longer one side * longer /
// shorter rounded down (as torchvision's Resize(side)), and the crop starts
// at half the excess, rounded down (an odd excess leaves the extra pixel on
// the bottom or right).
struct CentreCrop {
  int scaled_height = 0;
  int scaled_width = 0;
  int top = 0;
  int left = 0;
};
CentreCrop centre_crop(int height, int width, int side);

// `image` with its shorter side scaled to `side` and cropped to the centre
// side x side (centre_crop); channels are kept.
DecodedImage resize_and_centre_crop(const DecodedImage& image, int side);

}  // namespace smt
