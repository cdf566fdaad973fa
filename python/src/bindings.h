#pragma once
// Each file registers one group of the extension's names on the module.
#include <nanobind/nanobind.h>

namespace mladec::python {

void bind_errors(nanobind::module_& m);
void bind_problem(nanobind::module_& m);
void bind_host(nanobind::module_& m);
void bind_device(nanobind::module_& m);

}  // namespace mladec::python
