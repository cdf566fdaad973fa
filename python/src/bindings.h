#pragma once
// Each file registers one group of the extension's names on the module.
#include <nanobind/nanobind.h>

#include <string>

#include "mladec/problem.h"

namespace mladec::python {

// The Python API names enum values by their C++ names (kv_dtype_name(),
// policy_name()); throws kBadKvDtype for any other name.
KvDtype parse_kv_dtype(const std::string& name);

void bind_errors(nanobind::module_& m);
void bind_problem(nanobind::module_& m);
void bind_host(nanobind::module_& m);
void bind_device(nanobind::module_& m);
void bind_append(nanobind::module_& m);

}  // namespace mladec::python
