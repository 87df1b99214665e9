// smt._smt.Estimator: the library's smt::Estimator for Python. Images come in
// as NumPy arrays (no copy beyond the library's own 8-bit one), features go
// out into a NumPy array the C++ code fills; the GIL is released while it
// works, and Ctrl-C stops it at the next cancellation point.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "py_arrays.h"
#include "py_bindings.h"
#include "py_observer.h"
#include "smt/core/error.h"
#include "smt/model/estimator.h"

namespace py = pybind11;

namespace smt_py {

namespace {

smt::Config config_from_json(const std::string& params_json) {
  smt::Config c;
  c.update_from_json(nlohmann::json::parse(params_json), "parameters");
  return c;
}

// The observer is attached for one call only, whatever way the call ends.
class ObserverScope {
 public:
  ObserverScope(smt::Estimator& e, const py::object& callback, double interval_s)
      : e_(e), observer_(std::make_shared<PyObserver>(callback, interval_s)) {
    e_.set_observer(observer_);
  }
  ~ObserverScope() { e_.set_observer(nullptr); }
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;
  PyObserver& observer() { return *observer_; }

 private:
  smt::Estimator& e_;
  std::shared_ptr<PyObserver> observer_;
};

std::string to_bytes(const smt::Estimator& e) {
  std::ostringstream out(std::ios::binary);
  e.save(out);
  return std::move(out).str();
}

smt::Estimator from_bytes(const py::bytes& b, const std::string& name) {
  std::istringstream in(std::string(b), std::ios::binary);
  return smt::Estimator::load(in, name);
}

template <class T>
py::array_t<T> matrix_copy(const std::vector<T>& v, py::ssize_t rows, py::ssize_t cols) {
  py::array_t<T> a({rows, cols});
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

}  // namespace

void bind_estimator(py::module_& m) {
  py::class_<smt::Estimator>(m, "Estimator",
                             "The C++ estimator (use smt.SparseManifoldTransform instead).")
      .def(py::init([](const std::string& params_json) {
             return smt::Estimator(config_from_json(params_json));
           }),
           py::arg("params_json") = "{}")
      .def(
          "fit",
          [](smt::Estimator& e, const py::array& x, const py::object& y, const py::object& callback,
             double interval_s) {
            smt::ImageView view = image_view(x, "X");
            std::vector<std::int32_t> labels;
            if (!y.is_none()) {
              labels = labels_of(py::array::ensure(y), view.count, "y");
              view.labels = labels.data();
            }
            ObserverScope scope(e, callback, interval_s);
            run_released(scope.observer(), [&] { e.fit(view, "X"); });
          },
          py::arg("X"), py::arg("y") = py::none(), py::arg("callback") = py::none(),
          py::arg("interval") = 1.0)
      .def(
          "transform",
          [](smt::Estimator& e, const py::array& x, const py::object& callback, double interval_s) {
            const smt::ImageView view = image_view(x, "X");
            py::array_t<float> out(
                {static_cast<py::ssize_t>(view.count), static_cast<py::ssize_t>(e.feature_dim())});
            float* data = out.mutable_data();
            const auto size = static_cast<std::size_t>(out.size());
            // A copy (it shares the fitted model) carries this call's observer,
            // so transforms from several Python threads do not race on one.
            smt::Estimator local = e;
            ObserverScope scope(local, callback, interval_s);
            run_released(scope.observer(), [&] { local.transform(view, data, size, "X"); });
            return out;
          },
          py::arg("X"), py::arg("callback") = py::none(), py::arg("interval") = 1.0)
      .def_property_readonly("fitted", &smt::Estimator::fitted)
      .def_property_readonly("feature_dim", &smt::Estimator::feature_dim)
      .def_property_readonly("config_json",
                             [](const smt::Estimator& e) { return e.config().to_json().dump(); })
      .def_property_readonly("fit_metrics_json",
                             [](const smt::Estimator& e) { return e.fit_metrics().dump(); })
      .def_property_readonly("fit_report_json",
                             [](const smt::Estimator& e) { return e.model().fit_report.dump(); })
      .def_property_readonly("image_shape",
                             [](const smt::Estimator& e) {
                               const smt::SmtModel& mo = e.model();
                               return py::make_tuple(mo.height, mo.width, mo.channels);
                             })
      .def_property_readonly("num_classes",
                             [](const smt::Estimator& e) { return e.model().num_classes; })
      .def_property_readonly("whitening",
                             [](const smt::Estimator& e) {
                               const smt::Whitener& w = e.model().whitener;
                               return matrix_copy(w.matrix(), w.dim(), w.dim());
                             })
      .def_property_readonly("dictionary",
                             [](const smt::Estimator& e) {
                               const smt::Dictionary& d = e.model().dictionary;
                               return matrix_copy(d.atoms(), d.size(), d.dim());
                             })
      .def_property_readonly("projection",
                             [](const smt::Estimator& e) {
                               // by_atom is K x d (row k = column k of P); P is d x K.
                               const smt::Projection& p = e.model().projection;
                               const auto k = static_cast<py::ssize_t>(p.dict_size());
                               const auto d = static_cast<py::ssize_t>(p.embed_dim());
                               py::array_t<float> out({d, k});
                               auto o = out.mutable_unchecked<2>();
                               const std::vector<float>& by_atom = p.by_atom();
                               for (py::ssize_t a = 0; a < k; ++a)
                                 for (py::ssize_t j = 0; j < d; ++j)
                                   o(j, a) = by_atom[static_cast<std::size_t>(a * d + j)];
                               return out;
                             })
      .def_property_readonly("eigenvalues",
                             [](const smt::Estimator& e) {
                               const std::vector<double>& v = e.model().projection.eigenvalues();
                               py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
                               std::copy(v.begin(), v.end(), a.mutable_data());
                               return a;
                             })
      .def("save", py::overload_cast<const std::string&>(&smt::Estimator::save, py::const_),
           py::arg("path"), py::call_guard<py::gil_scoped_release>(),
           "Writes the model file (atomically: a temporary file, then rename).")
      .def("to_bytes", [](const smt::Estimator& e) { return py::bytes(to_bytes(e)); })
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return smt::Estimator::load(path);
          },
          py::arg("path"))
      .def_static(
          "from_bytes", [](const py::bytes& b) { return from_bytes(b, "model bytes"); },
          py::arg("data"))
      .def(py::pickle(
          [](const smt::Estimator& e) {
            if (!e.fitted()) return py::make_tuple(e.config().to_json().dump(), py::none());
            return py::make_tuple(e.config().to_json().dump(), py::bytes(to_bytes(e)));
          },
          [](const py::tuple& t) {
            SMT_CHECK(t.size() == 2, "pickled smt.Estimator: expected 2 fields, got ", t.size());
            if (t[1].is_none()) return smt::Estimator(config_from_json(t[0].cast<std::string>()));
            return from_bytes(t[1].cast<py::bytes>(), "pickled model");
          }));
}

}  // namespace smt_py
