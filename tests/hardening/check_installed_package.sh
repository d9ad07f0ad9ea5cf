#!/usr/bin/env bash
# Checks that the installed package hands no hardening flag to the programs that use it: the
# library is built hardened, but a user's program is linked the way its own build says.
#   check_installed_package.sh BUILD_DIR SOURCE_DIR CXX
#   1. installs BUILD_DIR into a temporary prefix;
#   2. the exported CMake files must name none of -pie, RELRO/BIND_NOW, _FORTIFY_SOURCE or
#      -fstack-protector (they stay in the build: cmake/FillwireOptions.cmake);
#   3. builds examples/embedding against that prefix with -no-pie: the program must come out a
#      position-dependent executable (ELF type EXEC), which a leaked -pie would turn into DYN.
# Prints one line per check and exits 1 if any check failed.
set -uo pipefail
(($# == 3)) || { echo "usage: $0 BUILD_DIR SOURCE_DIR CXX" >&2; exit 2; }
build="$1" source="$2" cxx="$3"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

if ! cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1; then
  echo "FAIL  install: cmake --install $build"
  cat "$work/install.log"
  exit 1
fi

exported="$work/prefix/lib/cmake/fillwire"
[[ -d $exported ]] || exported="$(dirname "$(find "$work/prefix" -name fillwireConfig.cmake | head -1)")"
if leaks="$(grep -rnoE -- '-pie|-z,relro|-z,now|_FORTIFY_SOURCE|-fstack-protector[a-z-]*' "$exported")"; then
  echo "FAIL  exported package files carry hardening flags:"
  echo "$leaks" | sed 's/^/        /'
  failed=1
else
  echo "ok    exported package files carry no hardening flag"
fi

if ! cmake -S "$source/examples/embedding" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DCMAKE_POSITION_INDEPENDENT_CODE=OFF \
    -DCMAKE_EXE_LINKER_FLAGS=-no-pie >"$work/consumer.log" 2>&1 ||
   ! cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1; then
  echo "FAIL  a consumer linked with -no-pie against the installed package does not build:"
  tail -20 "$work/consumer.log"
  exit 1
fi
type="$(readelf -h "$work/consumer/embedding_example" | awk '/Type:/ {print $2}')"
if [[ $type == EXEC ]]; then
  echo "ok    a consumer linked with -no-pie is position-dependent (ELF type EXEC)"
else
  echo "FAIL  a consumer linked with -no-pie came out ELF type $type: the package added -pie"
  failed=1
fi
exit "$failed"
