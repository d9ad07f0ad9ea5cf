#pragma once
// libFuzzer targets: an invariant that does not hold ends the run with a message and an abort,
// which the fuzzer reports with the input that broke it.

#include <errno.h>  // program_invocation_short_name (glibc)

#include <cstdio>
#include <cstdlib>

namespace fillwire::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "%s: invariant broken: %s\n", program_invocation_short_name, what);
    std::abort();
  }
}

}  // namespace fillwire::fuzz
