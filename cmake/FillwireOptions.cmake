# Project-wide options and the two INTERFACE targets every fillwire target links PRIVATE:
#   fillwire::warnings  compiler warnings (errors with FILLWIRE_WARNINGS_AS_ERRORS: the ci presets)
#   fillwire::options   language level and sanitizer flags
# Tests, benchmarks and tools default ON only when fillwire is the top-level project, so a user who
# add_subdirectory()s us into their build pays for the library alone.

include(GNUInstallDirs)

option(FILLWIRE_BUILD_TESTS "Build the GoogleTest suites" ${PROJECT_IS_TOP_LEVEL})
option(FILLWIRE_BUILD_BENCH "Build the Google Benchmark suites" ${PROJECT_IS_TOP_LEVEL})
option(FILLWIRE_BUILD_TOOLS "Build the fillwire CLI and upbit-sim" ${PROJECT_IS_TOP_LEVEL})
option(FILLWIRE_WARNINGS_AS_ERRORS "Treat warnings as errors (CI)" OFF)
option(FILLWIRE_HARDENING "Optimised builds: fortified libc calls, stack protector, full RELRO, PIE" ON)
option(FILLWIRE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang; the fuzz preset)" OFF)
set(FILLWIRE_SANITIZE "" CACHE STRING "Sanitizers: empty, 'address,undefined' or 'thread'")
# simdjson's On-Demand API is compiled for the instruction set the compiler targets: with plain
# x86-64 flags it falls back to its scalar kernel (several times slower). The ISA floor is therefore
# an explicit choice: haswell (AVX2; every x86-64 server since 2013, and all AMD Zen) by default.
# The Decoder checks at start-up that the CPU can run what was built, and says so clearly if not.
set(FILLWIRE_ISA "haswell" CACHE STRING "x86-64 ISA floor: haswell, westmere, generic or native")
set_property(CACHE FILLWIRE_ISA PROPERTY STRINGS haswell westmere generic native)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# ccache makes the Beast translation units cheap to rebuild; use it when the machine has it.
if(PROJECT_IS_TOP_LEVEL AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(FILLWIRE_CCACHE ccache)
  if(FILLWIRE_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${FILLWIRE_CCACHE}")
  endif()
endif()

# (-Wnull-dereference is left out: at -O2 and above GCC 12 reports it inside inlined third-party
# headers, e.g. moodycamel::ConcurrentQueue, where the paths it imagines cannot happen.
# -Wrestrict is off for GCC: at -O2 and above GCC 12 reports it inside libstdc++'s own
# std::string concatenation and insert (GCC bug 105329), on code that has no overlap.)
add_library(fillwire_warnings INTERFACE)
add_library(fillwire::warnings ALIAS fillwire_warnings)
target_compile_options(fillwire_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  $<$<BOOL:${FILLWIRE_WARNINGS_AS_ERRORS}>:-Werror>)

add_library(fillwire_options INTERFACE)
add_library(fillwire::options ALIAS fillwire_options)
if(FILLWIRE_SANITIZE)
  target_compile_options(fillwire_options INTERFACE
    -fsanitize=${FILLWIRE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(fillwire_options INTERFACE -fsanitize=${FILLWIRE_SANITIZE})
  if(FILLWIRE_SANITIZE MATCHES "thread")
    # GCC warns that TSan does not model atomic_thread_fence, used inside moodycamel's queue (the
    # journal). Our own code uses no standalone fences; the journal tests run under TSan anyway.
    target_compile_options(fillwire_options INTERFACE -Wno-tsan)
  endif()
endif()
# Hardening of the optimised builds (release and bench presets, and the library they install):
# fortified libc calls (_FORTIFY_SOURCE=2 needs optimisation, and is meaningless under the
# sanitizers, which check the same calls themselves), stack canaries in functions with arrays,
# position-independent executables, and full RELRO (GOT read-only after start-up, no lazy
# binding). tests/hardening checks the built executables for each of them.
# The flags are BUILD_INTERFACE only: the engine's static libraries link fillwire::options PRIVATE,
# which an installed static library still exports as $<LINK_ONLY:...> (CMP0099 then hands its link
# options to every consumer). A user's program is linked the way its own build says (-no-pie
# included); tests/hardening/check_installed_package.sh checks the exported files and such a link.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _fillwire_build_type)
if(FILLWIRE_HARDENING AND NOT FILLWIRE_SANITIZE AND _fillwire_build_type MATCHES "^(RELEASE|RELWITHDEBINFO|MINSIZEREL)$")
  set(FILLWIRE_HARDENED ON)
else()
  set(FILLWIRE_HARDENED OFF)
endif()
if(FILLWIRE_HARDENED)
  target_compile_options(fillwire_options INTERFACE
    "$<BUILD_INTERFACE:-U_FORTIFY_SOURCE;-D_FORTIFY_SOURCE=2;-fstack-protector-strong;-fPIE>")
  target_link_options(fillwire_options INTERFACE "$<BUILD_INTERFACE:-pie;-Wl,-z,relro,-z,now>")
endif()
if(FILLWIRE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FILLWIRE_FUZZ needs clang (libFuzzer); use the fuzz preset")
  endif()
  # Coverage hooks in every fillwire library; the fuzz targets link libFuzzer itself.
  target_compile_options(fillwire_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  if(FILLWIRE_ISA STREQUAL "native")
    target_compile_options(fillwire_options INTERFACE -march=native)
  elseif(FILLWIRE_ISA STREQUAL "haswell")
    target_compile_options(fillwire_options INTERFACE -march=haswell -mtune=generic)
  elseif(FILLWIRE_ISA STREQUAL "westmere")
    target_compile_options(fillwire_options INTERFACE -march=westmere -mpclmul -mtune=generic)
  endif()
endif()
