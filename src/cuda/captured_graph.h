#pragma once
#include <cuda_runtime_api.h>

#include "src/cuda/cuda_check.h"

namespace mladec::detail {

// Captures what `enqueue()` issues on `stream` into `graph` and instantiates
// it into `exec`. If enqueue throws, the capture is ended first, so that the
// stream is usable again, and the error passed on; if the instantiation
// fails, `graph` is destroyed and the error thrown. The one capture path of
// DeviceStepGraph, the CLI's timing and the benchmark's.
template <typename Enqueue>
void capture_graph(cudaStream_t stream, Enqueue&& enqueue, cudaGraph_t& graph,
                   cudaGraphExec_t& exec) {
  cuda_check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal),
             "cudaStreamBeginCapture");
  try {
    enqueue();
  } catch (...) {
    cudaGraph_t abandoned = nullptr;
    cudaStreamEndCapture(stream, &abandoned);
    if (abandoned != nullptr) cudaGraphDestroy(abandoned);
    throw;
  }
  cuda_check(cudaStreamEndCapture(stream, &graph), "cudaStreamEndCapture");
  const cudaError_t status = cudaGraphInstantiate(&exec, graph, 0);
  if (status != cudaSuccess) {
    cudaGraphDestroy(graph);
    graph = nullptr;
  }
  cuda_check(status, "cudaGraphInstantiate");
}

// capture_graph's graph, owned: launched on any stream, destroyed with it.
class CapturedGraph {
 public:
  template <typename Enqueue>
  CapturedGraph(cudaStream_t stream, Enqueue&& enqueue) {
    capture_graph(stream, enqueue, graph_, exec_);
  }
  ~CapturedGraph() {
    cudaGraphExecDestroy(exec_);
    cudaGraphDestroy(graph_);
  }
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;

  void launch(cudaStream_t stream) const {
    cuda_check(cudaGraphLaunch(exec_, stream), "cudaGraphLaunch");
  }

 private:
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace mladec::detail
