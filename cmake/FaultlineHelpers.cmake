# Helpers shared by every folder: warnings for our own code, and one-line
# declarations of tests and benchmarks.

function(faultline_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false -Wrestrict on std::string operations at -O3
    # (GCC bug 105329); the check is kept with every other compiler.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(FAULTLINE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# faultline_add_test(NAME SOURCES a.cpp b.cpp [LIBS x y] [LABELS l] [TIMEOUT s]
#                    [RESOURCE_LOCK r])
# One GoogleTest executable registered with ctest via gtest_discover_tests,
# so each TEST is its own ctest entry with the name it pins. Tests that hold
# the same RESOURCE_LOCK never run at the same time under ctest -j.
function(faultline_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;RESOURCE_LOCK" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main Threads::Threads)
  target_compile_definitions(${name} PRIVATE
    FAULTLINE_PRELOAD_PATH="$<TARGET_FILE:faultline_preload>"
    FAULTLINE_BUILD_DIR="${CMAKE_BINARY_DIR}"
    FAULTLINE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  faultline_warnings(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(lock)
  if(ARG_RESOURCE_LOCK)
    set(lock RESOURCE_LOCK ${ARG_RESOURCE_LOCK})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}" ${lock})
endfunction()

# faultline_add_benchmark(NAME SOURCES a.cpp [LIBS x y])
function(faultline_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} benchmark::benchmark Threads::Threads)
  target_compile_definitions(${name} PRIVATE
    FAULTLINE_PRELOAD_PATH="$<TARGET_FILE:faultline_preload>"
    FAULTLINE_BUILD_DIR="${CMAKE_BINARY_DIR}")
  faultline_warnings(${name})
endfunction()
