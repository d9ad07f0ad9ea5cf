// A small program with what the hardening flags act on (a local array, copies of run-time size):
// built once with the optimised builds' flags and once without them, so the hardening check is
// seen to fail when the flags are missing
// (and when a binary could start a shell).

#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifdef FILLWIRE_PROBE_SHELL
// The unhardened twin also refers to system(), which the check must notice (it is never called).
int (*volatile g_shell)(const char*) = &std::system;
#endif

int main(int argc, char** argv) {
  char buf[64];
  const std::size_t n = std::strlen(argv[0]) % sizeof buf;
  std::memcpy(buf, argv[0], n);
  buf[n] = '\0';
  std::snprintf(buf, sizeof buf - static_cast<std::size_t>(argc % 2), "%s", argv[0]);
  std::puts(buf);
  return 0;
}
