#pragma once
// Checks of a TensorView's layout — dtype, shape, strides, alignment — that
// hold wherever its memory lives: the device argument checks add where the
// pointers point, the host entry points use these alone. All throw
// mladec::Error naming the tensor `name`.
#include <initializer_list>

#include "mladec/tensor.h"

namespace mladec::detail {

// Non-null, of `dtype` and exactly `shape`, contiguous in its last dimension
// (when that has more than one element), other strides >= 0. Null is checked
// first, so that a tensor left out (an empty view) is named as missing rather
// than as having the default view's dtype or rank.
void check_tensor_layout(const TensorView& t, const char* name, ScalarType dtype,
                         std::initializer_list<int64_t> shape);

// Rows (all but the last dimension) start on 16-byte boundaries, as 16-byte
// vector loads and stores need.
void check_vector_aligned(const TensorView& t, const char* name);

// For outputs: no two elements share an address (a zero or too small stride
// would have several threads write one element, leaving whichever write
// lands last).
void check_no_self_overlap(const TensorView& t, const char* name);

}  // namespace mladec::detail
