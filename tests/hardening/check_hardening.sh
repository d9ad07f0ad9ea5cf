#!/usr/bin/env bash
# Checks that ELF executables carry the hardening of the optimised builds, and start no shell.
#   check_hardening.sh [--fortify] BINARY...
# For each binary (readelf, from binutils):
#   PIE          ELF type DYN with the PIE flag
#   full RELRO   a GNU_RELRO segment and BIND_NOW (no lazy binding)
#   canaries     __stack_chk_fail imported (-fstack-protector-strong put canaries somewhere)
#   fortify      (with --fortify) at least one fortified libc call (__*_chk) imported
#   no shell     none of system, popen, exec*, fork, posix_spawn imported
# Prints one line per check and exits 1 if any check failed.
set -uo pipefail

fortify=0
if [[ ${1:-} == --fortify ]]; then
  fortify=1
  shift
fi
(($#)) || { echo "usage: $0 [--fortify] BINARY..." >&2; exit 2; }

failed=0
report() {  # report BINARY CHECK OK(0/1) DETAIL
  if (($3)); then
    echo "ok    $1: $2"
  else
    echo "FAIL  $1: $2 ($4)"
    failed=1
  fi
}

for bin in "$@"; do
  name=$(basename "$bin")
  if ! header=$(readelf -W -h "$bin" 2>&1); then
    report "$name" "readable ELF" 0 "$header"
    continue
  fi
  dynamic=$(readelf -W -d "$bin")
  segments=$(readelf -W -l "$bin")
  imports=$(readelf -W --dyn-syms "$bin" | awk '$7 == "UND" { sub(/@.*/, "", $8); print $8 }')

  grep -q 'Type:[[:space:]]*DYN' <<<"$header" && grep -q 'FLAGS_1.*PIE' <<<"$dynamic"
  report "$name" "PIE" $((!$?)) "not a position-independent executable"

  grep -q 'GNU_RELRO' <<<"$segments"
  report "$name" "RELRO segment" $((!$?)) "no GNU_RELRO segment"

  grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' <<<"$dynamic"
  report "$name" "BIND_NOW (full RELRO)" $((!$?)) "lazy binding"

  grep -qx '__stack_chk_fail' <<<"$imports"
  report "$name" "stack protector" $((!$?)) "__stack_chk_fail not imported"

  if ((fortify)); then
    chk=$(grep -Ec '^__[a-z0-9_]+_chk$' <<<"$imports")
    ((chk > 0))
    report "$name" "fortified libc calls ($chk)" $((!$?)) "no __*_chk function imported"
  fi

  shell=$(grep -Ex 'system|popen|execl|execle|execlp|execv|execve|execvp|execvpe|fork|vfork|posix_spawnp?' <<<"$imports" | tr '\n' ' ')
  [[ -z $shell ]]
  report "$name" "no shell-outs" $((!$?)) "imports $shell"
done
exit "$failed"
