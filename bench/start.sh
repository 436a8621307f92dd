#!/usr/bin/env bash
# Start time of lvsd's short commands, with and without its class-data-sharing archive, on this
# machine and (unless --host-only) in the kernel lab VM: version, check-config of a shipped
# example, ipvs list. Each command's archive is made first (its first run), then the two modes
# alternate, RUNS runs each (default 10); prints medians, min and max in ms. Needs root for the VM.
#   bench/start.sh [--host-only] [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
host_only=""; [ "${1:-}" = --host-only ] && { host_only=1; shift; }
runs=${1:-10}
lvsd="$top/controller/target/lvsd/lvsd/bin/lvsd"
[ -x "$lvsd" ] || (cd "$top" && mvn -q -DskipTests -Dlvsd.deb.skip package)
out="$top/bench/out"; mkdir -p "$out"
cat > "$out/start-guest.sh" <<GUEST
#!/bin/sh
# Times each command RUNS times per mode; one line per command and mode: median min max (ms).
lvsd=$lvsd
runs=$runs
export LVSD_CDS_DIR=\$(mktemp -d)
cd $top
for cmd in "version" "check-config -f etc/examples/lvs-dr.conf" "ipvs list"; do
  \$lvsd \$cmd >/dev/null 2>&1 || true   # makes the command's archive
  for mode in off on; do
    times=""
    i=0
    while [ \$i -lt \$runs ]; do
      t0=\$(date +%s%N); LVSD_CDS=\$mode \$lvsd \$cmd >/dev/null 2>&1 || true; t1=\$(date +%s%N)
      times="\$times \$(( (t1 - t0) / 1000000 ))"
      i=\$((i + 1))
    done
    set -- \$(printf '%s\n' \$times | sort -n)
    n=\$#; med=\$(printf '%s\n' "\$@" | sed -n "\$(( (n + 1) / 2 ))p")
    first=\$1; eval last=\\\${\$n}
    printf 'lvsd %-40s cds %-3s median %6d ms  min %6d  max %6d  (%d runs)\n' "\$cmd" "\$mode" "\$med" "\$first" "\$last" "\$n"
  done
done
rm -rf "\$LVSD_CDS_DIR"
GUEST
echo "== this machine ($(nproc) CPUs, $(uname -r))"
sh "$out/start-guest.sh"
if [ -z "$host_only" ]; then
  echo "== lab VM (Debian's kernel under qemu TCG)"
  share=""
  case "$top" in /tmp/*) share="$top";; esac
  LVSD_LAB_SHARE="$share" "$top/lab/vm.sh" "$out/start-guest.sh" "$out" > "$out/start-vm.log" 2>&1 \
    || { cat "$out/start-vm.log"; cat "$out/guest.log" 2>/dev/null; exit 1; }
  cat "$out/guest.log"
fi
