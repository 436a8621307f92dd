#!/usr/bin/env bash
# IPVS load benchmark in the kernel lab VM: ipvsadm -R vs lvsd ipvs restore vs lvsd's in-process
# apply at 10,000 and 50,000 destinations, alternating, 5 runs each; then the reconcile of one
# weight change. Prints the figures and writes them to bench/out/ipvs-bench.md. Needs root.
#   bench/ipvs.sh          IPVS_BENCH_PER="100" for 10,000 only (destinations per service, 100 services)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
command -v ipvsadm >/dev/null || { apt-get update -qq && apt-get install -y -qq ipvsadm >/dev/null; }
(cd "$top" && mvn -q -DskipTests package)
out="$top/bench/out"; mkdir -p "$out"
cat > "$out/guest.sh" <<GUEST
cd $top
# lvsd's class-data-sharing archives in the guest's tmpfs (the host tree is read-only there): the first restore
# makes one, the others use it.
export LVSD_CDS_DIR=\$(mktemp -d)
export IPVS_BENCH_PER="${IPVS_BENCH_PER:-100 500}"
java -XX:+UseSerialGC -cp "bench/target/bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" io.lvsd.bench.IpvsBench $out $top/controller/target/lvsd/lvsd/bin/lvsd
GUEST
share=""
case "$top" in /tmp/*) share="$top";; esac
LVSD_LAB_SHARE="$share" LVSD_LAB_TIMEOUT=3000 "$top/lab/vm.sh" "$out/guest.sh" "$out" || { cat "$out/guest.log"; exit 1; }
cat "$out/guest.log"
