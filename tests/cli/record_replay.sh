#!/usr/bin/env bash
# fillwire record against a real upbit-sim process over wss://, then fillwire replay --json of the
# journal: the replay must accept every frame and see every event the recording applied, and no key
# may appear in any output.
# Usage: record_replay.sh FILLWIRE UPBIT_SIM
set -euo pipefail
fillwire="$1"
sim="$2"
work="$(mktemp -d)"
sim_pid=""
cleanup() {
  [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

secret="record-test-secret-$$"
"$sim" --port 0 --rate 3000 --total 3000 --seed 5 --duplicate-prob 0.01 --cert-out "$work/sim.pem" \
  --access-key record-access --secret-key "$secret" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q '^upbit-sim ' "$work/sim.out" 2>/dev/null && break
  sleep 0.1
done
url="$(grep -o 'wss://[^ ]*/websocket/v1/private' "$work/sim.out" | head -1)"
[[ -n "$url" ]] || { echo "upbit-sim did not start"; cat "$work/sim.err"; exit 1; }

UPBIT_ACCESS_KEY=record-access UPBIT_SECRET_KEY="$secret" "$fillwire" record --url "$url" \
  --ca-file "$work/sim.pem" --journal "$work/run.fwj" --log "$work/run.log" --duration 4 \
  >"$work/record.out" 2>"$work/record.err"
cat "$work/record.out" "$work/record.err"
recorded="$(sed -n 's/^recorded \([0-9]*\) events.*/\1/p' "$work/record.out")"

# Exit status 0: every frame of the journal accepted. stdout: one JSON line.
"$fillwire" replay --json "$work/run.fwj" >"$work/replay.jsonl" 2>"$work/replay.err"
[[ "$(wc -l <"$work/replay.jsonl")" -eq 1 ]] || { echo "FAIL: replay --json wrote more than one line"; exit 1; }
replayed="$(jq -r '.input.events' "$work/replay.jsonl")"
jq -c '.input' "$work/replay.jsonl"

[[ -n "$recorded" && "$recorded" -ge 3000 ]] || { echo "FAIL: recorded '$recorded' events, want >= 3000"; exit 1; }
[[ "$replayed" == "$recorded" ]] || { echo "FAIL: replayed '$replayed' events, recorded $recorded"; exit 1; }
[[ "$(jq -r '.input.failed_frames + .input.oversized + .input.damaged' "$work/replay.jsonl")" == 0 ]] \
  || { echo "FAIL: the replay refused frames"; exit 1; }
if grep -rq -- "$secret" "$work"/record.* "$work"/replay.* "$work/run.log" "$work/run.fwj"*; then
  echo "FAIL: the secret key appears in an output"
  exit 1
fi
echo "PASS: $recorded events recorded and replayed"
