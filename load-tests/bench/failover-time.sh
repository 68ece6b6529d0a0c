#!/usr/bin/env bash
# Time from kill -9 of an object's primary POP to the first acknowledged write and the first atomic
# read of that object, with default settings: five node processes on loopback (DC, two POPs, an HG
# in each region). Usage: load-tests/bench/failover-time.sh [runs]   (needs the fat jar: mvn -DskipTests package)
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=verticles/target/mistore.jar
RUNS=${1:-3}
[[ "$RUNS" =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] || { echo "usage: load-tests/bench/failover-time.sh [runs]   (runs: a whole number of at least 1, got '$RUNS')" >&2; exit 2; }
[ -f "$JAR" ] || { echo "build the fat jar first: mvn -B -DskipTests package" >&2; exit 1; }
BASE=${MISTORE_BENCH_PORT:-18700}
now_ms() { date +%s%3N; }

run_once() {
  local dir; dir=$(mktemp -d)
  local name="failover-$RANDOM"
  local members="127.0.0.1:$((BASE+1)),127.0.0.1:$((BASE+2)),127.0.0.1:$((BASE+3)),127.0.0.1:$((BASE+4)),127.0.0.1:$((BASE+5))"
  declare -A pid
  start() { # id role region cport hport [pop]
    local extra=(); [ -n "${6:-}" ] && extra=(--pop "$6")
    java -Xmx256m -jar "$JAR" node --id "$1" --role "$2" --region "$3" --data "$dir/$1" \
      --cluster-name "$name" --cluster-port "$4" --http-port "$5" --members "$members" "${extra[@]}" \
      >"$dir/$1.log" 2>&1 &
    pid[$1]=$!
  }
  start dc-1 dc core $((BASE+1)) $((BASE+11))
  start pop-1 pop north $((BASE+2)) $((BASE+12))
  start pop-2 pop south $((BASE+3)) $((BASE+13))
  start hg-1 hg north $((BASE+4)) $((BASE+14)) pop-1
  start hg-2 hg south $((BASE+5)) $((BASE+15)) pop-2
  trap '{ kill -9 ${pid[*]}; wait; } 2>/dev/null || true; rm -rf "$dir"' RETURN
  local north="http://127.0.0.1:$((BASE+14))" south="http://127.0.0.1:$((BASE+15))"
  for url in "$north" "$south"; do
    for _ in $(seq 1 600); do curl -sf "$url/ready" >/dev/null && break; sleep 0.2; done
  done
  for _ in $(seq 1 300); do
    [ "$(curl -s "$south/v1/cluster" | grep -o '"status":"up"' | wc -l)" -ge 5 ] && break; sleep 0.2
  done
  local id; id=$(curl -sf -X POST --data-binary v1 "$north/v1/objects" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  curl -sf -X PUT --data-binary v2 "$south/v1/objects/$id" >/dev/null
  local killed; killed=$(now_ms)
  { kill -9 "${pid[pop-1]}"; wait "${pid[pop-1]}"; } 2>/dev/null || true
  local wrote="" read="" n=3
  while [ -z "$wrote" ] || [ -z "$read" ]; do
    if [ -z "$wrote" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Mistore-Request-Id: w$n" \
        --data-binary "v$n" "$south/v1/objects/$id")" = 200 ]; then wrote=$(( $(now_ms) - killed )); fi
    if [ -z "$read" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$south/v1/objects/$id")" = 200 ]; then
      read=$(( $(now_ms) - killed )); fi
    [ $(( $(now_ms) - killed )) -gt 60000 ] && { echo "no service 60 s after the kill" >&2; return 1; }
    sleep 0.05
  done
  echo "run: first write ${wrote} ms, first atomic read ${read} ms after kill -9 of the primary POP"
}

for i in $(seq 1 "$RUNS"); do run_once; done
