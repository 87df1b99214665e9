// The parts of the compiled module smt._smt, one function per concern.
#pragma once

#include <pybind11/pybind11.h>

namespace smt_py {

void bind_params(pybind11::module_& m);     // py_params.cpp
void bind_estimator(pybind11::module_& m);  // py_estimator.cpp
void bind_knn(pybind11::module_& m);        // py_knn.cpp
void bind_datasets(pybind11::module_& m);   // py_datasets.cpp

}  // namespace smt_py
