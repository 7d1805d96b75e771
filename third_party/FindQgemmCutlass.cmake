# Locates the CUTLASS / CuTe headers qgemm builds on. Nothing is vendored.
#
# Order: -DQGEMM_CUTLASS_DIR=... or the QGEMM_CUTLASS_DIR environment variable (a CUTLASS
# checkout or its include/), then the nvidia-cutlass wheel of the Python that runs
# the build (its cutlass_library/source/include). Defines the INTERFACE target
# qgemm::cutlass and QGEMM_CUTLASS_INCLUDE_DIR.
include_guard(GLOBAL)

if(NOT QGEMM_CUTLASS_DIR AND DEFINED ENV{QGEMM_CUTLASS_DIR})
  set(QGEMM_CUTLASS_DIR "$ENV{QGEMM_CUTLASS_DIR}")
endif()

set(_qgemm_cutlass_hints "")
if(QGEMM_CUTLASS_DIR)
  list(APPEND _qgemm_cutlass_hints "${QGEMM_CUTLASS_DIR}" "${QGEMM_CUTLASS_DIR}/include")
else()
  if(NOT Python_EXECUTABLE)
    find_package(Python COMPONENTS Interpreter QUIET)
  endif()
  if(Python_EXECUTABLE)
    execute_process(
      COMMAND "${Python_EXECUTABLE}" -c
        "import cutlass_library, os; print(os.path.join(os.path.dirname(cutlass_library.__file__), 'source', 'include'))"
      OUTPUT_VARIABLE _qgemm_wheel_include OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_qgemm_wheel_include)
      list(APPEND _qgemm_cutlass_hints "${_qgemm_wheel_include}")
    endif()
  endif()
endif()

find_path(QGEMM_CUTLASS_INCLUDE_DIR NAMES cute/tensor.hpp cutlass/cutlass.h
  HINTS ${_qgemm_cutlass_hints} NO_DEFAULT_PATH)

if(NOT QGEMM_CUTLASS_INCLUDE_DIR)
  message(FATAL_ERROR
    "qgemm: CUTLASS headers not found. Install the nvidia-cutlass wheel into the Python "
    "that runs the build (pip install nvidia-cutlass), or set QGEMM_CUTLASS_DIR to a "
    "CUTLASS checkout. Looked in: ${_qgemm_cutlass_hints}")
endif()
message(STATUS "qgemm: CUTLASS headers: ${QGEMM_CUTLASS_INCLUDE_DIR}")

if(NOT TARGET qgemm::cutlass)
  add_library(qgemm_cutlass INTERFACE IMPORTED GLOBAL)
  set_target_properties(qgemm_cutlass PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${QGEMM_CUTLASS_INCLUDE_DIR}")
  add_library(qgemm::cutlass ALIAS qgemm_cutlass)
endif()
