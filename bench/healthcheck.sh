#!/usr/bin/env bash
# Health-check cost benchmark: lvsd checking many real servers, CPU and memory; then lvsd against
# keepalived's checker on the same configuration, side by side in the kernel lab VM (keepalived
# needs IPVS). Prints figures; asserts nothing about time.
#
#   sudo bench/healthcheck.sh [SECONDS] [VM_TCP] [VM_HTTP]     (defaults: 120 s; 200 and 100 in the VM)
#   SKIP_HOST=1 / SKIP_VM=1: one side only; PER=N: N real servers per virtual server (default 100)
#
# Real servers are 127.a.b.c addresses of a namespace's loopback, served by io.lvsd.bench.CheckTargets:
# TCP ports accept and close, HTTP ports answer 200. On this machine: 10,000 TCP-checked (100 addresses
# x 100 ports) and 2,000 HTTP-checked (100 x 20) real servers, every check each second (interval 1s,
# timeout 1s, warmup on; lvsd with the systemd unit's -Xmx256m). After a 30 s warm-up, lvsd's CPU time (utime + stime of its JVM, all threads)
# over SECONDS, its largest RSS, and the probe results it counted in that time. In the VM, under qemu's
# software emulation (slow, so a smaller farm: VM_TCP + VM_HTTP real servers), lvsd and then
# keepalived --check run the same farm for SECONDS each and the CPU ratio is reported.
set -euo pipefail
DUR=${1:-120}
VM_TCP=${2:-200}
VM_HTTP=${3:-100}
PER=${PER:-100} # real servers per virtual server (VM_TCP and VM_HTTP are multiples of it)
WARM=30
top=$(cd "$(dirname "$0")/.." && pwd)
lvsd="$top/controller/target/lvsd/lvsd/bin/lvsd"
[ "$(id -u)" = 0 ] || { echo "healthcheck.sh: run as root (network namespaces)" >&2; exit 1; }
[ -x "$lvsd" ] && [ -f "$top/bench/target/bench-0.1.0-SNAPSHOT.jar" ] || (cd "$top" && mvn -q -DskipTests package)
command -v keepalived >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq keepalived >/dev/null; }
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
cp="$top/bench/target/bench-0.1.0-SNAPSHOT.jar:$top/bench/target/lib/*"
out="$top/bench/out"; mkdir -p "$out"

# ---- run inside the VM: "$0" --guest
if [ "${1:-}" = "--guest" ]; then
  DUR=$2; VM_TCP=$3; VM_HTTP=$4; WARM=60 # C2 compiles slowly under emulation
fi

# each_service NTCP NHTTP FN: calls FN KIND PORT NET for every virtual server 10.0.0.1:PORT of the farm:
# KIND tcp from port 20000 with real servers 127.1.0.x:PORT, KIND http from port 30000 with 127.2.0.x:PORT
each_service() {
  local port
  for ((port = 20000; port < 20000 + $1 / PER; port++)); do "$3" tcp $port 1; done
  for ((port = 30000; port < 30000 + $2 / PER; port++)); do "$3" http $port 2; done
}

# real_servers NET PORT FORMAT: printf FORMAT ADDRESS PORT for the PER real servers 127.NET.0.2-(PER + 1)
real_servers() {
  local addr
  for ((addr = 1; addr <= PER; addr++)); do printf "$3" "127.$1.$((addr / 250)).$((addr % 250 + 1))" "$2"; done
}

lvsd_service() { # KIND PORT NET
  local check='check.type = tcp'
  [ "$1" = http ] && check='check { type = http, http.path = "/" }'
  printf '{ name = %s%d, address = "10.0.0.1:%d", scheduler = rr, %s, real-servers = [' "${1:0:1}" "$2" "$2" "$check"
  real_servers "$3" "$2" '\n  { address = "%s:%d" }'
  echo ' ] }'
}

keepalived_service() { # KIND PORT NET
  local check='    TCP_CHECK {\n      connect_timeout 1\n    }\n'
  [ "$1" = http ] && check='    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 1\n    }\n'
  echo "virtual_server 10.0.0.1 $2 {"; echo '  delay_loop 1'; echo '  lb_algo rr'; echo '  lb_kind NAT'; echo '  protocol TCP'
  real_servers "$3" "$2" "  real_server %s %d {\n    weight 1\n$check  }\n"
  echo '}'
}

# gen_lvsd FILE TCP_SERVERS HTTP_SERVERS: virtual servers 10.0.0.1:PORT, 100 real servers each
gen_lvsd() {
  {
    echo 'director.name = bench'
    echo 'admin.listen = "127.0.0.1:9180"'
    echo 'defaults.check { interval = 1s, timeout = 1s, warmup = true }'
    echo 'virtual-servers = ['
    each_service "$2" "$3" lvsd_service
    echo ']'
  } > "$1"
}

# gen_keepalived FILE TCP_SERVERS HTTP_SERVERS: the same farm for keepalived's checker
gen_keepalived() {
  {
    echo 'global_defs { router_id bench }'
    each_service "$2" "$3" keepalived_service
  } > "$1"
}

ticks() { # utime + stime of every pid given, in clock ticks; FIELD 14 = user only, 15 = system only
  local t=0 p
  for p in "${@:2}"; do
    [ -r /proc/$p/stat ] && t=$((t + $(awk -v f="$1" '{print f == 0 ? $14 + $15 : $f}' /proc/$p/stat)))
  done
  echo $t
}
rss_kib() { local r=0 p; for p in "$@"; do r=$((r + $(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $r; }
seen() { awk '/^connections / {n = $2} END {printf "%d", n}' "$out/targets.log"; } # probes the targets saw
metric() { { ip netns exec hcb curl -s http://127.0.0.1:9180/metrics || true; } | awk -v m="$1" 'index($0, m) == 1 {s += $NF} END {printf "%d", s}'; }

# measure NAME PIDS...: CPU seconds and peak RSS over DUR seconds
measure() {
  local name=$1; shift
  local hz; hz=$(getconf CLK_TCK)
  local t0 t1 u0 u1 peak=0 r i
  t0=$(ticks 0 "$@"); u0=$(ticks 14 "$@")
  for ((i = 0; i < DUR; i++)); do
    sleep 1
    r=$(rss_kib "$@"); [ "$r" -gt "$peak" ] && peak=$r
  done
  t1=$(ticks 0 "$@"); u1=$(ticks 14 "$@")
  CPU_S=$(awk -v a=$t0 -v b=$t1 -v hz=$hz 'BEGIN {printf "%.1f", (b - a) / hz}')
  USER_S=$(awk -v a=$u0 -v b=$u1 -v hz=$hz 'BEGIN {printf "%.1f", (b - a) / hz}')
  PEAK_MIB=$((peak / 1024))
  printf '%-10s CPU %6s s in %d s = %5.2f core(s) = %6.1f CPU s/min (user %s s, kernel %s s); peak RSS %d MiB\n' \
    "$name" "$CPU_S" "$DUR" "$(awk -v c=$CPU_S -v d=$DUR 'BEGIN {print c / d}')" \
    "$(awk -v c=$CPU_S -v d=$DUR 'BEGIN {print c * 60 / d}')" "$USER_S" \
    "$(awk -v c=$CPU_S -v u=$USER_S 'BEGIN {printf "%.1f", c - u}')" "$PEAK_MIB"
}

# report PROBES: the probe rate the targets saw, and CPU per 1000 probes (from the last measure)
report() {
  local n=$1
  PER_K=$(awk -v c=$CPU_S -v n=$n 'BEGIN {printf "%.3f", (n > 0 ? c * 1000 / n : 0)}')
  echo "           the targets saw $((n / DUR)) probes/s; CPU per 1000 probes: $PER_K s"
}

netns_up() {
  ip netns del hcb 2>/dev/null || true
  ip netns add hcb
  ip -n hcb link set lo up
}

# run_farm NTCP NHTTP WHO: start targets and WHO (lvsd | keepalived) in namespace hcb, measure, stop
run_farm() {
  local ntcp=$1 nhttp=$2 who=$3 pids
  ulimit -n 65536 2>/dev/null || true
  netns_up
  ip netns exec hcb java -XX:+UseSerialGC -Xmx256m -cp "$cp" io.lvsd.bench.CheckTargets 20000 $((ntcp / PER)) 30000 $((nhttp / PER)) \
    > "$out/targets.log" 2>&1 &
  local tp=$!
  sleep 5
  if [ "$who" = lvsd ]; then
    gen_lvsd "$out/hc-lvsd.conf" "$ntcp" "$nhttp"
    ip netns exec hcb env STATE_DIRECTORY="$out/hc-lvsd.state" LVSD_JAVA_OPTS="${LVSD_JAVA_OPTS:--Xms64m -Xmx256m}" "$lvsd" run -f "$out/hc-lvsd.conf" > "$out/hc-lvsd.log" 2>&1 &
    local lp=$!
    local i
    for ((i = 0; i < 300; i++)); do # the JVM starts slowly under emulation
      ip netns exec hcb curl -sf http://127.0.0.1:9180/healthz >/dev/null 2>&1 && break
      sleep 1
    done
    sleep "$WARM"
    local r0 s0; r0=$(metric lvsd_check_results_total); s0=$(seen)
    measure "lvsd" $lp
    local r1 s1; r1=$(metric lvsd_check_results_total); s1=$(seen)
    local down; down=$(metric 'lvsd_check_results_total{result="down"')
    report $((s1 - s0))
    echo "           lvsd counted $(( (r1 - r0) / DUR )) probe results/s; down results since start: $down"
    kill $lp; wait $lp 2>/dev/null || true
  else
    gen_keepalived "$out/hc-keepalived.conf" "$ntcp" "$nhttp"
    ip netns exec hcb keepalived -n -l -C -f "$out/hc-keepalived.conf" -p "$out/ka.pid" -c "$out/ka-check.pid" > "$out/hc-keepalived.log" 2>&1 &
    local kp=$!
    sleep "$WARM"
    pids=$(pgrep -d ' ' -f "keepalived -n -l -C -f $out/hc-keepalived.conf" || true)
    local s0; s0=$(seen)
    # shellcheck disable=SC2086
    measure "keepalived" $pids
    local s1; s1=$(seen)
    report $((s1 - s0))
    kill $kp; wait $kp 2>/dev/null || true
  fi
  kill $tp; wait $tp 2>/dev/null || true
  ip netns del hcb
}

if [ "${1:-}" = "--guest" ]; then
  echo "== in the lab VM (qemu TCG): $VM_TCP TCP + $VM_HTTP HTTP real servers, ${DUR} s each, after ${WARM} s warm-up"
  run_farm "$VM_TCP" "$VM_HTTP" lvsd | tee "$out/vm-lvsd.txt"
  run_farm "$VM_TCP" "$VM_HTTP" keepalived | tee "$out/vm-keepalived.txt"
  l=$(awk '/CPU per 1000 probes/ {print $(NF - 1)}' "$out/vm-lvsd.txt")
  k=$(awk '/CPU per 1000 probes/ {print $(NF - 1)}' "$out/vm-keepalived.txt")
  awk -v l="$l" -v k="$k" 'BEGIN {printf "CPU per probe, lvsd / keepalived: %.2f\n", (k > 0 ? l / k : 0)}'
  exit 0
fi

trap 'ip netns del hcb 2>/dev/null || true' EXIT
if [ "${SKIP_HOST:-0}" != 1 ]; then
  echo "== this machine: 10000 TCP + 2000 HTTP real servers, ${DUR} s after ${WARM} s warm-up ($(nproc) CPUs)"
  run_farm 10000 2000 lvsd | tee "$out/host.txt"
fi

[ "${SKIP_VM:-0}" = 1 ] && exit 0
cat > "$out/hc-guest.sh" <<GUEST
PER=$PER bash $top/bench/healthcheck.sh --guest $DUR $VM_TCP $VM_HTTP
GUEST
share=""
case "$top" in /tmp/*) share="$top";; esac
LVSD_LAB_SHARE="$share" LVSD_LAB_TIMEOUT=$((4 * DUR + 600)) "$top/lab/vm.sh" "$out/hc-guest.sh" "$out" || { cat "$out/guest.log"; exit 1; }
cat "$out/guest.log"
