// smt._smt dataset loaders: every format the command line reads, with the
// same seeded class-balanced subsets (--train-limit/--test-limit) and
// held-out choice (--validation).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "py_arrays.h"
#include "py_bindings.h"
#include "smt/core/error.h"
#include "smt/io/cifar_reader.h"
#include "smt/io/dataset.h"
#include "smt/io/idx_reader.h"
#include "smt/io/image_folder.h"
#include "smt/io/subset.h"

namespace py = pybind11;

namespace smt_py {

namespace {

bool is_train(const std::string& split) {
  SMT_CHECK(split == "train" || split == "test", "split '", split,
            "': pass split='train' or split='test'");
  return split == "train";
}

// (X, y, class_names) from a loader, the GIL released while it reads.
template <class Load>
py::tuple load_with(Load&& load) {
  smt::ImageSet set;
  {
    py::gil_scoped_release release;
    set = load();
  }
  std::vector<std::string> names = set.class_names;
  py::tuple xy = to_numpy(std::move(set));
  return py::make_tuple(xy[0], xy[1], names);
}

std::vector<int> int_labels(const py::array& y) {
  const std::vector<std::int32_t> l =
      labels_of(y, static_cast<std::size_t>(y.ndim() == 1 ? y.shape(0) : 0), "y");
  return {l.begin(), l.end()};
}

py::array_t<std::int64_t> indices_of(const std::vector<char>& mask, bool chosen) {
  std::vector<std::int64_t> idx;
  for (std::size_t i = 0; i < mask.size(); ++i)
    if ((mask[i] != 0) == chosen) idx.push_back(static_cast<std::int64_t>(i));
  py::array_t<std::int64_t> a(static_cast<py::ssize_t>(idx.size()));
  std::copy(idx.begin(), idx.end(), a.mutable_data());
  return a;
}

}  // namespace

void bind_datasets(py::module_& m) {
  m.def(
      "load_split",
      [](const std::string& dir, const std::string& split, std::int64_t limit, std::uint64_t seed,
         bool cifar100_coarse) {
        const bool train = is_train(split);
        return load_with([&] {
          return smt::load_split(
              dir, train,
              smt::LoadOptions{
                  .cifar100_coarse = cifar100_coarse, .limit = limit, .limit_seed = seed});
        });
      },
      py::arg("path"), py::arg("split"), py::arg("limit") = 0, py::arg("seed") = 0,
      py::arg("cifar100_coarse") = false);
  m.def(
      "load_format",
      [](const std::string& format, const std::string& path, const std::string& split,
         std::int64_t limit, std::uint64_t seed, bool coarse, int resize) {
        const bool train = is_train(split);
        return load_with([&] {
          SMT_CHECK(resize == 0 || format == "image_folder", "resize ", resize,
                    " applies only to image folders, not to ", format, " data; leave it at 0");
          smt::ImageSet s;
          if (format == "mnist") {
            // As load_split looks: `path`, else its mnist/ subdirectory; with
            // neither, load_mnist's error names `path`.
            const std::string found = smt::find_mnist_dir(path);
            s = smt::load_mnist(found.empty() ? path : found, train);
          } else if (format == "cifar10") {
            s = smt::load_cifar10(path, train);
          } else if (format == "cifar100") {
            s = smt::load_cifar100(path, train, coarse);
          } else if (format == "image_folder") {
            return smt::load_image_folder(path, train, limit, seed, resize);
          } else {
            SMT_THROW("unknown dataset format '", format, "'");
          }
          smt::apply_limit(s, limit, seed);
          return s;
        });
      },
      py::arg("format"), py::arg("path"), py::arg("split"), py::arg("limit") = 0,
      py::arg("seed") = 0, py::arg("coarse") = false, py::arg("resize") = 0);
  m.def(
      "balanced_subset",
      [](const py::array& y, std::int64_t n, std::uint64_t seed) {
        SMT_CHECK(n >= 0, "n = ", n, " must be >= 0");
        const std::vector<int> labels = int_labels(y);
        return indices_of(smt::balanced_choice(labels, 0, static_cast<std::size_t>(n), seed, "y"),
                          true);
      },
      py::arg("y"), py::arg("n"), py::arg("seed") = 0,
      "Indices (ascending) of the seeded class-balanced subset of n images that --train-limit "
      "and --test-limit keep.");
  m.def(
      "hold_out_indices",
      [](const py::array& y, std::int64_t n, std::uint64_t seed) {
        SMT_CHECK(n >= 1, "n = ", n, " must be >= 1");
        const std::vector<int> labels = int_labels(y);
        const std::vector<char> mask =
            smt::hold_out_choice(labels, 0, static_cast<std::size_t>(n), seed, "y");
        return py::make_tuple(indices_of(mask, false), indices_of(mask, true));
      },
      py::arg("y"), py::arg("n"), py::arg("seed") = 0,
      "(fit indices, held-out indices) of --validation n with this seed.");
}

}  // namespace smt_py
