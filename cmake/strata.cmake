# Small helpers shared by every target.

set(STRATA_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)

# strata_library(NAME <name> SRCS ... DEPS ...) defines strata_<name> with alias
# strata::<name>, headers included as "libs/<name>/x.h" from the source root.
function(strata_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(strata_${A_NAME} STATIC ${A_SRCS})
  add_library(strata::${A_NAME} ALIAS strata_${A_NAME})
  target_include_directories(strata_${A_NAME} PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  target_compile_options(strata_${A_NAME} PRIVATE ${STRATA_WARNINGS})
  target_link_libraries(strata_${A_NAME} PUBLIC ${A_DEPS})
endfunction()

# strata_test(NAME <name> SRCS ... DEPS ... [RUNS <binaries>...]) builds a Catch2 test
# registered with ctest; RUNS names the executables it starts (built first).
function(strata_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;RUNS" ${ARGN})
  foreach(src ${A_SRCS})
    if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${src})
      message(WARNING "test ${A_NAME} skipped: ${src} does not exist")
      return()
    endif()
  endforeach()
  add_executable(${A_NAME} ${A_SRCS} ${CMAKE_SOURCE_DIR}/tests/catch_main.cc)
  set_target_properties(${A_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_compile_options(${A_NAME} PRIVATE ${STRATA_WARNINGS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} Catch2::Catch2)
  if(A_RUNS)
    add_dependencies(${A_NAME} ${A_RUNS})
  endif()
  # --warn NoTests: a name ctest cannot pass back whole (a ";" splits it) matches no
  # test case, and Catch would report that run as passed.
  catch_discover_tests(${A_NAME} TEST_PREFIX "${A_NAME}:" EXTRA_ARGS --warn NoTests PROPERTIES TIMEOUT 300)
endfunction()

# strata_benchmark(NAME <name> SRCS ... DEPS ...) builds a Google Benchmark binary
# into build/bin (not run by `make test`).
function(strata_benchmark)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT benchmark_FOUND)
    return()
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  target_compile_options(${A_NAME} PRIVATE ${STRATA_WARNINGS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} benchmark::benchmark)
endfunction()
