// Status codes and dtype tags shared by every launcher in qgemm.
//
// Launchers never throw and never allocate: they validate what they can see from
// pointers and sizes, return a Status, and leave the caller (Python or a C++ engine)
// to turn it into an error of its own kind.
#pragma once

namespace qgemm {

enum class Status : int {
  kSuccess = 0,
  kInvalidArgument = 1,    // a size, stride, alignment or pointer breaks the launcher's rule
  kUnsupported = 2,        // valid, but no kernel was compiled for it (arch, dtype, config)
  kWorkspaceTooSmall = 3,  // the caller's workspace is below what *_workspace_bytes() asked for
  kCudaError = 4,          // a launch failed; cudaGetLastError() holds the reason
};

// Activation / output element type (kFloat32: activation quantization inputs only).
enum class DType : int { kFloat16 = 0, kBFloat16 = 1, kFloat32 = 2 };

inline const char* status_string(Status s) {
  switch (s) {
    case Status::kSuccess: return "success";
    case Status::kInvalidArgument: return "invalid argument";
    case Status::kUnsupported: return "unsupported configuration";
    case Status::kWorkspaceTooSmall: return "workspace too small";
    case Status::kCudaError: return "CUDA error";
  }
  return "unknown status";
}

}  // namespace qgemm
