// smt._smt: the compiled half of the Python package (python/smt/ is the other).
#include <pybind11/pybind11.h>

#include "py_bindings.h"
#include "py_errors.h"

PYBIND11_MODULE(_smt, m) {
  m.doc() = "Sparse Manifold Transform: bindings over the C++ library (use the package smt).";
  m.attr("__version__") = SMT_VERSION_STRING;
  smt_py::bind_errors(m);
  smt_py::bind_params(m);
  smt_py::bind_estimator(m);
  smt_py::bind_knn(m);
  smt_py::bind_datasets(m);
}
