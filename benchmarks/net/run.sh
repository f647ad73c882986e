#!/usr/bin/env bash
# benchmarks/net scenario: received packets/s of XdpPort, PacketSocketPort and a kernel UDP Socket on one veth end,
# with a 64-byte UDP flood sent from the other end inside a namespace this script creates (and always removes); the
# sender writes prebuilt frames with sendmmsg(2) on AF_PACKET, 256 per call. Then UDP echo round-trip latency
# (median, p99) of each, measured by a kernel UDP client in the namespace, one datagram at a time. Receive rates are
# counted from the first flood frame; the sender prints what it offered.
# Usage (as root): benchmarks/net/run.sh [seconds-per-receiver] [echo-samples]
set -euo pipefail
SECONDS_EACH=${1:-5}
SAMPLES=${2:-2000}
HERE=$(cd "$(dirname "$0")" && pwd)
ID=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
NS=eosbn$ID; HOST=eosbh$ID; PEER=eosbp$ID
HOST_IP=10.254.77.2; PEER_IP=10.254.77.1; PORT=9000
cleanup() { ip link del "$HOST" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT

dotnet build -c Release "$HERE/NetScenario/NetScenario.csproj" -o "$HERE/bin" >/dev/null
APP="$HERE/bin/NetScenario.dll"

ip netns add "$NS"
ip link add "$HOST" type veth peer name "$PEER" netns "$NS"
ip addr add $HOST_IP/30 dev "$HOST"; ip link set "$HOST" up
ip -n "$NS" addr add $PEER_IP/30 dev "$PEER"; ip -n "$NS" link set "$PEER" up
HOST_MAC=$(cat /sys/class/net/$HOST/address)

echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# One row: starts a receiver (the arguments after the first two), gives it 2 s to bind, threads veth's NAPI when asked,
# then floods it from the namespace. $1: a sed -E script renaming the row in its output ('' for none); $2: "thread"
# to write /sys/class/net/<dev>/threaded once the receiver is up (possible only once veth has NAPI instances).
measure() {
  local rename=${1:-s/^//} thread=$2
  shift 2
  dotnet "$APP" "$@" 2> >(sed -E "$rename" >&2) | sed -E "$rename" &
  RECV=$!
  sleep 2
  if [ "$thread" = thread ]; then echo 1 > "/sys/class/net/$HOST/threaded"; fi
  ip netns exec "$NS" dotnet "$APP" send "$PEER" "$HOST_MAC" $PEER_IP $HOST_IP $PORT $((SECONDS_EACH + 3)) &
  SEND=$!
  wait $RECV
  wait $SEND || true
}

echo "| receiver             |      packets |      s |    packets/s | B/packet |"
echo "|----------------------|-------------:|-------:|-------------:|---------:|"
# Each receiver twice: "sleep" blocks in recv(2) / poll(2) whenever nothing is ready (each wake-up is an IPI sent from
# the sender's core, where veth runs the receive path); "spin" busy-polls and sleeps only after 1 ms of nothing;
# "spin50" (XdpPort only) sleeps on empty through XdpPort.WaitForReceive(10, 50), which watches the ring 50 us first.
for receiver in "recv-socket $HOST_IP $PORT|sleep" "recv-socket $HOST_IP $PORT|spin" "recv-packet $HOST|sleep" \
                "recv-packet $HOST|spin" "recv-xdp $HOST $PORT|sleep" "recv-xdp $HOST $PORT|spin" "recv-xdp $HOST $PORT|spin50"; do
  # shellcheck disable=SC2086
  measure '' no ${receiver%%|*} "$SECONDS_EACH" ${receiver#*|}
done

# XdpPort again with veth's NAPI threaded (/sys/class/net/<dev>/threaded, writable once the XDP program has created
# the NAPI instances): the XDP program and the copy into the UMEM run in a kernel thread the scheduler can put on the
# other core, instead of in softirq on the sender's core. The kernel socket path has no NAPI on veth unless GRO is on,
# so its counterpart rows (after this one) turn GRO on with ethtool and thread the NAPI the same way.
measure 's/XdpPort \(sleep\) +\|/XdpPort (threaded NAPI) |/; s/XdpPort \(sleep\):/XdpPort (threaded NAPI):/' thread \
  recv-xdp "$HOST" $PORT "$SECONDS_EACH" sleep

# The kernel socket with the same help: GRO on (veth then receives through NAPI) and that NAPI threaded.
command -v ethtool >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q ethtool >/dev/null 2>&1 || true
if command -v ethtool >/dev/null && ethtool -K "$HOST" gro on 2>/dev/null && echo 1 > "/sys/class/net/$HOST/threaded"; then
  for mode in sleep spin; do
    measure "s/Socket \($mode\) +\|/Socket ($mode, GRO+thr) |/" no recv-socket $HOST_IP $PORT "$SECONDS_EACH" $mode
  done
  ethtool -K "$HOST" gro off 2>/dev/null || true
else
  echo "(no socket row with GRO and threaded NAPI: ethtool is missing or the kernel refused)"
fi
echo
echo "| echo server          |  samples |   lost | median (us) |  p99 (us) |"
echo "|----------------------|---------:|-------:|-----------:|----------:|"
for server in "Socket (kernel UDP)|echo-socket $HOST_IP $PORT" "PacketSocketPort|echo-packet $HOST $PORT" "XdpPort|echo-xdp $HOST $PORT"; do
  NAME=${server%%|*}; ARGS=${server#*|}
  # shellcheck disable=SC2086
  dotnet "$APP" $ARGS 60 &
  ECHO=$!
  sleep 2
  ip netns exec "$NS" dotnet "$APP" ping "$NAME" $HOST_IP $PORT "$SAMPLES"
  kill "$ECHO" 2>/dev/null || true
  wait "$ECHO" 2>/dev/null || true
done
