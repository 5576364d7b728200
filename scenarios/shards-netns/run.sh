#!/usr/bin/env bash
# The four-hosts proof, by hand (README.md beside this file). As root, from a built checkout (npm run build):
#
#   sudo scenarios/shards-netns/run.sh [OUT_DIR]
#
# Makes five network namespaces: wsherd-tgt-SUFFIX for the target and the barrier, wsherd-gen0-SUFFIX …
# wsherd-gen3-SUFFIX for four generator "hosts", each joined to the target's namespace by a veth pair of its own:
#
#   gen i: eth0 10.250.i.1/30  <-- veth -->  tgt: gen<i> 10.250.i.2/30;   tgt also holds 10.250.255.1/32 on lo
#
# Every shard dials the same address, 10.250.255.1 (a service address: the shards must run the same scenario, and
# `wsherd merge` refuses shards whose scenarios differ), over its own veth, so the target sees four source addresses.
# These namespaces have no default route and no link to the machine's own network: nothing outside them is
# reachable from inside, and all traffic stays on this box (the rule for bundled scenarios: loopback only, or the
# project's own test hosts in namespaces it made).
#
# The target is a plain `ws` echo server (target.mjs), not wsherd's backend: it counts what it saw independently.
# Runs 4 shards concurrently (`wsherd run --shard i/4 --barrier …`), then `wsherd merge`, then prints the target's
# counts beside the merged ones (check.mjs). Exit 0 when they agree, 1 when they do not, 2 on a setup problem.
#
# Environment: CLIENTS (default 400), HOLD (default 4s), BARRIER_TIMEOUT (default 60s: how long the shards wait for
# each other), WSHERD_NETNS_SUFFIX (default: this shell's pid; names
# must differ between runs that overlap). Every namespace, veth and process is removed on exit, Ctrl-C included.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARDS=4
SUFFIX=${WSHERD_NETNS_SUFFIX:-$$}
CLIENTS=${CLIENTS:-400}
HOLD=${HOLD:-4s}
BARRIER_TIMEOUT=${BARRIER_TIMEOUT:-60s}
OUT=${1:-$ROOT/wsherd-results/shards-netns-$SUFFIX}
VIP=10.250.255.1
TARGET_PORT=9001
BARRIER_PORT=8089
NODE=${NODE:-node}

die() { echo "run.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (ip netns add); try: sudo $0"
command -v ip >/dev/null || die "needs ip: apt-get install iproute2"
command -v unshare >/dev/null || die "needs unshare: apt-get install util-linux"
[ -f "$ROOT/dist/commands/run.js" ] || die "build first: npm run build (in $ROOT)"
[[ $SUFFIX =~ ^[A-Za-z0-9_-]{1,24}$ ]] || die "WSHERD_NETNS_SUFFIX must be 1-24 letters, digits, _ or -"

TGT=wsherd-tgt-$SUFFIX
GENS=()
for ((i = 0; i < SHARDS; i++)); do GENS+=("wsherd-gen$i-$SUFFIX"); done
MADE=()

# Stops every process in our namespaces (TERM, then KILL after 3 s), then deletes them; deleting a namespace
# deletes its end of each veth, and so the pair. A namespace still holding a process would outlive `ip netns del`.
cleanup() {
  local rc=$? ns pids
  trap - EXIT INT TERM
  for ns in "${MADE[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    # shellcheck disable=SC2086 # a list of pids
    [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
  done
  for ((t = 0; t < 30; t++)); do
    pids=""
    for ns in "${MADE[@]}"; do pids+=$(ip netns pids "$ns" 2>/dev/null || true); done
    [ -z "$pids" ] && break
    sleep 0.1
  done
  for ns in "${MADE[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
: >"$OUT/namespaces.txt"
addns() {
  ip netns add "$1"
  MADE+=("$1")
  # The namespace's inode: a leftover check can look for any process still inside it after teardown.
  echo "$1 $(stat -L -c %i "/run/netns/$1")" >>"$OUT/namespaces.txt"
  ip -n "$1" link set lo up
}

addns "$TGT"
ip -n "$TGT" addr add "$VIP/32" dev lo
for ((i = 0; i < SHARDS; i++)); do
  g=${GENS[$i]}
  addns "$g"
  # Both ends are made inside their namespaces: no name in the machine's own namespace, nothing to collide with.
  ip -n "$g" link add eth0 type veth peer name "gen$i" netns "$TGT"
  ip -n "$g" addr add "10.250.$i.1/30" dev eth0
  ip -n "$TGT" addr add "10.250.$i.2/30" dev "gen$i"
  ip -n "$g" link set eth0 up
  ip -n "$TGT" link set "gen$i" up
  # The one route out of a generator: the service address, through its own veth.
  ip -n "$g" route add "$VIP/32" via "10.250.$i.2"
done

ip netns exec "$TGT" "$NODE" "$HERE/target.mjs" 0.0.0.0 "$TARGET_PORT" >"$OUT/target-counts.json" 2>"$OUT/target.log" &
TARGET_PID=$!
ip netns exec "$TGT" "$NODE" "$ROOT/bin/run.js" barrier --host 0.0.0.0 --port "$BARRIER_PORT" --shards "$SHARDS" --timeout 2m 2>"$OUT/barrier.log" &
for ((t = 0; t < 100; t++)); do
  grep -q '^listening' "$OUT/target.log" 2>/dev/null && break
  kill -0 "$TARGET_PID" 2>/dev/null || die "the target did not start: $(cat "$OUT/target.log")"
  sleep 0.1
done
grep -q '^listening' "$OUT/target.log" || die "the target did not listen within 10 s"

RUN_ID="shards-netns-$SUFFIX-$(date +%s)"
echo "run $RUN_ID: $SHARDS shards x $((CLIENTS / SHARDS)) clients -> ws://$VIP:$TARGET_PORT/ (namespace $TGT); results in $OUT"
PIDS=()
for ((i = 0; i < SHARDS; i++)); do
  g=${GENS[$i]}
  # unshare --uts: each "host" has its own hostname, which its results record and the merge lists.
  ip netns exec "$g" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$g" \
    "$NODE" "$ROOT/bin/run.js" run "$HERE/scenario.yaml" --shard "$i/$SHARDS" --run-id "$RUN_ID" \
    --barrier "http://$VIP:$BARRIER_PORT" --barrier-timeout "$BARRIER_TIMEOUT" --quiet \
    -e "TARGET=ws://$VIP:$TARGET_PORT/" -e "CLIENTS=$CLIENTS" -e "HOLD=$HOLD" \
    --out "$OUT/shard-$i" >"$OUT/shard-$i.log" 2>&1 &
  PIDS+=($!)
done

CODES=()
for ((i = 0; i < SHARDS; i++)); do
  code=0
  wait "${PIDS[$i]}" || code=$?
  CODES+=("$code")
done
echo "shard exit codes: ${CODES[*]} (0 pass, 3 thresholds failed, 7 inconclusive: a saturated generator)"
# Ctrl-C reaches the shards too (one process group): each writes its partial results and exits 130. Bash itself
# does not act on a SIGINT its children handled, so stop here, through the teardown.
for code in "${CODES[@]}"; do
  if [ "$code" = 130 ] || [ "$code" = 143 ]; then echo "stopped: partial shard results are in $OUT" >&2; exit "$code"; fi
done

merge_code=0
DIRS=()
for ((i = 0; i < SHARDS; i++)); do DIRS+=("$OUT/shard-$i"); done
"$NODE" "$ROOT/bin/run.js" merge "${DIRS[@]}" --out "$OUT/merged" --quiet >"$OUT/merge.log" 2>&1 || merge_code=$?
echo "merge exit code: $merge_code ($(head -n 1 "$OUT/merge.log"))"

# The target's counts, printed as it stops.
kill -TERM "$TARGET_PID" 2>/dev/null || true
wait "$TARGET_PID" || true

"$NODE" "$HERE/check.mjs" "$OUT" "$CLIENTS"
