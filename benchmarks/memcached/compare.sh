#!/usr/bin/env bash
# Side-by-side: the EdgeOS multi-tenant memcached host against real memcached on this machine, same offered load.
#  (A) N tenants in one host process vs N memcached processes, open loop, TCP and UDP: latency, throughput, total RSS.
#  (B) one tenant vs one memcached with the same thread count, closed loop, many connections: throughput and ratio.
# Usage: benchmarks/memcached/compare.sh [--smoke] [--duration S] [--warmup S] [--rate R] [--tenants N]
#        [--threads T] [--conns C] [--depth D] [--keys K] [--gen-threads W] [--gen-nice N] [--pin GEN_CPUS:SERVER_CPUS]
#        [--gen-rt] [--no-build] [--only A|B]
# --gen-rt (root) runs the generator under chrt -f 1 (SCHED_FIFO): otherwise every wake-up of one of 1000 memcached
# processes can preempt it (measured: ~4000 involuntary switches/s inside sendmmsg at 20 000 req/s).
# --pin 0:1 runs the generator with taskset -c 0 and every server with taskset -c 1 (default: no pinning).
# As root the generator runs at nice -10 (--gen-nice 0 to turn off): with 1000 runnable memcached processes on 2 cores
# it would otherwise fall behind its own schedule; its lag is reported in every row either way.
# Only 127.0.0.1, only ports below 32768 that were checked free; every process started here is killed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=10 WARMUP=2 RATE=50000 TENANTS=1000 THREADS=2 CONNS=50 DEPTH=8 KEYS=4 VALUE=135 GEN_THREADS=1 BUILD=1 ONLY=AB GEN_NICE=-10 PIN= GEN_RT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) DURATION=2 WARMUP=0.5 RATE=20000 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --tenants) TENANTS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    --depth) DEPTH=$2; shift ;;
    --keys) KEYS=$2; shift ;;
    --gen-threads) GEN_THREADS=$2; shift ;;
    --no-build) BUILD=0 ;;
    --gen-nice) GEN_NICE=$2; shift ;;
    --pin) PIN=$2; shift ;;
    --gen-rt) GEN_RT=1 ;;
    --only) ONLY=$2; shift ;;
    *) echo "unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done

HOST_DLL=$ROOT/samples/EdgeOS.Samples.Memcached/bin/Release/net10.0/EdgeOS.Samples.Memcached.dll
GEN_DLL=$ROOT/benchmarks/memcached/bin/Release/net10.0/EdgeOS.Benchmarks.Memcached.dll
LOGS=$(mktemp -d /tmp/mccompare.XXXXXX)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v memcached >/dev/null || { echo "memcached is not installed (apt-get install memcached)" >&2; exit 1; }
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && dotnet build samples/EdgeOS.Samples.Memcached -c Release -v q -nologo >/dev/null &&
    dotnet build benchmarks/memcached -c Release -v q -nologo >/dev/null) || { echo "build failed" >&2; exit 1; }
fi
GEN_PIN=(); SERVER_PIN=()
if [ -n "$PIN" ]; then
  [[ $PIN == *:* ]] || { echo "--pin needs GEN_CPUS:SERVER_CPUS, e.g. 0:1" >&2; exit 2; }
  GEN_PIN=(taskset -c "${PIN%%:*}") SERVER_PIN=(taskset -c "${PIN#*:}")
fi
ROOT_FLAG=(); NICE=(); [ "$(id -u)" = 0 ] && ROOT_FLAG=(-u root) && NICE=(nice -n "$GEN_NICE")
if [ "$GEN_RT" = 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "--gen-rt needs root" >&2; exit 2; }
  NICE=(chrt -f 1)
fi

# A block of COUNT ports with no TCP or UDP socket bound or connected on any of them, below the ephemeral range.
used_ports() { ss -Htuan | awk '{ n = split($5, a, ":"); print a[n] }' | sort -un; }
free_base() {
  local count=$1 avoid=${2:-0} base used
  used=$(used_ports)
  for base in $(seq 12000 1000 31000); do
    [ $((base + count - 1)) -lt 32768 ] || continue
    [ "$base" -le "$avoid" ] && [ $((base + count)) -gt "$avoid" ] && continue
    if ! awk -v lo="$base" -v hi=$((base + count - 1)) '$1 >= lo && $1 <= hi { found = 1 } END { exit !found }' <<<"$used"; then
      echo "$base"; return 0
    fi
  done
  echo "no free block of $count ports below 32768" >&2; return 1
}
listening() { ss -Htln | awk -v lo="$1" -v hi="$2" '{ n = split($4, a, ":"); p = a[n] } p >= lo && p <= hi { c++ } END { print c + 0 }'; }
wait_listening() { # lo hi what
  local want=$(($2 - $1 + 1))
  for _ in $(seq 1200); do [ "$(listening "$1" "$2")" -ge "$want" ] && return 0; sleep 0.1; done
  echo "$3 did not open ports $1..$2 in 120 s" >&2; exit 1
}
rss_kib() { local s=0 pid v; for pid in "$@"; do v=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0); s=$((s + ${v:-0})); done; echo $s; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

CMDS_FILE=$LOGS/commands
: >"$CMDS_FILE"
gen() { # label args...: runs the generator, keeps its full output in the log, prints its RESULT line
  local label=$1; shift
  local cmd=("${GEN_PIN[@]}" "${NICE[@]}" dotnet "$GEN_DLL" --label "$label" --host 127.0.0.1 --keys "$KEYS" --value-size "$VALUE" --get-ratio 0.95
    --duration "$DURATION" --warmup "$WARMUP" --threads "$GEN_THREADS" "$@")
  echo "generator: ${cmd[*]#"$ROOT/"}" >>"$CMDS_FILE" # gen runs in $(...): a file, not an array, keeps it
  "${cmd[@]}" >"$LOGS/$label.log" 2>&1 || { cat "$LOGS/$label.log" >&2; exit 1; }
  grep '^RESULT' "$LOGS/$label.log"
}
start_host() { # tenants port threads
  cleanup
  local cmd=("${SERVER_PIN[@]}" dotnet "$HOST_DLL" --tenants "$1" --port-base "$2" -U "$2" -m 8 -t "$3" -l 127.0.0.1)
  echo "host: ${cmd[*]#"$ROOT/"}" >>"$CMDS_FILE"
  "${cmd[@]}" >"$LOGS/host-$1.log" 2>&1 &
  PIDS+=($!)
  HOST_PID=$!
  wait_listening "$2" $(($2 + $1 - 1)) "the EdgeOS host"
}
start_memcached() { # count port threads
  cleanup
  local i
  echo "memcached x$1: ${SERVER_PIN[*]} memcached -t $3 -m 8 -p PORT -U PORT -l 127.0.0.1 ${ROOT_FLAG[*]} for PORT in $2..$(($2 + $1 - 1))" >>"$CMDS_FILE"
  for i in $(seq 0 $(($1 - 1))); do
    "${SERVER_PIN[@]}" memcached -t "$3" -m 8 -p $(($2 + i)) -U $(($2 + i)) -l 127.0.0.1 "${ROOT_FLAG[@]}" >/dev/null 2>&1 &
    PIDS+=($!)
  done
  wait_listening "$2" $(($2 + $1 - 1)) "memcached"
}

echo "# EdgeOS memcached host vs real memcached"
echo
echo "| machine | |"
echo "|---|---|"
echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores |"
echo "| kernel | $(uname -r) |"
echo "| .NET | $(dotnet --version) |"
echo "| memcached | $(memcached -V) |"
echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |"
echo "| run | duration ${DURATION} s after ${WARMUP} s warm-up, $KEYS keys/target, ${VALUE}-byte values, 95% get / 5% set, generator threads $GEN_THREADS${NICE:+, generator at ${NICE[*]}}${PIN:+, pinned generator:servers CPUs $PIN} |"
echo

if [[ $ONLY == *A* ]]; then
  BASE=$(free_base "$TENANTS")
  start_host "$TENANTS" "$BASE" 1
  H_TCP=$(gen "A-host-tcp" --proto tcp --mode open --rate "$RATE" --port "$BASE" --targets "$TENANTS")
  H_UDP=$(gen "A-host-udp" --proto udp --mode open --rate "$RATE" --port "$BASE" --targets "$TENANTS")
  H_RSS=$(rss_kib "$HOST_PID")
  cleanup
  BASE=$(free_base "$TENANTS")
  start_memcached "$TENANTS" "$BASE" 1
  M_TCP=$(gen "A-memcached-tcp" --proto tcp --mode open --rate "$RATE" --port "$BASE" --targets "$TENANTS")
  M_UDP=$(gen "A-memcached-udp" --proto udp --mode open --rate "$RATE" --port "$BASE" --targets "$TENANTS")
  M_RSS=$(rss_kib "${PIDS[@]}")
  cleanup
  echo "## (A) $TENANTS tenants in one host vs $TENANTS memcached processes, open loop at $RATE req/s"
  echo
  echo "| server | proto | offered req/s | achieved req/s | p50 µs | p99 µs | p99.9 µs | max µs | errors | timeouts/lost | dropped | misses | generator lag p99 µs |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for row in "EdgeOS host|$H_TCP" "EdgeOS host|$H_UDP" "$TENANTS x memcached|$M_TCP" "$TENANTS x memcached|$M_UDP"; do
    r=${row#*|}
    echo "| ${row%%|*} | $(field "$r" proto) | $(field "$r" offered) | $(field "$r" throughput) | $(field "$r" p50_us) | $(field "$r" p99_us) | $(field "$r" p999_us) | $(field "$r" max_us) | $(field "$r" errors) | $(field "$r" timeouts) | $(field "$r" dropped) | $(field "$r" misses) | $(field "$r" lag_p99_us) |"
  done
  echo
  echo "Percentiles cover answered requests only (from the scheduled send time); lost UDP requests are counted in timeouts/lost, so compare those columns too."
  echo
  echo "| total RSS after the runs | MiB |"
  echo "|---|---|"
  echo "| EdgeOS host ($TENANTS tenants, one process) | $(mib "$H_RSS") |"
  echo "| $TENANTS memcached processes (sum of VmRSS) | $(mib "$M_RSS") |"
  echo "| ratio memcached / host | $(awk -v a="$M_RSS" -v b="$H_RSS" 'BEGIN { printf "%.1fx", a / b }') |"
  echo "| p99 ratio memcached / host, TCP | $(awk -v a="$(field "$M_TCP" p99_us)" -v b="$(field "$H_TCP" p99_us)" 'BEGIN { printf "%.1fx", a / b }') |"
  echo "| p99 ratio memcached / host, UDP | $(awk -v a="$(field "$M_UDP" p99_us)" -v b="$(field "$H_UDP" p99_us)" 'BEGIN { printf "%.1fx", a / b }') |"
  echo
fi

if [[ $ONLY == *B* ]]; then
  BASE=$(free_base 1)
  start_host 1 "$BASE" "$THREADS"
  HB_TCP=$(gen "B-host-tcp" --proto tcp --mode closed --conns "$CONNS" --depth "$DEPTH" --port "$BASE" --targets 1)
  HB_UDP=$(gen "B-host-udp" --proto udp --mode closed --conns "$CONNS" --depth 1 --port "$BASE" --targets 1)
  cleanup
  BASE=$(free_base 1)
  start_memcached 1 "$BASE" "$THREADS"
  MB_TCP=$(gen "B-memcached-tcp" --proto tcp --mode closed --conns "$CONNS" --depth "$DEPTH" --port "$BASE" --targets 1)
  MB_UDP=$(gen "B-memcached-udp" --proto udp --mode closed --conns "$CONNS" --depth 1 --port "$BASE" --targets 1)
  cleanup
  echo "## (B) one tenant vs one memcached (-t $THREADS), closed loop, TCP $CONNS connections x depth $DEPTH, UDP $CONNS in flight"
  echo
  echo "| proto | EdgeOS host req/s | memcached req/s | ratio host / memcached | host p50 / p99 µs | memcached p50 / p99 µs | host errors+timeouts | memcached errors+timeouts |"
  echo "|---|---|---|---|---|---|---|---|"
  for pair in "$HB_TCP|$MB_TCP" "$HB_UDP|$MB_UDP"; do
    h=${pair%%|*} m=${pair#*|}
    echo "| $(field "$h" proto) | $(field "$h" throughput) | $(field "$m" throughput) | $(awk -v a="$(field "$h" throughput)" -v b="$(field "$m" throughput)" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') | $(field "$h" p50_us) / $(field "$h" p99_us) | $(field "$m" p50_us) / $(field "$m" p99_us) | $(( $(field "$h" errors) + $(field "$h" timeouts) )) | $(( $(field "$m" errors) + $(field "$m" timeouts) )) |"
  done
  echo
fi

echo "## Commands"
echo
echo '```'
cat "$CMDS_FILE"
echo '```'
echo
echo "Generator output: $LOGS"
