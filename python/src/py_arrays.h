// NumPy arrays in and out of the library without needless copies: images
// (uint8, float32 or float64 with any strides) described as an ImageView,
// labels checked and converted, feature matrices allocated by NumPy.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "smt/core/image_set.h"
#include "smt/core/image_view.h"

namespace smt_py {

// A view of `images` (shape (n, h, w) or (n, h, w, c)); the array must stay
// alive while the view is used. Throws smt::Error naming `arg` for another
// dtype or number of dimensions.
smt::ImageView image_view(const pybind11::array& images, const std::string& arg);

// One 0-based int32 label per image from an integer array of shape (n,).
std::vector<std::int32_t> labels_of(const pybind11::array& labels, std::size_t n,
                                    const std::string& arg);

// A float32 C-contiguous matrix checked to be (rows, cols) when cols > 0.
pybind11::array_t<float> float_matrix(const pybind11::array& a, const std::string& arg,
                                      std::size_t cols = 0);

// The images of a set as a NumPy array that takes over its pixels (no copy):
// (n, h, w) for one channel, (n, h, w, 3) for RGB; and the labels (int64).
pybind11::tuple to_numpy(smt::ImageSet&& set);

}  // namespace smt_py
