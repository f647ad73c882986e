#!/usr/bin/env bash
# benchmarks/net scenario: received packets/s of XdpPort, PacketSocketPort and a kernel UDP Socket on one veth end,
# with a 64-byte UDP flood sent from the other end inside a namespace this script creates (and always removes). Then
# UDP echo round-trip latency (median, p99) of each, measured by a kernel UDP client in the namespace, one datagram at
# a time.
#
# One arrangement for every receive row, so the rows compare like with like:
# - The sender owns one core (SEND_CPU). By default (SENDER=live) it hands veth xdp_frames, not skbs: bpf(2)
#   BPF_PROG_TEST_RUN in live-frames mode on a four-instruction XDP program returning bpf_redirect(<sending end>), so
#   the kernel runs the program 2^18 times per call on page-pool copies of the frame and sends each through veth's
#   ndo_xdp_xmit onto the receiving end's ring (see LiveFrameSender.cs). Why: an skb from any socket-based sender has
#   less than 256 bytes of headroom, so with an XDP program on the receiving end veth copies every such skb into a new
#   page before running the program and then frees it (veth_convert_skb_to_xdp_buff), about a third of XdpPort's
#   receive cost here and a cost a NIC's receive path does not have; without an XDP program veth builds the stack's
#   skbs from the frames, so every row receives the same frames. veth drops what its ring (256 entries) cannot take,
#   counted below as veth drops; the flood is then limited by the receive path, as it should be.
#   SENDER=sendmmsg: prebuilt frames written with sendmmsg(2), 256 per call, on an AF_PACKET socket with
#   PACKET_QDISC_BYPASS and a 64 MiB send buffer (FastSender.cs), the skb path (the XDP row pays the copy above).
#   SENDER=send-ring uses a TPACKET_V2 TX_RING instead (one send(2) per pass over 8192 frames): it costs the sender
#   fewer syscalls but its skbs carry the ring's pages, which the receive side then copies and frees: several hundred
#   ns more receive CPU per packet in every row.
# - The whole receive path owns the other core (RECV_CPU): veth's NAPI instance runs threaded
#   (/sys/class/net/<dev>/threaded) with its kernel thread pinned there, and the receiver process is pinned there too.
#   The kernel work (XDP program and copy into the UMEM, or GRO, IP, UDP and the socket queue, or the packet-socket
#   tap) and the user work therefore share one core, the same core for every receiver.
# - veth takes a frame through NAPI only when an XDP program is attached, or when GRO is on at the receiving end and
#   the frame is eligible for GRO (the sending end has TSO off, or the frame's skb belongs to a socket and the
#   receiving end has rx-gro-list or rx-udp-gro-forwarding on); otherwise it uses netif_rx(), whose backlog is
#   processed in softirq on the sending core (the kernel's veth_xmit, 6.x). So GRO is on at the receiving end and TSO
#   off at the sending end for every row: the socket rows get the NAPI thread too, and no row has its kernel receive
#   work done on the sender's core. The live sender needs this too: veth's ndo_xdp_xmit drops every frame unless the
#   receiving end has NAPI (an XDP program attached, or GRO on), so with GRO on the socket rows receive its frames.
# - Each row also prints the CPU time of the receive path during the counted seconds (receiver process plus NAPI
#   thread, from schedstat), nanoseconds per packet and packets per CPU-second: on a shared machine the wall-clock
#   rate depends on the other load, the CPU cost much less.
# - Each row prints what the sender offered (frames/s: veth's transmit count plus what veth dropped because its ring
#   to the receiving end was full) and how many of those veth dropped: a row that dropped frames was limited by its
#   receive path, not by the sender.
# Usage (as root): benchmarks/net/run.sh [seconds-per-receiver] [echo-samples] [rounds]
# Environment: SEND_CPU (default 0), RECV_CPU (default 1), SENDER (live, the default, sendmmsg or send-ring).
set -euo pipefail
SECONDS_EACH=${1:-4}
SAMPLES=${2:-2000}
ROUNDS=${3:-3}
SENDER=${SENDER:-live}
case $SENDER in
  live) SEND_COMMAND=send-live ;;
  sendmmsg) SEND_COMMAND=send ;;
  send-ring) SEND_COMMAND=send-ring ;;
  *) echo "SENDER must be live, sendmmsg or send-ring" >&2; exit 2 ;;
esac
SEND_CPU=${SEND_CPU:-0}
RECV_CPU=${RECV_CPU:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
ID=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Short names: the NAPI thread is called "napi/<dev>-<id>", truncated to 15 characters; "napi/<dev>-" must survive.
NS=ebn$ID; HOST=ebh$ID; PEER=ebp$ID
HOST_IP=10.254.77.2; PEER_IP=10.254.77.1; PORT=9000
OUT=$(mktemp -d)
cleanup() { ip link del "$HOST" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

nice -n 15 dotnet build -c Release "$HERE/NetScenario/NetScenario.csproj" -o "$HERE/bin" >/dev/null
APP="$HERE/bin/NetScenario.dll"
# Fully optimised code from the start: no tier-0 code or background recompilation inside the measured seconds.
export DOTNET_TieredCompilation=0
# The receivers add the CPU time of the threads named so (veth's NAPI threads) to their own (ReceiveCpu.cs).
export EDGEOS_NAPI_THREAD="napi/$HOST-"
command -v ethtool >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q ethtool >/dev/null 2>&1 || true
command -v ethtool >/dev/null || { echo "ethtool is needed (GRO and TSO settings)" >&2; exit 1; }

ip netns add "$NS"
ip link add "$HOST" type veth peer name "$PEER" netns "$NS"
ip addr add $HOST_IP/30 dev "$HOST"; ip link set "$HOST" up
ip -n "$NS" addr add $PEER_IP/30 dev "$PEER"; ip -n "$NS" link set "$PEER" up
HOST_MAC=$(cat /sys/class/net/$HOST/address)
GRO_BEFORE=$(ethtool -k "$HOST" | awk '/^generic-receive-offload:/ {print $2}')
ethtool -K "$HOST" gro on >/dev/null
ip netns exec "$NS" ethtool -K "$PEER" tso off >/dev/null
echo 1 > "/sys/class/net/$HOST/threaded"

# Pins veth's NAPI threads to RECV_CPU at this script's priority (they may be recreated when an XDP program comes or
# goes, so this runs for every row once the receiver is up).
pin_napi() {
  local found=0 dir comm
  for dir in /proc/[0-9]*; do
    comm=$(cat "$dir/comm" 2>/dev/null) || continue
    case $comm in
      "napi/$HOST-"*) taskset -pc "$RECV_CPU" "${dir#/proc/}" >/dev/null; renice -n "$(nice)" -p "${dir#/proc/}" >/dev/null; found=1 ;;
    esac
  done
  [ $found = 1 ] || echo "warning: no NAPI thread found for $HOST" >&2
}
counters() {
  ip netns exec "$NS" cat "/sys/class/net/$PEER/statistics/tx_packets" "/sys/class/net/$PEER/statistics/tx_dropped" | xargs
}

echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "arrangement: sender ($SENDER) on CPU $SEND_CPU; NAPI thread and receiver on CPU $RECV_CPU; GRO on, peer TSO off, NAPI threaded"
echo
echo "| receiver                 |      packets |      s |    packets/s | B/packet |  CPU s | ns/packet | packets/CPU-s | offered/s | veth drops | round |"
echo "|--------------------------|-------------:|-------:|-------------:|---------:|-------:|----------:|--------------:|----------:|-----------:|------:|"
SEND_SECONDS=$((SECONDS_EACH + 2))
# "sleep": block in recvmmsg(2) / poll(2) whenever nothing is ready; "spin": busy-poll the socket or ring, sleep only
# after 1 ms of nothing; "busy" (socket): sleep, with SO_BUSY_POLL; "spin50" (XdpPort): sleep through
# XdpPort.WaitForReceive(10, 50), which watches the ring 50 us first.
RECEIVERS=("recv-socket $HOST_IP $PORT $SECONDS_EACH sleep" "recv-socket $HOST_IP $PORT $SECONDS_EACH spin"
           "recv-socket $HOST_IP $PORT $SECONDS_EACH busy" "recv-packet $HOST $SECONDS_EACH sleep"
           "recv-packet $HOST $SECONDS_EACH spin" "recv-xdp $HOST $PORT $SECONDS_EACH sleep"
           "recv-xdp $HOST $PORT $SECONDS_EACH spin" "recv-xdp $HOST $PORT $SECONDS_EACH spin50")
# The receivers take turns, ROUNDS times over: on a machine whose load changes, every receiver sees each phase of it.
for round in $(seq 1 "$ROUNDS"); do
  for receiver in "${RECEIVERS[@]}"; do
    # shellcheck disable=SC2086
    taskset -c "$RECV_CPU" dotnet "$APP" $receiver >"$OUT/row" 2>>"$OUT/details" &
    RECV=$!
    sleep 2
    pin_napi
    read -r tx0 drop0 < <(counters)
    ip netns exec "$NS" taskset -c "$SEND_CPU" dotnet "$APP" $SEND_COMMAND "$PEER" "$HOST_MAC" $PEER_IP $HOST_IP $PORT $SEND_SECONDS 2>>"$OUT/details" &
    SEND=$!
    wait $RECV || echo "receiver failed: $receiver" >&2
    wait $SEND || echo "sender failed" >&2
    read -r tx1 drop1 < <(counters)
    offered=$(( (tx1 - tx0 + drop1 - drop0) / SEND_SECONDS )); drops=$((drop1 - drop0))
    printf '%s %9d | %10d | %5d |\n' "$(tr -d '\n' <"$OUT/row")" "$offered" "$drops" "$round"
    # name <TAB> packets/s <TAB> ns/packet <TAB> packets per CPU-second, for the summary
    awk -F'|' -v OFS='\t' '{ gsub(/^ +| +$/, "", $2); print $2, $5 + 0, $8 + 0, $9 + 0 }' "$OUT/row" >>"$OUT/results"
  done
done
echo
echo "Medians of $ROUNDS rounds. packets/s is wall clock (what the receiver got while sharing the machine);"
echo "packets/CPU-s divides the packets by the CPU time of the receive path (receiver process + veth NAPI thread),"
echo "the receive rate one core would sustain with nothing else on it. Ratios are to the best kernel socket row."
echo
echo "| receiver                 | packets/s |      min |      max | x socket | ns/packet | packets/CPU-s | x socket |"
echo "|--------------------------|----------:|---------:|---------:|---------:|----------:|--------------:|---------:|"
awk -F'\t' '
  function median(key, col,   c, a, b, t, s) {
    c = n[key]
    for (a = 1; a <= c; a++) s[a] = v[key, a, col]
    for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (s[b] < s[a]) { t = s[a]; s[a] = s[b]; s[b] = t }
    lo = s[1]; hi = s[c]
    return c % 2 ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
  }
  { if (!($1 in n)) order[++names] = $1; i = ++n[$1]; v[$1, i, 2] = $2; v[$1, i, 3] = $3; v[$1, i, 4] = $4 }
  END {
    for (i = 1; i <= names; i++) {
      k = order[i]
      cpu[k] = median(k, 4); ns[k] = median(k, 3); rate[k] = median(k, 2); rlo[k] = lo; rhi[k] = hi
      if (k ~ /^Socket/ && rate[k] > bestRate) bestRate = rate[k]
      if (k ~ /^Socket/ && cpu[k] > bestCpu) bestCpu = cpu[k]
    }
    for (i = 1; i <= names; i++) {
      k = order[i]
      printf "| %-24s | %9.0f | %8.0f | %8.0f | %8.2f | %9.0f | %13.0f | %8.2f |\n", k, rate[k], rlo[k], rhi[k], rate[k] / bestRate, ns[k], cpu[k], cpu[k] / bestCpu
    }
  }' "$OUT/results"
echo
echo "Receiver and sender details (in run order):"
sed 's/^/  /' "$OUT/details"

# Echo latency with veth's defaults (no threaded NAPI, GRO and TSO as the kernel set them): one request at a time, so
# there is nothing to spread over cores, and a NAPI thread would only add a wake-up to each direction.
echo 0 > "/sys/class/net/$HOST/threaded"
ip netns exec "$NS" ethtool -K "$PEER" tso on >/dev/null
ethtool -K "$HOST" gro "$GRO_BEFORE" >/dev/null
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
