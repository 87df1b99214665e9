// smt._smt.knn_classify: the library's streaming weighted cosine k-NN
// (eval/knn.h), the classifier `smt run` and `smt eval` score with.
#include <pybind11/numpy.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "py_arrays.h"
#include "py_bindings.h"
#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/eval/knn.h"

namespace py = pybind11;

namespace smt_py {

namespace {

// k and temperature are the table's knn-k and knn-temperature: the same
// bounds as on the command line.
void check_knn_params(int k, double temperature) {
  smt::Config c;
  c.update_from_json({{"knn-k", k}, {"knn-temperature", temperature}}, "knn_classify");
}

}  // namespace

void bind_knn(py::module_& m) {
  m.def(
      "knn_classify",
      [](const py::array& train_features, const py::array& train_labels,
         const py::array& test_features, int k, double temperature, const py::object& test_labels,
         int threads) {
        check_knn_params(k, temperature);
        const py::array_t<float> refs = float_matrix(train_features, "train_features");
        const auto n_refs = static_cast<std::size_t>(refs.shape(0));
        const auto dim = static_cast<std::size_t>(refs.shape(1));
        const py::array_t<float> queries = float_matrix(test_features, "test_features", dim);
        const auto n_queries = static_cast<std::size_t>(queries.shape(0));
        SMT_CHECK(n_refs > 0 && n_queries > 0, "knn_classify: ", n_refs, " training and ",
                  n_queries, " test feature rows; both must be non-empty");
        const std::vector<std::int32_t> labels = labels_of(train_labels, n_refs, "train_labels");
        std::vector<int> truth;
        if (!test_labels.is_none()) {
          const std::vector<std::int32_t> t =
              labels_of(py::array::ensure(test_labels), n_queries, "test_labels");
          truth.assign(t.begin(), t.end());
        }
        int num_classes = 0;
        for (std::int32_t l : labels) num_classes = std::max(num_classes, l + 1);
        for (int l : truth) num_classes = std::max(num_classes, l + 1);
        const std::vector<int> ref_labels(labels.begin(), labels.end());

        smt::KnnResult r;
        {
          py::gil_scoped_release release;
          const smt::ScopedThreadLimit limit(threads);
          smt::KnnAccumulator acc(queries.data(), n_queries, dim, k);
          acc.add_references(refs.data(), ref_labels.data(), n_refs);
          r = acc.classify(num_classes, static_cast<float>(temperature), truth);
        }
        py::array_t<std::int64_t> pred(static_cast<py::ssize_t>(n_queries));
        py::array_t<std::int64_t> top5({static_cast<py::ssize_t>(n_queries), py::ssize_t(5)});
        auto p = pred.mutable_unchecked<1>();
        auto t5 = top5.mutable_unchecked<2>();
        for (std::size_t i = 0; i < n_queries; ++i) {
          p(static_cast<py::ssize_t>(i)) = r.top1[i];
          for (py::ssize_t j = 0; j < 5; ++j)
            t5(static_cast<py::ssize_t>(i), j) = r.top5[i][static_cast<std::size_t>(j)];
        }
        py::dict out;
        out["predictions"] = pred;
        out["top5"] = top5;
        out["top1_accuracy"] = truth.empty() ? py::object(py::none()) : py::float_(r.top1_accuracy);
        out["top5_accuracy"] = truth.empty() ? py::object(py::none()) : py::float_(r.top5_accuracy);
        return out;
      },
      py::arg("train_features"), py::arg("train_labels"), py::arg("test_features"), py::arg("k"),
      py::arg("temperature"), py::arg("test_labels") = py::none(), py::arg("threads") = 0);
}

}  // namespace smt_py
