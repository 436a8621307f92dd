#!/bin/bash
# VRRP failover benchmark: lvsd pair vs keepalived pair, side by side, on this machine's
# network namespaces (no IPVS needed). Prints figures; asserts nothing about time.
#
#   sudo bench/failover.sh [TRIALS] [SOAK_SECONDS]      (defaults: 20 trials, 600 s soak)
#   CONFIGS="v3-100ms" sudo bench/failover.sh 20 0      (some configurations only, no soak)
#   COLD=1 ...                                         (d1 starts after d2 is master: the measured
#                                                       takeover is the first of d1's process)
#
# Topology (namespaces fob-*): a bridge, directors d1 (10.96.0.11, backup, priority 100) and
# d2 (10.96.0.12, master, priority 150), client c1 (10.96.0.50). VIP 10.96.0.100/24.
# A trial: both directors converged (d2 master, the client's ARP entry for the VIP on d2's MAC),
# then SIGKILL d2's daemon and take d2's link down at t0. Event-driven observers (`ip -ts monitor`,
# started before the kill, blocked in the kernel until an event) timestamp (a) the VIP appearing
# on d1 and (b) the client's neighbour entry for the VIP changing to d1's MAC. Nothing polls, so
# the measurement itself does not load the CPUs the directors run on.
# The kill is phase-locked: it follows the master's next advert seen on the bridge (tcpdump
# --immediate-mode -tt, then a kill by pid), so both implementations are killed at about the same
# point of their advert cycle (PHASE_LOCK=0: anywhere in it, which alone spreads kill -> takeover
# over one advert interval). A capture of everything the master sends, running through the trial,
# gives its last advert, and so the phase-free figure "master's last advert -> VIP on backup",
# which is Master_Down_Interval plus the takeover's cost.
# Configurations: VRRPv2 advert 1 s, VRRPv3 advert 1 s, 100 ms and 10 ms (the protocol's floor).
# lvsd and keepalived trials alternate.
# Then a soak per advert interval in SOAK_INTERVALS (default 10ms), lvsd's pair and then
# keepalived's, SOAK_SECONDS each, with every CPU busy (one shell busy-loop per core) and the lvsd
# JVMs under allocation pressure (their /metrics and /status scraped in a tight loop from inside
# their namespaces; the same loops run against keepalived's directors, where nothing listens).
# Counted the same way for both, from the kernel: the VIP added on the backup d1 (a false
# takeover) and removed from the master d2. To find the cause, the master's adverts are captured
# on its bridge port (the gaps between them: a late master makes a backup take over as surely as
# a slow backup does), and lvsd's JVMs log every safepoint (stop-the-world pause) and GC.
#   SOAK_INTERVALS="10ms 20ms 50ms" bench/failover.sh 0 120   (soaks only, at several intervals)
#   LVSD_RT=10 ...                  lvsd's VRRP threads at SCHED_FIFO 10 (vrrp.realtime-priority)
#   LVSD_JAVA_OPTS="-XX:+UseZGC -Xmx256m" ...   another collector (the launcher's SerialGC yields to it)
set -euo pipefail
TRIALS=${1:-20}
SOAK=${2:-600}
SOAK_INTERVALS=${SOAK_INTERVALS:-10ms}
cfgs=${CONFIGS:-v2-1s v3-1s v3-100ms v3-10ms}
[ "$TRIALS" -gt 0 ] || cfgs="" # soaks only
top=$(cd "$(dirname "$0")/.." && pwd)
lvsd="$top/controller/target/lvsd/lvsd/bin/lvsd"
[ "$(id -u)" = 0 ] || { echo "failover.sh: run as root (network namespaces)" >&2; exit 1; }
# One run at a time: a second would delete the first's namespaces (fob-*) under it.
exec 9>/run/lvsd-bench-failover.lock
flock -n 9 || { echo "failover.sh: another run is in progress (/run/lvsd-bench-failover.lock)" >&2; exit 1; }
[ -x "$lvsd" ] || (cd "$top" && mvn -q -DskipTests package)
command -v keepalived >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q keepalived >/dev/null
command -v tcpdump >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q tcpdump >/dev/null
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl >/dev/null
# JVM flags for the directors (the launcher adds -XX:+UseSerialGC -Xss512k); recorded in the output.
export LVSD_JAVA_OPTS=${LVSD_JAVA_OPTS:--Xms64m -Xmx64m}
work=$(mktemp -d /tmp/lvsd-failover.XXXXXX)
P=fob
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for n in br d1 d2 c1; do ip netns del $P-$n 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup

ip netns add $P-br; ip -n $P-br link add br0 type bridge; ip -n $P-br link set br0 up
i=0
for h in d1:11 d2:12 c1:50; do
  n=${h%%:*}; a=${h##*:}
  ip netns add $P-$n
  ip -n $P-$n link set lo up
  ip -n $P-$n link add eth0 type veth peer name $n netns $P-br
  ip -n $P-br link set $n master br0 up
  ip -n $P-$n link set eth0 up
  ip -n $P-$n addr add 10.96.0.$a/24 dev eth0
done
mac() { ip -n $P-$1 -o link show dev eth0 | sed 's/.*link\/ether \([0-9a-f:]*\).*/\1/'; }
MAC1=$(mac d1); MAC2=$(mac d2)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
holds() { ip -n $P-$1 -o addr show dev eth0 | grep -q ' 10.96.0.100/'; }
neigh() { ip -n $P-c1 neigh show 10.96.0.100 dev eth0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'; }
touch_vip() { ip netns exec $P-c1 bash -c 'echo x > /dev/udp/10.96.0.100/9' 2>/dev/null || true; }

lvsd_conf() { # name prio version interval
  cat > "$work/$1-lvsd.conf" <<EOF
director { name = $1 }
admin { listen = "127.0.0.1:9180" }
scripts { user = root }
vrrp.realtime-priority = ${LVSD_RT:-0}
vrrp.instances.VI_1 { interface = eth0, virtual-router-id = 51, priority = $2, version = $3,
  advert-interval = $4, virtual-addresses = ["10.96.0.100/24"] }
EOF
}
ka_conf() { # name prio version interval(s)
  cat > "$work/$1-ka.conf" <<EOF
global_defs { router_id $1 }
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority $2
  version $3
  advert_int $4
  virtual_ipaddress { 10.96.0.100/24 }
}
EOF
}
start() { # impl host
  if [ "$1" = lvsd ]; then
    # Every stop-the-world pause (safepoint) and GC, with wall-clock times to set beside the wire.
    LVSD_JAVA_OPTS="$LVSD_JAVA_OPTS -Xlog:safepoint=info,gc=info:file=$work/$2-jvm.log:time" \
      ip netns exec $P-$2 "$lvsd" run -f "$work/$2-lvsd.conf" >>"$work/$2-lvsd.log" 2>&1 &
  else
    ip netns exec $P-$2 keepalived --vrrp -n -l -f "$work/$2-ka.conf" -p "$work/$2-k.pid" -r "$work/$2-kv.pid" \
      >>"$work/$2-ka.log" 2>&1 &
  fi
  echo $!
}
stop_all() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pkill -9 -f "$work/" 2>/dev/null || true
  sleep 0.3
  pids=()
  for h in d1 d2; do ip -n $P-$h link set eth0 up; ip -n $P-$h addr del 10.96.0.100/24 dev eth0 2>/dev/null || true; done
}
wait_until() { # timeout_s command...
  local end=$(( $(now_ms) + $1 * 1000 )); shift
  while [ "$(now_ms)" -lt $end ]; do "$@" && return 0; sleep 0.05; done
  return 1
}
converged() { holds d2 && ! holds d1 && { touch_vip; [ "$(neigh)" = "$MAC2" ]; }; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
stats() { sort -n "$1" | awk '$1 >= 0 {a[++n]=$1} END {if (n==0) {print "n=0"; exit}
  printf "n=%d min=%.1f p50=%.1f p90=%.1f max=%.1f", n, a[1], (n%2 ? a[(n+1)/2] : (a[n/2]+a[n/2+1])/2), a[int(n*0.9+0.999)], a[n]}'; }

ts_ns() { # "[2026-11-23T13:42:23.823542] ..." -> epoch ns
  local ts=${1#[}; ts=${ts%%]*}; date -d "${ts/T/ }" +%s%N
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (a - b) / 1e6}'; }
int_ms() { case $1 in *ms) echo ${1%ms} ;; *s) echo $(( ${1%s} * 1000 )) ;; esac; }
ka_int() { awk -v m="$(int_ms $1)" 'BEGIN {printf "%g", m / 1000}'; } # keepalived's advert_int, seconds
# RFC 5798 §6.1: Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, Skew_Time =
# ((256 - Priority) × Master_Adver_Interval) / 256; for the backup d1 (priority 100), in ms.
mdi() { awk -v m="$(int_ms $1)" 'BEGIN {printf "%.1f", 3 * m + (256 - 100) * m / 256}'; }

trial() { # impl -> appends to $work/$impl-$cfg-{vip,arp,adv}
  local impl=$1
  local victim; victim=$(start $impl d2) # ip netns exec and the launcher exec: this is the daemon's pid
  pids+=("$victim")
  if [ "${COLD:-0}" = 1 ]; then # d1 joins a running master, so the measured takeover is its first
    wait_until 60 holds d2 || { echo "  $impl: d2 did not become master alone" >&2; return; }
    pids+=("$(start $impl d1)")
    sleep 4 # d1's daemon up and hearing d2's adverts as a backup
  fi
  if ! wait_until 60 converged; then echo "  $impl: did not converge" >&2; return; fi
  sleep 1 # a few adverts in the steady state
  local kill_pids="$victim"
  [ "$impl" = lvsd ] || kill_pids="$(cat "$work/d2-k.pid" "$work/d2-kv.pid" 2>/dev/null | tr '\n' ' ')"
  ip -n $P-d1 -ts monitor address > "$work/mon-addr" 2>/dev/null & local mon1=$!
  ip -n $P-c1 -ts monitor neigh > "$work/mon-neigh" 2>/dev/null & local mon2=$!
  # Every advert d2 sends until it dies, on its bridge port: the last one is the master's true last advert (the
  # phase lock's capture below takes one advert, and at 10 ms the master sends more before the kill lands).
  ip netns exec $P-br tcpdump -i d2 -Q in --immediate-mode -n -q -tt 'ip proto 112' > "$work/adverts" 2>/dev/null &
  local cap=$!
  sleep 0.3 # both monitors subscribed, the capture running
  local last=""
  if [ "${PHASE_LOCK:-1}" = 1 ]; then
    last=$(ip netns exec $P-br timeout 3 tcpdump -i d2 --immediate-mode -n -q -tt -c 1 'ip proto 112' 2>/dev/null | awk '{print $1}') || true
  fi
  local t0; t0=$(date +%s%N)
  kill -9 $kill_pids 2>/dev/null || true
  ip -n $P-d2 link set eth0 down
  local end=$(( t0 + 15000000000 )) a="" n=""
  while [ $(date +%s%N) -lt $end ]; do
    a=$(grep -m1 ' 10.96.0.100/' "$work/mon-addr" || true)
    n=$(grep -m1 "^\[.*\] 10.96.0.100 dev eth0 lladdr $MAC1" "$work/mon-neigh" || true)
    [ -n "$a" ] && [ -n "$n" ] && break
    sleep 0.05
  done
  kill $mon1 $mon2 2>/dev/null || true
  kill -INT $cap 2>/dev/null || true; wait $cap 2>/dev/null || true
  last=$(awk 'NF {l = $1} END {print l}' "$work/adverts")
  local vip=-1 arp=-1 adv=-1
  [ -z "$a" ] || vip=$(ms "$(ts_ns "$a")" "$t0")
  [ -z "$n" ] || arp=$(ms "$(ts_ns "$n")" "$t0")
  [ -z "$a" ] || [ -z "$last" ] || adv=$(ms "$(ts_ns "$a")" "$(awk -v t="$last" 'BEGIN {printf "%.0f", t * 1e9}')")
  echo $vip >> "$work/$impl-$cfg-vip"; echo $arp >> "$work/$impl-$cfg-arp"; echo $adv >> "$work/$impl-$cfg-adv"
  echo "  $impl trial: kill -> VIP on backup ${vip} ms, -> client ARP ${arp} ms; master's last advert -> VIP ${adv} ms"
  ip -n $P-d2 link set eth0 up
  ip -n $P-d2 addr del 10.96.0.100/24 dev eth0 2>/dev/null || true
  sleep 0.5
}

echo "lvsd failover benchmark, $(date -u +%F), $(nproc) CPUs, kernel $(uname -r), keepalived $(keepalived -v 2>&1 | head -1 | awk '{print $2}')"
echo "kill phase-locked to the master's advert: ${PHASE_LOCK:-1}"
echo "cold takeover (d1 joins a running master): ${COLD:-0}"
echo "lvsd JVM: launcher flags -XX:+UseSerialGC -Xss512k (C2 on for run), LVSD_JAVA_OPTS='$LVSD_JAVA_OPTS'"
echo "lvsd vrrp.realtime-priority: ${LVSD_RT:-0} (LVSD_RT)"
for cfg in $cfgs; do
  ver=${cfg%%-*}; ver=${ver#v}; int=${cfg#*-}
  kaint=$(ka_int $int)
  lvsd_conf d1 100 $ver $int; lvsd_conf d2 150 $ver $int
  ka_conf d1 100 $ver $kaint; ka_conf d2 150 $ver $kaint
  rm -f "$work"/*-$cfg-*
  echo "== $cfg: $TRIALS trials each, alternating"
  for n in $(seq "$TRIALS"); do
    for impl in lvsd keepalived; do
      stop_all
      [ "${COLD:-0}" = 1 ] || pids+=("$(start $impl d1)")
      trial $impl
    done
  done
  stop_all
done

[ -z "$cfgs" ] || { echo; echo "RESULTS (ms)"; }
for cfg in $cfgs; do
  for what in "vip:kill -> VIP on backup" "arp:kill -> client neighbour entry updated" \
              "adv:master's last advert -> VIP on backup"; do
    echo "  $cfg, ${what#*:}"
    for impl in lvsd keepalived; do
      printf "    %-10s %s\n" $impl "$(stats "$work/$impl-$cfg-${what%%:*}")"
    done
  done
  l=$(awk '$1 >= 0' "$work/lvsd-$cfg-vip" | median); k=$(awk '$1 >= 0' "$work/keepalived-$cfg-vip" | median)
  echo "  $cfg median ratio keepalived/lvsd (kill -> VIP): $(awk -v k=$k -v l=$l 'BEGIN{printf "%.3f", k/l}')"
done
[ -z "$cfgs" ] || echo "Master_Down_Interval of the backup (priority 100): 1 s adverts $(mdi 1s) ms; 100 ms $(mdi 100ms) ms; 10 ms $(mdi 10ms) ms"

[ "$SOAK" -gt 0 ] || exit 0
m() { ip netns exec $P-$1 curl -s 127.0.0.1:9180/metrics | awk -v s="$2" 'index($0, s)==1 {print $2}'; }
# The JVM's safepoint log: "Safepoint "<op>", Time since last: .. ns, Reaching safepoint: .. ns, At
# safepoint: .. ns, Total: N ns" -> count, longest, and how many over 5 ms and over $2 ms.
pauses() { # file mdi_ms
  [ -f "$1" ] || { echo "no safepoint log"; return; }
  awk -v lim="$2" '/Safepoint "/ && /Total: / {t = $0; sub(/.*Total: /, "", t); t += 0; n++; if (t > mx) mx = t
      if (t > 5e6) o5++; if (t > lim * 1e6) ol++}
    /Pause / && / [0-9.]+ms$/ {g++}
    END {printf "%d safepoints, longest %.1f ms, %d over 5 ms, %d over %s ms; %d GC pauses", n, mx / 1e6, o5, ol, lim, g}' "$1"
}
soak() { # impl interval
  local impl=$1 int=$2 lim; lim=$(mdi $2)
  stop_all
  lvsd_conf d1 100 3 $int; lvsd_conf d2 150 3 $int
  ka_conf d1 100 3 "$(ka_int $int)"; ka_conf d2 150 3 "$(ka_int $int)"
  rm -f "$work"/d1-jvm.log "$work"/d2-jvm.log
  pids+=("$(start $impl d2)"); pids+=("$(start $impl d1)")
  wait_until 60 converged || { echo "soak $impl $int: no convergence" >&2; return; }
  sleep 3
  local tag="$work/soak-$impl-$int"
  # Counted by the kernel, the same for both implementations: VIP added on d1, removed from d2.
  ip -n $P-d1 -ts monitor address > "$tag-d1" 2>/dev/null & local mon1=$!
  ip -n $P-d2 -ts monitor address > "$tag-d2" 2>/dev/null & local mon2=$!
  ip netns exec $P-br tcpdump -i d2 -Q in -n -w "$tag.pcap" 'ip proto 112' 2>/dev/null & local cap=$!
  local tr1_0="" tr2_0="" adv0=""
  if [ $impl = lvsd ]; then
    tr1_0=$(m d1 "$T1"); tr2_0=$(m d2 "$T2"); adv0=$(m d1 "$RX")
  fi
  local stress=()
  for h in d1 d2; do
    for k in 1 2; do
      ip netns exec $P-$h timeout "$SOAK" bash -c 'while :; do curl -s -o /dev/null 127.0.0.1:9180/metrics; curl -s -o /dev/null 127.0.0.1:9180/status; done' &
      stress+=("$!")
    done
  done
  for c in $(seq "$(nproc)"); do timeout "$SOAK" sh -c 'while :; do :; done' & stress+=("$!"); done
  pids+=("${stress[@]}")
  sleep "$SOAK"
  wait "${stress[@]}" 2>/dev/null || true
  kill $mon1 $mon2 $cap 2>/dev/null || true; wait $cap 2>/dev/null || true
  local up down
  up=$(grep -v '\] Deleted ' "$tag-d1" | grep -c ' 10.96.0.100/' || true)
  down=$(grep '\] Deleted ' "$tag-d2" | grep -c ' 10.96.0.100/' || true)
  tcpdump -r "$tag.pcap" -n -tt 2>/dev/null | awk '{t = $1 * 1000; if (p) printf "%.3f %.3f\n", t - p, $1; p = t}' > "$tag-gaps"
  echo "  $impl, adverts every $int (Master_Down_Interval of d1 $lim ms), $SOAK s:"
  echo "    false failovers: $((up + down)) (VIP added on backup d1: $up; removed from master d2: $down)"
  if [ $impl = lvsd ]; then
    echo "    lvsd's own count: d1 BACKUP->MASTER $(awk -v a="$(m d1 "$T1")" -v b="${tr1_0:-0}" 'BEGIN {print a - b}')," \
      "d2 MASTER->BACKUP $(awk -v a="$(m d2 "$T2")" -v b="${tr2_0:-0}" 'BEGIN {print a - b}');" \
      "adverts received by d1 $(awk -v a="$(m d1 "$RX")" -v b="${adv0:-0}" 'BEGIN {printf "%d", a - b}')," \
      "held for unread $(m d1 "$HELD" | cut -d. -f1)"
  fi
  echo "    master's adverts on the wire: $(wc -l < "$tag-gaps") gaps (ms) $(awk '{print $1}' "$tag-gaps" > "$tag-g"; stats "$tag-g")"
  echo "      p99 $(sort -n "$tag-g" | awk '{a[NR]=$1} END {printf "%.1f, p99.9 %.1f", a[int(NR*0.99)], a[int(NR*0.999)]}');" \
    "over 2 intervals: $(awk -v l="$(int_ms $int)" '$1 > 2 * l' "$tag-g" | wc -l), over Master_Down_Interval: $(awk -v l="$lim" '$1 > l' "$tag-g" | wc -l)"
  awk -v l="$lim" '$1 > l {printf "      a gap of %.1f ms ending at %s\n", $1, strftime("%T", $2) "." substr(sprintf("%.3f", $2 - int($2)), 3)}' "$tag-gaps" | head -n 10
  { grep -v '\] Deleted ' "$tag-d1" | grep ' 10.96.0.100/' || true; } | head -n 10 | sed 's/^\[[^T]*T\([^]]*\)\].*/      VIP added on d1 at \1/'
  if [ $impl = lvsd ]; then
    echo "    JVM pauses, master d2: $(pauses "$work/d2-jvm.log" "$lim")"
    echo "    JVM pauses, backup d1: $(pauses "$work/d1-jvm.log" "$lim")"
    cp "$work/d1-jvm.log" "$tag-d1-jvm.log" 2>/dev/null || true; cp "$work/d2-jvm.log" "$tag-d2-jvm.log" 2>/dev/null || true
  fi
  stop_all
}
T1='lvsd_vrrp_transitions_total{from="BACKUP",instance="VI_1",to="MASTER"}'
T2='lvsd_vrrp_transitions_total{from="MASTER",instance="VI_1",to="BACKUP"}'
RX='lvsd_vrrp_adverts_received_total{instance="VI_1"}'
HELD='lvsd_vrrp_master_down_held_total{instance="VI_1"}'
echo
echo "== soak: $SOAK s per implementation and advert interval ($SOAK_INTERVALS), VRRPv3, every CPU busy,"
echo "   lvsd's JVMs ($LVSD_JAVA_OPTS) scraped in a tight loop"
for int in $SOAK_INTERVALS; do
  for impl in ${SOAK_IMPLS:-lvsd keepalived}; do soak $impl $int; done
done
