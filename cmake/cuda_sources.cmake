# The sm_90a kernels and their host-side launchers, part of target mladec.
target_sources(mladec PRIVATE
  src/cuda/device_info.cu
  src/cuda/plan_kernel.cu
  src/cuda/validate_args.cu
  src/cuda/decode.cu
  src/cuda/input_checks.cu
  src/cuda/kv_tensor_map.cu
  src/cuda/decode_kernels.cu
  src/cuda/combine_kernel.cu
  src/cuda/step_timeline.cu
  src/cuda/device_step.cu
  src/cuda/append_kv.cu
  src/cuda/append_kernel.cu
)
target_compile_definitions(mladec PUBLIC MLADEC_WITH_CUDA=1)
# A Python wheel links the CUDA runtime statically: it then needs only the
# driver, whichever runtime (if any) the frameworks in the process bring.
option(MLADEC_STATIC_CUDART "Link the CUDA runtime statically" OFF)
if(MLADEC_STATIC_CUDART)
  target_link_libraries(mladec PUBLIC CUDA::cudart_static)
else()
  target_link_libraries(mladec PUBLIC CUDA::cudart)
endif()
target_compile_options(mladec PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -Xptxas=-warn-spills,-warn-lmem-usage>)
# The block trace of the row and fp8-compute forms (src/cuda/block_trace.cuh,
# read with scripts/block-trace-summary.py) and the step timeline
# (src/cuda/step_timeline.cuh, read with scripts/step-timeline-summary.py):
# a diagnostic build, never a shipped one — every eager decode() then
# prints its trace to stderr.
option(MLADEC_BLOCK_TRACE "Build the decode kernels with the clock64 block trace" OFF)
if(MLADEC_BLOCK_TRACE)
  target_compile_definitions(mladec PRIVATE MLADEC_BLOCK_TRACE=1)
endif()
# The project's kernels may not spill or use local memory (issue 3: "no
# register spills"): with this on, ptxas's warnings for either fail the
# build, CI's included, instead of waiting for a GPU run's SASS count. Off
# for the trace build (its extra stamps may spill: a diagnostic) and by
# default for the Python package, which users build with whatever nvcc
# they have: a newer ptxas's new warning must not stop their install.
if(SKBUILD OR MLADEC_BLOCK_TRACE)
  set(ptxas_werror_default OFF)
else()
  set(ptxas_werror_default ON)
endif()
option(MLADEC_PTXAS_WERROR "Fail the build on any ptxas warning (spills, local memory)"
       ${ptxas_werror_default})
if(MLADEC_PTXAS_WERROR)
  target_compile_options(mladec PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xptxas=-Werror>)
endif()

# CuTe/CUTLASS headers, installed by scripts/install-deps.sh.
set(MLADEC_CUTLASS_DIR "${PROJECT_SOURCE_DIR}/.deps/cutlass/include" CACHE PATH
    "CUTLASS/CuTe include directory (holds cute/ and cutlass/)")
if(EXISTS "${MLADEC_CUTLASS_DIR}/cute/tensor.hpp")
  target_include_directories(mladec PRIVATE "${MLADEC_CUTLASS_DIR}")
else()
  message(STATUS "mladec: no CUTLASS headers at ${MLADEC_CUTLASS_DIR} "
                 "(run scripts/install-deps.sh or set MLADEC_CUTLASS_DIR)")
endif()
