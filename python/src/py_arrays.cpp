#include "py_arrays.h"

#include <limits>

#include "smt/core/error.h"

namespace py = pybind11;

namespace smt_py {

namespace {
std::string dtype_name(const py::array& a) {
  return py::str(a.dtype()).cast<std::string>();
}
}  // namespace

smt::ImageView image_view(const py::array& images, const std::string& arg) {
  smt::ImageView v;
  if (py::isinstance<py::array_t<std::uint8_t>>(images)) {
    v.type = smt::PixelType::kUint8;
  } else if (py::isinstance<py::array_t<float>>(images)) {
    v.type = smt::PixelType::kFloat32;
  } else if (py::isinstance<py::array_t<double>>(images)) {
    v.type = smt::PixelType::kFloat64;
  } else {
    SMT_THROW(arg, ": images of dtype ", dtype_name(images),
              "; pass uint8 (0..255) or float32/float64 in [0, 1], e.g. X.astype(np.uint8)");
  }
  const auto nd = images.ndim();
  SMT_CHECK(nd == 3 || nd == 4, arg, ": an array of ", nd,
            " dimensions; images are (n, height, width) or (n, height, width, channels)");
  SMT_CHECK(images.shape(0) > 0, arg, ": no images (the first dimension is 0)");
  v.data = images.data();
  v.count = static_cast<std::size_t>(images.shape(0));
  v.height = static_cast<int>(images.shape(1));
  v.width = static_cast<int>(images.shape(2));
  v.channels = nd == 4 ? static_cast<int>(images.shape(3)) : 1;
  SMT_CHECK(v.channels == 1 || v.channels == 3, arg, ": images with ", v.channels,
            " channels (last dimension); smt reads grayscale (1) or RGB (3) images");
  v.strides = std::array<std::ptrdiff_t, 4>{
      images.strides(0), images.strides(1), images.strides(2),
      nd == 4 ? images.strides(3) : static_cast<py::ssize_t>(smt::pixel_bytes(v.type))};
  return v;
}

std::vector<std::int32_t> labels_of(const py::array& labels, std::size_t n,
                                    const std::string& arg) {
  const char kind = labels.dtype().kind();
  SMT_CHECK(kind == 'i' || kind == 'u', arg, ": labels of dtype ", dtype_name(labels),
            "; pass integer class indices 0, 1, ...");
  SMT_CHECK(labels.ndim() == 1 && static_cast<std::size_t>(labels.shape(0)) == n, arg,
            ": labels must be one per image, shape (", n, ",)");
  const auto wide = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>(labels);
  std::vector<std::int32_t> out(n);
  const std::int64_t* p = wide.data();
  for (std::size_t i = 0; i < n; ++i) {
    SMT_CHECK(p[i] >= 0 && p[i] <= std::numeric_limits<std::int32_t>::max(), arg, ": label ", p[i],
              " of image ", i, " is not a 0-based class index");
    out[i] = static_cast<std::int32_t>(p[i]);
  }
  return out;
}

py::array_t<float> float_matrix(const py::array& a, const std::string& arg, std::size_t cols) {
  const char kind = a.dtype().kind();
  SMT_CHECK(kind == 'f' || kind == 'i' || kind == 'u', arg, ": features of dtype ", dtype_name(a),
            "; pass a float array");
  SMT_CHECK(a.ndim() == 2, arg, ": an array of ", a.ndim(),
            " dimensions; features are (n_samples, n_features)");
  SMT_CHECK(cols == 0 || static_cast<std::size_t>(a.shape(1)) == cols, arg, ": ", a.shape(1),
            " features per row, expected ", cols);
  return py::array_t<float, py::array::c_style | py::array::forcecast>(a);
}

py::tuple to_numpy(smt::ImageSet&& set) {
  const auto n = static_cast<py::ssize_t>(set.size());
  auto* pixels = new std::vector<std::uint8_t>(std::move(set.pixels));
  py::capsule owner(pixels, [](void* p) { delete static_cast<std::vector<std::uint8_t>*>(p); });
  std::vector<py::ssize_t> shape = {n, set.height, set.width};
  if (set.channels != 1) shape.push_back(set.channels);
  py::array_t<std::uint8_t> x(shape, pixels->data(), owner);
  py::array_t<std::int64_t> y(n);
  for (py::ssize_t i = 0; i < n; ++i) y.mutable_at(i) = set.labels[static_cast<std::size_t>(i)];
  return py::make_tuple(x, y);
}

}  // namespace smt_py
