#!/usr/bin/env bash
# lvsd kernel lab: boot a throw-away VM whose kernel has IPVS and run one script in it.
#
# The build machines' kernel has no IPVS, so every test that needs the real IPVS table runs in
# a VM: Debian's stock kernel (ip_vs, its schedulers, ipip, veth, bridge, nf_tables as modules) under
# qemu's software emulation, with this machine's root filesystem shared read-only over 9p.
# The guest therefore runs this machine's own java, ipvsadm, keepalived, tcpdump, ip. Inside,
# /tmp and /run are fresh tmpfs; OUTDIR is shared read-write and is the only way results
# come back. Nothing in the guest can reach any network but its own namespaces: qemu gets no
# network device at all.
#
# Usage: lab/vm.sh SCRIPT OUTDIR
#   SCRIPT  a shell script on this machine, run as root in the guest (copied into OUTDIR)
#   OUTDIR  absolute path of a directory on this machine; the guest sees it at the same path
# Environment:
#   LVSD_LAB_SHARE    more absolute paths, space-separated, shared read-only at the same path;
#                     needed for anything under /tmp, which the guest replaces with a tmpfs
#   LVSD_LAB_CACHE    kernel and initramfs cache (default /var/cache/lvsd-lab)
#   LVSD_LAB_TIMEOUT  seconds before the VM is killed (default 3000: the controller's 19 lab scenarios take
#                     about 40 min on a quiet host, the reload matrix and the HA pair most of it)
#   LVSD_LAB_MEM      guest memory in MiB (default 3072)
#   LVSD_LAB_CPU      qemu CPU model (default Nehalem: SSE4.2, no AVX; with "max", JIT-compiled
#                     Java code crashed now and then under qemu 7.2's young AVX emulation)
#   LVSD_LAB_TCG_THREAD  qemu's TCG threading (default multi: one host thread per vCPU, so the
#                     guest's two vCPUs use both host cores; measured in one VM boot each, the
#                     same script: `lvsd check-config` 18.9-22.2 s with "single", 12.2-12.8 s with
#                     "multi", two at once 53.5 s against 19.0 s, the whole boot 121 s against 74 s.
#                     A lone shell loop is slower with multi, 6.7 s against 10.1 s; JVMs are not.
#                     Those JVMs used both vCPUs; each is now held to one (the guest's java below),
#                     so multi gains where two or more programs run at once)
# Exit code: the script's exit code, 124 on timeout, 125 when the VM did not report one.
set -euo pipefail

script=${1:?usage: lab/vm.sh SCRIPT OUTDIR}
out=${2:?usage: lab/vm.sh SCRIPT OUTDIR}
cache=${LVSD_LAB_CACHE:-/var/cache/lvsd-lab}
case "$script$out" in *" "*) echo "lab: paths must not contain spaces" >&2; exit 2;; esac
[ -f "$script" ] || { echo "lab: no script $script" >&2; exit 2; }
case "$out" in /*) ;; *) echo "lab: OUTDIR must be absolute" >&2; exit 2;; esac
mkdir -p "$cache" "$out"
cp "$script" "$out/guest-script.sh"
shares=(${LVSD_LAB_SHARE:-})
[ "${#shares[@]}" -le 4 ] || { echo "lab: at most 4 paths in LVSD_LAB_SHARE" >&2; exit 2; }

have() { command -v "$1" >/dev/null 2>&1; }
if ! have qemu-system-x86_64 || ! have cpio || ! have depmod || [ ! -x /bin/busybox ]; then
  echo "lab: installing qemu-system-x86 busybox-static cpio kmod" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 busybox-static cpio kmod >/dev/null
fi

# The kernel: whatever Debian's linux-image-amd64 depends on today, unpacked and cached.
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$cache/kernel.version" ]; then
  echo "lab: fetching Debian's kernel package" >&2
  apt-get update -qq || true
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || { echo "lab: cannot find the kernel package behind linux-image-amd64" >&2; exit 1; }
  rm -rf "$cache/root" "$cache"/*.deb "$cache"/initrd-*.gz
  chmod 755 "$cache"   # apt-get download runs as _apt where it can
  (cd "$cache" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg-deb -x ./*.deb root && rm -f ./*.deb)
  kver=$(ls "$cache/root/lib/modules")
  depmod -b "$cache/root" "$kver"
  echo "$kver" > "$cache/kernel.version"
fi
kver=$(cat "$cache/kernel.version")
moddir="$cache/root/lib/modules/$kver"

# The initramfs: static busybox, the modules in dependency order, and our init. Its name
# carries this script's hash, so editing the script rebuilds it.
initrd="$cache/initrd-$(sha1sum "$0" | cut -c1-12).gz"
if [ ! -f "$initrd" ]; then
  tree="$cache/initrd"
  rm -rf "$tree"; mkdir -p "$tree"/{bin,mods,proc,sys,dev,host}
  cp /bin/busybox "$tree/bin/"
  for app in sh mount insmod sed cat chroot poweroff mkdir chmod; do ln -sf busybox "$tree/bin/$app"; done
  declare -a ordered=()
  want() {
    local m=$1 dep
    for dep in $(awk -F': *' -v m="$m" '$1 == m {print $2}' "$moddir/modules.dep"); do want "$dep"; done
    case " ${ordered[*]-} " in *" $m "*) ;; *) ordered+=("$m");; esac
  }
  # libcrc32c finds its implementation through the crypto API (a soft dependency): load it first.
  for m in $(cd "$moddir" && ls kernel/crypto/crc32c_generic.ko* kernel/drivers/virtio/virtio_pci.ko* kernel/net/9p/9pnet_virtio.ko* kernel/fs/9p/9p.ko* \
      kernel/net/netfilter/ipvs/*.ko* kernel/net/ipv4/ipip.ko* kernel/net/ipv6/ip6_tunnel.ko* kernel/net/ipv4/gre.ko* \
      kernel/net/ipv4/fou.ko* kernel/net/ipv6/fou6.ko* kernel/net/ipv4/ip_gre.ko* kernel/net/ipv6/ip6_gre.ko* \
      kernel/drivers/net/macvlan.ko* kernel/drivers/net/veth.ko* kernel/drivers/net/dummy.ko* kernel/net/bridge/bridge.ko* \
      kernel/net/packet/af_packet.ko* kernel/drivers/net/nlmon.ko* kernel/net/netfilter/nf_tables.ko* 2>/dev/null); do
    want "$m"
  done
  n=0
  for m in "${ordered[@]}"; do
    n=$((n + 1)); f="$moddir/$m"
    case "$f" in
      *.ko.xz) xz -dc "$f" > "$tree/mods/$(printf %03d "$n")_$(basename "$f" .xz)";;
      *.ko.zst) zstd -qdc "$f" > "$tree/mods/$(printf %03d "$n")_$(basename "$f" .zst)";;
      *) cp "$f" "$tree/mods/$(printf %03d "$n")_$(basename "$f")";;
    esac
  done
  # Every JVM in the guest runs on one vCPU, the one with the fewest JVMs (this wrapper comes first in PATH, so the
  # launcher's `java`, the tests' and the benches' all come here; its children find it too). With
  # multi-threaded TCG, a JVM spread over both vCPUs crashed now and then (SIGSEGV at the entry of
  # fresh C1 code: a CI run's director, twice a bench's; never seen with thread=single): HotSpot
  # patches code that another of its threads may be running (nmethod entries made not entrant, inline
  # caches), which real x86 keeps coherent; that qemu 7.2's TCG does not across vCPUs is our suspicion,
  # from where and when it crashed. On one vCPU a JVM's writes and execution are one host thread's, as
  # with thread=single. Two JVMs still use both vCPUs. What a pinned JVM starts (keepalived, BIRD,
  # tcpdump) inherits its vCPU.
  cat > "$tree/java" <<'JAVA'
#!/bin/sh
real=$(PATH=${PATH#/run/lvsd-lab/bin:}; command -v java)
[ -n "$real" ] && [ "$real" != /run/lvsd-lab/bin/java ] || { echo "lab: no java in PATH after the lab's" >&2; exit 127; }
n=$(nproc --all 2>/dev/null) || n=1
# Inherited from a pinned parent (a JVM starting another), this process and its forks, all named java,
# would count as a JVM on that vCPU: first back to every vCPU, so that only JVMs count.
taskset -pc "0-$((n - 1))" $$ >/dev/null 2>&1
{
  flock 9   # one choice at a time, each visible (this process, named java, pinned) to the next
  cpu=$(cat /proc/[0-9]*/status 2>/dev/null | awk -v n="$n" '
    /^Name:/ { java = ($2 == "java") }
    /^Cpus_allowed_list:/ && java && $2 ~ /^[0-9]+$/ { jvms[$2]++ }
    END { best = n - 1; for (i = n - 2; i >= 0; i--) if (jvms[i] + 0 < jvms[best] + 0) best = i; print best }')
  taskset -pc "$cpu" $$ >/dev/null 2>&1 || echo "lab: could not pin this JVM to vCPU '$cpu'" >&2
} 9</run/lvsd-lab/cpu.lock   # made by init, read-only: a JVM run as nobody takes the lock too
exec "$real" "$@"
JAVA
  chmod +x "$tree/java"
  cat > "$tree/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in /mods/*; do insmod "$m" 2>/dev/null; done
arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot /host
for d in proc sys dev; do mount --bind /$d /host/$d; done
mount -t tmpfs tmp /host/tmp; mount -t tmpfs run /host/run
mkdir -p /host/run/lvsd-lab/bin; cat /java > /host/run/lvsd-lab/bin/java; chmod 755 /host/run/lvsd-lab/bin/java
: > /host/run/lvsd-lab/cpu.lock; chmod 644 /host/run/lvsd-lab/cpu.lock
out=$(arg out); run=$(arg run)
i=0
for p in $(arg shares | sed 's/,/ /g'); do
  mkdir -p "/host$p" 2>/dev/null
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose share$i "/host$p"
  i=$((i + 1))
done
# OUTDIR last: it may lie inside a read-only share (a checkout under /tmp).
mkdir -p "/host$out" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L out "/host$out"
# The host's tree becomes the root (as switch_root does: moved onto /, then entered), not a chroot: the kernel
# refuses a chrooted process a new user namespace, which lvsd's probe namespace (check.through-vip) makes.
cd /host && mount --move . / && exec chroot . /bin/sh -c "export PATH=/run/lvsd-lab/bin:\${PATH:-/usr/sbin:/usr/bin:/sbin:/bin}; ip link set lo up; mkdir -p /run/netns; cd /tmp && sh $run > $out/guest.log 2>&1; echo \$? > $out/guest.rc; echo o > /proc/sysrq-trigger; sleep 60"
poweroff -f
INIT
  chmod +x "$tree/init"
  rm -f "$cache"/initrd-*.gz
  (cd "$tree" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$initrd")
fi
flock -u 9

share_args=()
for i in "${!shares[@]}"; do
  share_args+=(-virtfs "local,path=${shares[$i]},mount_tag=share$i,security_model=none,readonly=on,multidevs=remap")
done
rm -f "$out/guest.rc" "$out/guest.log"
set +e
timeout "${LVSD_LAB_TIMEOUT:-3000}" qemu-system-x86_64 -accel "tcg,thread=${LVSD_LAB_TCG_THREAD:-multi}" -cpu "${LVSD_LAB_CPU:-Nehalem}" -smp 2 -m "${LVSD_LAB_MEM:-3072}" \
  -nographic -no-reboot -nic none \
  -kernel "$cache/root/boot/vmlinuz-$kver" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 out=$out run=$out/guest-script.sh shares=$(IFS=,; echo "${shares[*]-}")" \
  "${share_args[@]}" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$out",mount_tag=out,security_model=none > "$out/console.log" 2>&1
qrc=$?
set -e
[ "$qrc" -eq 124 ] && { echo "lab: the VM timed out after ${LVSD_LAB_TIMEOUT:-3000} s" >&2; exit 124; }
[ -f "$out/guest.rc" ] || { echo "lab: the VM did not report an exit code (qemu exit $qrc); see $out/console.log" >&2; exit 125; }
exit "$(cat "$out/guest.rc")"
