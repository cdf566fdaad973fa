# The sm_90a kernels and their host-side launchers, part of target mladec.
target_sources(mladec PRIVATE
  src/cuda/device_info.cu
  src/cuda/plan_kernel.cu
  src/cuda/validate_args.cu
)
target_compile_definitions(mladec PUBLIC MLADEC_WITH_CUDA=1)
target_link_libraries(mladec PUBLIC CUDA::cudart)
target_compile_options(mladec PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -Xptxas=-warn-spills>)
