#pragma once
#include <stdexcept>
#include <string>

namespace mladec {

// One code per thing that can be wrong, so callers (and tests) can tell bad
// inputs apart without parsing messages.
enum class ErrorCode {
  kBadBatch,
  kBadNumHeads,
  kBadQLen,
  kBadTotalQ,
  kBadPageSize,
  kBadNumPages,
  kBadBlockTableWidth,
  kBadKvDtype,
  kBadSoftmaxScale,
  kBadPolicy,
  kBadFixedChunk,
  kBadWorkers,
  kBadConfig,
  kBadSeqLen,
  kBadQoIndptr,
  kBadBlockTable,
  kBadSlot,
  kBadTensor,
  kNullPointer,
  kBadKvScale,
  kBufferTooSmall,
  kPlanMismatch,
  kPlanInvalid,
  kUnsupportedDevice,
  kCudaError,
};

const char* error_code_name(ErrorCode code);

// Thrown by every API function on bad input, before anything is written.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace mladec
