# CUDA toolkit headers for host-only translation units (CuTe includes
# cuda_runtime_api.h and, from CUDA 13, the CCCL headers under include/cccl).
# Works without nvcc where the headers exist. Defines QGEMM_CUDA_HEADERS_FOUND and
# the INTERFACE target qgemm::cuda_headers.
include_guard(GLOBAL)

find_package(CUDAToolkit QUIET)
set(_qgemm_cuda_include_dirs "")
if(CUDAToolkit_FOUND)
  set(_qgemm_cuda_include_dirs ${CUDAToolkit_INCLUDE_DIRS})
elseif(QGEMM_CUDA_INCLUDE_DIR)
  set(_qgemm_cuda_include_dirs "${QGEMM_CUDA_INCLUDE_DIR}")
endif()

set(QGEMM_CUDA_HEADERS_FOUND OFF)
foreach(_dir IN LISTS _qgemm_cuda_include_dirs)
  if(EXISTS "${_dir}/cuda_runtime_api.h")
    set(QGEMM_CUDA_HEADERS_FOUND ON)
    if(EXISTS "${_dir}/cccl/cuda/std/utility")
      list(APPEND _qgemm_cuda_include_dirs "${_dir}/cccl")
    endif()
  endif()
endforeach()

if(QGEMM_CUDA_HEADERS_FOUND AND NOT TARGET qgemm::cuda_headers)
  list(REMOVE_DUPLICATES _qgemm_cuda_include_dirs)
  add_library(qgemm_cuda_headers INTERFACE IMPORTED GLOBAL)
  set_target_properties(qgemm_cuda_headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_qgemm_cuda_include_dirs}")
  add_library(qgemm::cuda_headers ALIAS qgemm_cuda_headers)
endif()
