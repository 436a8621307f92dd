#!/usr/bin/env bash
# Active-active directors behind ECMP: how long a router takes to stop sending to a dead director,
# with BFD (100 ms x 3) and with the BGP hold timer alone (hold 3 s, keepalive 1 s), RUNS trials
# each (default 10), in network namespaces on this machine: a BIRD router with ECMP and an L4 hash,
# three directors running lvsd (IPVS in memory: LVSD_TEST_IPVS=memory) and BIRD. A trial silences
# one director's link (a dead host: nothing says goodbye) and polls the router's kernel route until
# that next hop is gone; then the link comes back and the director is announced again. Prints the
# median, min and max in ms. With --vm it then runs the data-plane scenarios in the kernel lab VM
# (EcmpVmTest: connections lost per scenario, the split over the directors) and prints their table.
# Needs root and bird2. Nothing here leaves the namespaces it makes.
#   bench/ecmp.sh [--vm] [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vm=""; [ "${1:-}" = --vm ] && { vm=1; shift; }
runs=${1:-10}
lvsd="$top/controller/target/lvsd/lvsd/bin/lvsd"
[ -x "$lvsd" ] || (cd "$top" && mvn -q -DskipTests -Dlvsd.deb.skip package)
command -v bird >/dev/null || apt-get install -y -qq bird2 >/dev/null
out="$top/bench/out/ecmp"; rm -rf "$out"; mkdir -p "$out"
p=lvsd-bench-ecmp
vip=10.66.100.10
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ns in $(ip netns list | awk '{print $1}' | grep "^$p-" || true); do ip netns delete "$ns"; done
}
trap cleanup EXIT
cleanup
n() { ip netns exec "$p-$1" "${@:2}"; }
ip netns add "$p-lan"; n lan ip link set lo up; n lan ip link add br0 type bridge; n lan ip link set br0 up
host() { # name address
  ip netns add "$p-$1"; n "$1" ip link set lo up
  ip -n "$p-$1" link add eth0 type veth peer name "$1-eth0" netns "$p-lan"
  n lan ip link set "$1-eth0" master br0 up
  n "$1" ip addr add "$2/24" dev eth0; n "$1" ip link set eth0 up
}
host r 10.66.0.1
n r sysctl -qw net.ipv4.fib_multipath_hash_policy=1
dirs="d1 d2 d3"
for d in $dirs; do host "$d" "10.66.0.1${d#d}"; done

birdconf() { # mode: bfd | hold
  local bfd="bfd on;" proto_bfd='protocol bfd { interface "*" { interval 100 ms; multiplier 3; }; }'
  [ "$1" = hold ] && { bfd="bfd off;"; proto_bfd=""; }
  { echo "router id 10.66.0.1; protocol device {}"
    echo "protocol kernel { ipv4 { import none; export all; }; merge paths on limit 16; }"
    echo "$proto_bfd"
    echo "template bgp dir { local as 65000; $bfd hold time 3; keepalive time 1; connect delay time 1;"
    echo "  connect retry time 1; error wait time 1, 5; ipv4 { import all; export none; }; }"
    for d in $dirs; do echo "protocol bgp $d from dir { neighbor 10.66.0.1${d#d} as 65101; }"; done
  } > "$out/r-$1.conf"
  for d in $dirs; do
    { echo "router id 10.66.0.1${d#d}; protocol device {} ipv4 table vips;"
      echo "protocol kernel lvsd4 { kernel table 4242; learn; scan time 10;"
      echo "  ipv4 { table vips; import where krt_source = 245; export none; }; }"
      echo "$proto_bfd"
      echo "protocol bgp uplink { local as 65101; neighbor 10.66.0.1 as 65000; $bfd hold time 3; keepalive time 1;"
      echo "  connect delay time 1; connect retry time 1; error wait time 1, 5;"
      echo "  ipv4 { table vips; import none; export where proto = \"lvsd4\"; next hop self; }; }"
    } > "$out/$d-$1.conf"
  done
}
birdconf bfd; birdconf hold
for h in r $dirs; do cp "$out/$h-bfd.conf" "$out/$h.conf"; n "$h" bird -c "$out/$h.conf" -s "$out/$h.ctl" -P "$out/$h.pid"; done
for d in $dirs; do
  cat > "$out/$d-lvsd.conf" <<CONF
director.name = $d
admin { listen = "127.0.0.1:9180", control-socket = "$out/$d.sock" }
routing { enabled = true, control-socket = "$out/$d.ctl" }
virtual-servers = [ { name = web, address = "$vip:80", scheduler = mh, forwarding = dr, on-failure = quiesce,
  scheduler-flags = [mh-fallback, mh-port], check.type = none,
  real-servers = [ { address = "10.66.0.21:80" } ] } ]
CONF
  LVSD_TEST_IPVS=memory STATE_DIRECTORY="$out/$d.state" n "$d" "$lvsd" run -f "$out/$d-lvsd.conf" > "$out/$d-lvsd.log" 2>&1 &
  pids+=($!)
done

hops() { n r ip route show "$vip/32" | grep -o 'via [0-9.]*' | sort | tr '\n' ' '; }
wait_hops() { # count timeout_s
  local end=$(( $(date +%s) + $2 ))
  while [ "$(hops | wc -w)" -ne $(( $1 * 2 )) ]; do
    [ "$(date +%s)" -lt "$end" ] || { echo "router did not converge to $1 next hops: $(hops)"; tail -5 "$out"/d*-lvsd.log; exit 1; }
    sleep 0.05
  done
}
wait_hops 3 120
echo "== this machine ($(nproc) CPUs, $(uname -r)), BIRD $(bird --version 2>&1 | awk '{print $NF}'), $(date -u +%F)"
for mode in bfd hold; do
  for h in r $dirs; do cp "$out/$h-$mode.conf" "$out/$h.conf"; birdc -s "$out/$h.ctl" configure > /dev/null; done
  wait_hops 3 60
  sleep 3   # BFD sessions up (or down, for hold) on every session before the first trial
  times=""
  for i in $(seq 1 "$runs"); do
    d="d$(( (i - 1) % 3 + 1 ))"; nh="10.66.0.1${d#d}"
    t0=$(date +%s%N)
    n lan ip link set "$d-eth0" down
    while hops | grep -q "$nh "; do :; done
    t1=$(date +%s%N)
    times="$times $(( (t1 - t0) / 1000000 ))"
    n lan ip link set "$d-eth0" up
    wait_hops 3 60
    sleep 2
  done
  set -- $(printf '%s\n' $times | sort -n)
  cnt=$#; med=$(printf '%s\n' "$@" | sed -n "$(( (cnt + 1) / 2 ))p")
  eval last=\${$cnt}
  label="BFD 100 ms x 3"; [ "$mode" = hold ] && label="hold timer 3 s (keepalive 1 s)"
  printf 'director dead -> router withdrew it, %-32s median %5d ms  min %5d  max %5d  (%d trials)\n' \
    "$label:" "$med" "$1" "$last" "$cnt"
done
if [ -n "$vm" ]; then
  echo "== lab VM (Debian's kernel under qemu TCG): EcmpVmTest, two directors with IPVS"
  (cd "$top/controller" && mvn -o -q verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
      -Dit.test=ControllerKernelLabIT -Dlvsd.vm.tests='.*EcmpVmTest' -Dlvsd.deb.skip > "$out/vm.log" 2>&1) \
    || { tail -40 "$out/vm.log"; exit 1; }
  sed -n '/^ECMP data plane/,/^[^ E]/p' "$top/controller/target/lab/guest.log" | grep -v '^\S*\.\S*$' | head -30
fi
