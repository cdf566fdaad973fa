// mladec._mladec: the nanobind extension under the Python package. The
// package's modules (mladec/*.py) wrap it; users import mladec, not this.
#include "python/src/bindings.h"

NB_MODULE(_mladec, m) {
  m.doc() = "mladec's C++ library, bound with nanobind (use the mladec package).";
  m.attr("__version__") = MLADEC_VERSION;
  mladec::python::bind_errors(m);
  mladec::python::bind_problem(m);
  mladec::python::bind_host(m);
  mladec::python::bind_device(m);
  mladec::python::bind_append(m);
}
