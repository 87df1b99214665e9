// How library failures reach Python: smt::Error becomes smt.Error (a
// ValueError subclass) with parameters spelled as keyword arguments
// (dict_size), and a run the observer cancelled re-raises the Python
// exception that cancelled it (KeyboardInterrupt from Ctrl-C).
#pragma once

#include <pybind11/pybind11.h>

namespace smt_py {

// Creates smt._smt.Error and registers the translator.
void bind_errors(pybind11::module_& m);

}  // namespace smt_py
