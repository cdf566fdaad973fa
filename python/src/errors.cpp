// mladec::Error surfaces as mladec.Error (python/mladec/_errors.py) carrying
// the C++ message and the error code's name, so callers can branch on .code
// instead of parsing messages.
#include "mladec/error.h"
#include "python/src/bindings.h"

namespace nb = nanobind;

namespace mladec::python {

void bind_errors(nb::module_&) {
  nb::register_exception_translator(
      [](const std::exception_ptr& exception, void*) {
        try {
          std::rethrow_exception(exception);
        } catch (const Error& error) {
          // Looked up per error, not cached: a cached Python object would
          // outlive the interpreter at exit.
          nb::object type = nb::module_::import_("mladec._errors").attr("Error");
          nb::object instance = type(error.what(), error_code_name(error.code()));
          PyErr_SetObject(type.ptr(), instance.ptr());
        }
      });
}

}  // namespace mladec::python
