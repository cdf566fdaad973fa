#include "mladec/error.h"

namespace mladec {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadBatch: return "bad_batch";
    case ErrorCode::kBadNumHeads: return "bad_num_heads";
    case ErrorCode::kBadQLen: return "bad_q_len";
    case ErrorCode::kBadTotalQ: return "bad_total_q";
    case ErrorCode::kBadPageSize: return "bad_page_size";
    case ErrorCode::kBadNumPages: return "bad_num_pages";
    case ErrorCode::kBadBlockTableWidth: return "bad_block_table_width";
    case ErrorCode::kBadKvDtype: return "bad_kv_dtype";
    case ErrorCode::kBadSoftmaxScale: return "bad_softmax_scale";
    case ErrorCode::kBadPolicy: return "bad_policy";
    case ErrorCode::kBadFixedChunk: return "bad_fixed_chunk";
    case ErrorCode::kBadWorkers: return "bad_workers";
    case ErrorCode::kBadConfig: return "bad_config";
    case ErrorCode::kBadSeqLen: return "bad_seqlen";
    case ErrorCode::kBadQoIndptr: return "bad_qo_indptr";
    case ErrorCode::kBadBlockTable: return "bad_block_table";
    case ErrorCode::kBadSlot: return "bad_slot";
    case ErrorCode::kBadTensor: return "bad_tensor";
    case ErrorCode::kNullPointer: return "null_pointer";
    case ErrorCode::kBadKvScale: return "bad_kv_scale";
    case ErrorCode::kBufferTooSmall: return "buffer_too_small";
    case ErrorCode::kPlanMismatch: return "plan_mismatch";
    case ErrorCode::kPlanInvalid: return "plan_invalid";
    case ErrorCode::kUnsupportedDevice: return "unsupported_device";
    case ErrorCode::kCudaError: return "cuda_error";
  }
  return "unknown";
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(std::string(error_code_name(code)) + ": " + message),
      code_(code) {}

}  // namespace mladec
