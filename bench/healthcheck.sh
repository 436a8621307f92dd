#!/usr/bin/env bash
# Health-check cost benchmark: lvsd against HAProxy's checker on the same farm on this machine, and
# lvsd against keepalived's checker in the kernel lab VM (keepalived needs IPVS), side by side in one
# run. Prints figures; asserts nothing about time.
#
#   sudo bench/healthcheck.sh [SECONDS] [VM_TCP] [VM_HTTP]     (defaults: 120 s; 100 and 100 in the VM)
#   SKIP_HOST=1 / SKIP_VM=1: one side only; PER=N: N real servers per virtual server (default 100)
#   FARMS="10000:2000 2000:0": the host farms, TCP:HTTP real servers; WHO="lvsd lvsd-half haproxy": the
#   checkers on the host, run in turn on each farm; STRACE=S: the syscall window (default 10 s, 0: none)
#   VM_WARM=S: the warm-up in the VM (default 60 s; the JIT compiles slowly under emulation)
#
# Real servers are 127.a.b.c addresses of a namespace's loopback, served by io.lvsd.bench.CheckTargets:
# TCP ports accept and close, HTTP ports answer 200. Every check each second (interval 1s, timeout 1s,
# spread over the interval; lvsd with the systemd unit's -Xmx256m). "lvsd" is lvsd's default TCP check
# (a whole handshake), "lvsd-half" its `tcp.half-open` check (SYN, SYN-ACK, reset: what HAProxy's plain
# TCP check does). Probes are counted as SYNs arriving at the targets (an nftables counter in the
# namespace): the same oracle for every checker, whether or not the target accepts. After a warm-up,
# the checker's CPU time (utime + stime of all its threads) over SECONDS, its largest RSS, the probes;
# then its system calls over a short window (strace -c -f), per probe seen in that window (strace
# slows the checker; the per-probe count is what matters). In the VM, under qemu's software emulation
# (slow, so a smaller farm), lvsd and keepalived --check take turns on the same farm.
set -euo pipefail
DUR=${1:-120}
VM_TCP=${2:-100}
VM_HTTP=${3:-100}
PER=${PER:-100} # real servers per virtual server (VM_TCP and VM_HTTP are multiples of it)
WARM=${WARM:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
lvsd="$top/controller/target/lvsd/lvsd/bin/lvsd"
[ "$(id -u)" = 0 ] || { echo "healthcheck.sh: run as root (network namespaces)" >&2; exit 1; }
[ -x "$lvsd" ] && [ -f "$top/bench/target/bench-0.1.0-SNAPSHOT.jar" ] || (cd "$top" && mvn -q -DskipTests package)
command -v keepalived >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq keepalived >/dev/null; }
for t in curl:curl haproxy:haproxy strace:strace nft:nftables; do
  command -v "${t%%:*}" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${t#*:}" >/dev/null; }
done
STRACE=${STRACE:-10}
cp="$top/bench/target/bench-0.1.0-SNAPSHOT.jar:$top/bench/target/lib/*"
out="$top/bench/out"; mkdir -p "$out"

# ---- run inside the VM: "$0" --guest
if [ "${1:-}" = "--guest" ]; then
  DUR=$2; VM_TCP=$3; VM_HTTP=$4; WARM=${VM_WARM:-60} # C2 compiles slowly under emulation
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
  [ "${HALF:-0}" = 1 ] && check='check { type = tcp, tcp.half-open = true }'
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

# gen_haproxy FILE TCP_SERVERS HTTP_SERVERS: the same farm for HAProxy, one backend per virtual server,
# `check` and no traffic (a frontend that takes none)
gen_haproxy() {
  {
    printf 'global\n  maxconn 1000\n  log stderr format short local0 warning\n'
    printf 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout check 1s\n  timeout client 10s\n  timeout server 10s\n'
    printf '  default-server inter 1s fall 1 rise 1\n'
    printf 'frontend idle\n  bind 127.0.0.1:9999\n  tcp-request connection reject\n' # HAProxy will not start without one
    each_service "$2" "$3" haproxy_backend
  } > "$1"
}

haproxy_backend() { # KIND PORT NET
  echo "backend ${1}$2"
  [ "$1" = http ] && printf '  mode http\n  option httpchk GET /\n  http-check expect status 200\n'
  local addr
  for ((addr = 1; addr <= PER; addr++)); do
    echo "  server s$addr 127.$3.$((addr / 250)).$((addr % 250 + 1)):$2 check"
  done
}

ticks() { # utime + stime of every pid given, in clock ticks; FIELD 14 = user only, 15 = system only
  local t=0 p
  for p in "${@:2}"; do
    [ -r /proc/$p/stat ] && t=$((t + $(awk -v f="$1" '{print f == 0 ? $14 + $15 : $f}' /proc/$p/stat)))
  done
  echo $t
}
rss_kib() { local r=0 p; for p in "$@"; do r=$((r + $(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $r; }
# SYNs at the targets: the rule's own counter (a named one needs nft_objref, which the lab VM's kernel lacks)
seen() { ip netns exec hcb nft list chain inet hcb in | awk '/counter packets/ {print $(NF - 2)}'; } # "... packets N bytes M"
accepted() { awk '/^connections / {n = $2} END {printf "%d", n}' "$out/targets.log"; } # connections they accepted
metric() { { ip netns exec hcb curl -s http://127.0.0.1:9180/metrics || true; } | awk -v m="$1" 'index($0, m) == 1 {s += $NF} END {printf "%d", s}'; }

# thread_ticks PID: "NAME<TAB>TICKS" (utime + stime) for each of PID's thread names, digits dropped from the
# names so that a pool's threads add up (lvsd-check-1 and -2, "GC Thread#0" and "#1")
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    { printf '%s\t' "$(tr -d '\n' < "$t/comm")"; sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}'; } 2>/dev/null || true
  done | sed -E 's/[0-9]+\t/\t/; s/#\t/\t/' | awk -F'\t' 'NF == 2 {s[$1] += $2} END {for (k in s) print k "\t" s[k]}' | sort
}

# thread_split BEFORE AFTER: the thread names that used most CPU between two thread_ticks, with seconds
thread_split() {
  local hz; hz=$(getconf CLK_TCK)
  join -t "$(printf '\t')" -a 2 -e 0 -o 0,1.2,2.2 "$1" "$2" \
    | awk -F'\t' -v hz="$hz" '{d = $3 - $2; if (d > 0) printf "%s\t%.1f\n", $1, d / hz}' | sort -t "$(printf '\t')" -k2 -nr \
    | head -8 | awk -F'\t' '{printf "%s%s %s s", (NR > 1 ? ", " : ""), $1, $2}'
}

# measure NAME PIDS...: CPU seconds and peak RSS over DUR seconds
measure() {
  local name=$1; shift
  local hz; hz=$(getconf CLK_TCK)
  local t0 t1 u0 u1 peak=0 r i
  case "$name" in lvsd*) thread_ticks "$1" > "$out/threads0.txt";; esac
  t0=$(ticks 0 "$@"); u0=$(ticks 14 "$@")
  for ((i = 0; i < DUR; i++)); do
    sleep 1
    r=$(rss_kib "$@"); [ "$r" -gt "$peak" ] && peak=$r
  done
  t1=$(ticks 0 "$@"); u1=$(ticks 14 "$@")
  THREADS=""
  case "$name" in lvsd*) thread_ticks "$1" > "$out/threads1.txt"; THREADS=$(thread_split "$out/threads0.txt" "$out/threads1.txt");; esac
  CPU_S=$(awk -v a=$t0 -v b=$t1 -v hz=$hz 'BEGIN {printf "%.1f", (b - a) / hz}')
  USER_S=$(awk -v a=$u0 -v b=$u1 -v hz=$hz 'BEGIN {printf "%.1f", (b - a) / hz}')
  PEAK_MIB=$((peak / 1024))
  printf '%-10s CPU %6s s in %d s = %5.2f core(s) = %6.1f CPU s/min (user %s s, kernel %s s); peak RSS %d MiB\n' \
    "$name" "$CPU_S" "$DUR" "$(awk -v c=$CPU_S -v d=$DUR 'BEGIN {print c / d}')" \
    "$(awk -v c=$CPU_S -v d=$DUR 'BEGIN {print c * 60 / d}')" "$USER_S" \
    "$(awk -v c=$CPU_S -v u=$USER_S 'BEGIN {printf "%.1f", c - u}')" "$PEAK_MIB"
  [ -z "$THREADS" ] || echo "           by thread: $THREADS"
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
  ip netns exec hcb nft -f - <<'NFT'
table inet hcb {
  chain in {
    type filter hook input priority 0; policy accept;
    tcp flags & (syn | ack) == syn counter
  }
}
NFT
}

# syscalls NAME PIDS...: system calls of PIDS (all threads) over STRACE seconds, per probe seen meanwhile
syscalls() {
  local name=$1; shift
  SYSCALLS_PER_PROBE=-
  [ "$STRACE" -gt 0 ] || return 0
  local p args=() s0 s1
  for p in "$@"; do args+=(-p "$p"); done
  s0=$(seen)
  timeout -s INT "$STRACE" strace -c -f -q -o "$out/strace-$name.txt" "${args[@]}" 2>/dev/null || true
  s1=$(seen)
  local n=$((s1 - s0))
  if [ "$n" -le 0 ]; then printf '%-10s syscalls: no probes seen in the window\n' "$name"; return 0; fi
  # strace -c: "% time  seconds  usecs/call  calls  [errors]  syscall", then a "total" line
  local total top
  total=$(awk '$NF == "total" {print $4}' "$out/strace-$name.txt")
  top=$(awk -v n="$n" '$1 ~ /^[0-9.]+$/ && $NF != "total" {printf "%s %.2f\n", $NF, $4 / n}' "$out/strace-$name.txt" \
    | sort -k2 -nr | head -9 | tr '\n' ' ')
  SYSCALLS_PER_PROBE=$(awk -v t="$total" -v n="$n" 'BEGIN {printf "%.1f", t / n}')
  printf '%-10s syscalls per probe: %s (%d probes in %d s under strace): %s\n' "$name" "$SYSCALLS_PER_PROBE" "$n" \
    "$STRACE" "$top"
}

# run_farm NTCP NHTTP WHO: start targets and WHO (lvsd | lvsd-half | haproxy | keepalived) in namespace hcb,
# measure, count its syscalls, stop; a RESULT line to summary.txt
run_farm() {
  local ntcp=$1 nhttp=$2 who=$3 pids
  ulimit -n 65536 2>/dev/null || true
  netns_up
  ip netns exec hcb java -XX:+UseSerialGC -Xmx256m -cp "$cp" io.lvsd.bench.CheckTargets 20000 $((ntcp / PER)) 30000 $((nhttp / PER)) \
    > "$out/targets.log" 2>&1 &
  local tp=$!
  sleep 5
  local s0 s1 a0 a1 extra=""
  case "$who" in
  lvsd | lvsd-half)
    HALF=$([ "$who" = lvsd-half ] && echo 1 || echo 0) gen_lvsd "$out/hc-lvsd.conf" "$ntcp" "$nhttp"
    ip netns exec hcb env STATE_DIRECTORY="$out/hc-lvsd.state" LVSD_JAVA_OPTS="${LVSD_JAVA_OPTS:--Xms64m -Xmx256m}" "$lvsd" run -f "$out/hc-lvsd.conf" > "$out/hc-$who.log" 2>&1 &
    pids=$!
    local i
    for ((i = 0; i < 300; i++)); do # the JVM starts slowly under emulation
      ip netns exec hcb curl -sf http://127.0.0.1:9180/healthz >/dev/null 2>&1 && break
      sleep 1
    done
    sleep "$WARM"
    local r0 r1 down
    r0=$(metric lvsd_check_results_total); s0=$(seen); a0=$(accepted)
    measure "$who" $pids
    r1=$(metric lvsd_check_results_total); s1=$(seen); a1=$(accepted)
    down=$(metric 'lvsd_check_results_total{result="down"')
    extra="lvsd counted $(( (r1 - r0) / DUR )) probe results/s; down results since start: $down"
    ;;
  haproxy)
    gen_haproxy "$out/hc-haproxy.cfg" "$ntcp" "$nhttp"
    ip netns exec hcb haproxy -db -f "$out/hc-haproxy.cfg" > "$out/hc-haproxy.log" 2>&1 &
    pids=$!
    sleep "$WARM"
    s0=$(seen); a0=$(accepted)
    measure haproxy $pids
    s1=$(seen); a1=$(accepted)
    local downs; downs=$(grep -c -i "is DOWN" "$out/hc-haproxy.log" || true)
    extra="HAProxy logged $downs server(s) DOWN since its start"
    ;;
  keepalived)
    gen_keepalived "$out/hc-keepalived.conf" "$ntcp" "$nhttp"
    ip netns exec hcb keepalived -n -l -C -f "$out/hc-keepalived.conf" -p "$out/ka.pid" -c "$out/ka-check.pid" > "$out/hc-keepalived.log" 2>&1 &
    sleep "$WARM"
    pids=$(pgrep -d ' ' -f "keepalived -n -l -C -f $out/hc-keepalived.conf" || true)
    s0=$(seen); a0=$(accepted)
    # shellcheck disable=SC2086
    measure keepalived $pids
    s1=$(seen); a1=$(accepted)
    ;;
  esac
  report $((s1 - s0))
  echo "           the targets' applications accepted $(( (a1 - a0) / DUR )) connections/s"
  [ -n "$extra" ] && echo "           $extra"
  # shellcheck disable=SC2086
  syscalls "$who" $pids
  echo "RESULT $ntcp+$nhttp $who $(( (s1 - s0) / DUR )) $CPU_S $USER_S $PER_K $PEAK_MIB ${SYSCALLS_PER_PROBE:--} $(( (a1 - a0) / DUR ))" >> "$out/summary.txt"
  # shellcheck disable=SC2086
  kill $pids $tp 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del hcb
}

# table: the summary lines of this run as a Markdown table, with ratios against PEER (haproxy or keepalived)
table() {
  local peer=$1
  echo "| farm (TCP+HTTP) | checker | probes/s at the targets | accepted/s | CPU (cores) | user | kernel | CPU per probe (µs) | ratio to $peer | peak RSS (MiB) | syscalls per probe |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  # RESULT FARM WHO PROBES/S CPU_S USER_S CPU_S_PER_1000 PEAK_MIB SYSCALLS ACCEPTED/S; two passes: the peer's, then all
  awk -v dur="$DUR" -v peer="$peer" '
    NR == FNR {if ($1 == "RESULT" && $3 == peer) ref[$2] = $7; next}
    $1 == "RESULT" {
      r = ($2 in ref && ref[$2] > 0) ? sprintf("%.2f", $7 / ref[$2]) : "-"
      printf "| %s | %s | %d | %d | %.2f | %.2f | %.2f | %.1f | %s | %d | %s |\n", $2, $3, $4, $10, $5 / dur, $6 / dur,
        ($5 - $6) / dur, $7 * 1000, r, $8, $9
    }' "$out/summary.txt" "$out/summary.txt"
}

if [ "${1:-}" = "--guest" ]; then
  echo "== in the lab VM (qemu TCG): $VM_TCP TCP + $VM_HTTP HTTP real servers, ${DUR} s each, after ${WARM} s warm-up"
  : > "$out/summary.txt"
  for who in ${VM_WHO:-lvsd keepalived}; do run_farm "$VM_TCP" "$VM_HTTP" "$who"; done
  echo; echo "In the lab VM, $(date -u +%F):"; table keepalived
  exit 0
fi

trap 'ip netns del hcb 2>/dev/null || true' EXIT
if [ "${SKIP_HOST:-0}" != 1 ]; then
  : > "$out/summary.txt"
  for farm in ${FARMS:-10000:2000 2000:0}; do
    echo "== this machine: ${farm%%:*} TCP + ${farm#*:} HTTP real servers, ${DUR} s after ${WARM} s warm-up ($(nproc) CPUs)"
    for who in ${WHO:-lvsd lvsd-half haproxy}; do run_farm "${farm%%:*}" "${farm#*:}" "$who"; done
  done 2>&1 | tee "$out/host.txt"
  echo; echo "On this machine, $(date -u +%F), $(nproc) CPUs, haproxy $(haproxy -v | awk 'NR == 1 {print $3}'):"
  table haproxy | tee "$out/host-table.md"
fi

[ "${SKIP_VM:-0}" = 1 ] && exit 0
cat > "$out/hc-guest.sh" <<GUEST
PER=$PER STRACE=$STRACE VM_WARM=${VM_WARM:-60} VM_WHO="${VM_WHO:-lvsd keepalived}" bash $top/bench/healthcheck.sh --guest $DUR $VM_TCP $VM_HTTP
GUEST
share=""
case "$top" in /tmp/*) share="$top";; esac
LVSD_LAB_SHARE="$share" LVSD_LAB_TIMEOUT=$((3 * (${VM_WARM:-60} + DUR + 120) + 900)) "$top/lab/vm.sh" "$out/hc-guest.sh" "$out" || { cat "$out/guest.log"; exit 1; }
cat "$out/guest.log"
