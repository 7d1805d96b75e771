# Decides whether the CUDA kernels are compiled and for which architectures.
#
# Architectures: CMAKE_CUDA_ARCHITECTURES if given (-C cmake.define.CMAKE_CUDA_ARCHITECTURES=...),
# else QGEMM_CUDA_ARCHS (pyproject maps the environment variable of that name onto it),
# else the default below. Sources that need sm90a instructions (wgmma, TMA) are built
# only for 90a; those that need sm_89 (fp8 mma.sync) for 89 and up; the sm80-class
# sources for every architecture in the list.
set(QGEMM_DEFAULT_CUDA_ARCHS "80;86;89;90a")

set(QGEMM_WITH_CUDA OFF)
if(NOT QGEMM_ENABLE_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(QGEMM_WITH_CUDA ON)
  elseif(QGEMM_ENABLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "qgemm: QGEMM_ENABLE_CUDA=ON but no CUDA compiler (nvcc) was found")
  endif()
endif()

if(QGEMM_WITH_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    if(QGEMM_CUDA_ARCHS)
      string(REPLACE "," ";" _archs "${QGEMM_CUDA_ARCHS}")
    else()
      set(_archs ${QGEMM_DEFAULT_CUDA_ARCHS})
    endif()
    set(CMAKE_CUDA_ARCHITECTURES ${_archs})
  endif()
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  find_package(CUDAToolkit REQUIRED)
  # sm80-class sources run everywhere in the list; sm90a sources only where it is listed.
  set(QGEMM_SM80_ARCHS ${CMAKE_CUDA_ARCHITECTURES})
  # sm89 sources (fp8 mma.sync) on every listed architecture from 89 up.
  set(QGEMM_SM90A_ARCHS "")
  set(QGEMM_SM89_ARCHS "")
  foreach(_arch IN LISTS CMAKE_CUDA_ARCHITECTURES)
    if(_arch MATCHES "^90a")
      list(APPEND QGEMM_SM90A_ARCHS ${_arch})
    endif()
    if(_arch MATCHES "^([0-9]+)" AND CMAKE_MATCH_1 GREATER_EQUAL 89)
      list(APPEND QGEMM_SM89_ARCHS ${_arch})
    endif()
  endforeach()
  message(STATUS "qgemm: CUDA kernels for ${CMAKE_CUDA_ARCHITECTURES} (sm89 sources: "
                 "${QGEMM_SM89_ARCHS}; sm90a sources: ${QGEMM_SM90A_ARCHS})")
else()
  message(STATUS "qgemm: no CUDA compiler; building the host-only parts")
endif()
