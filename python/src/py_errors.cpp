#include "py_errors.h"

#include "smt/core/error.h"

namespace py = pybind11;

namespace smt_py {

void bind_errors(py::module_& m) {
  // Leaked on purpose: the type lives as long as the interpreter.
  static py::exception<smt::Error> error(m, "Error", PyExc_ValueError);
  error.doc() =
      "Raised for bad input or impossible parameters; names the argument or parameter and the fix.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const smt::Error& e) {
      PyErr_SetString(error.ptr(), e.message(smt::Spelling::kPython).c_str());
    }
  });
}

}  // namespace smt_py
