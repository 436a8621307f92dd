#!/bin/sh
# Stages what the Debian package needs besides the distribution, for jdeb (the deb profile of
# controller/pom.xml):  prepare.sh <controller dir> <build dir> <project version>
#   <build>/deb/control/   the control files with the package version filled in
#   <build>/deb/root/      the unit with packaged paths, the man pages, changelog, copyright,
#                          lintian overrides: laid out as they install
# Man pages and changelogs are compressed with gzip -9n, as Debian policy asks (no name or
# time stamp in the header, so the package is reproducible).
set -eu
src="$1/src/deb"
build="$2"
# Debian versions sort "~" before anything: 0.1.0~SNAPSHOT < 0.1.0, as a snapshot should.
version=$(printf '%s' "$3" | sed 's/-/~/g')
out="$build/deb"
rm -rf "$out"
mkdir -p "$out/control" "$out/root/usr/share/doc/lvsd" "$out/root/usr/share/man/man1" \
  "$out/root/lib/systemd/system" "$out/root/usr/share/lintian/overrides"

for f in control conffiles postinst prerm postrm; do
  sed "s/@VERSION@/$version/g" "$src/control/$f" > "$out/control/$f"
done
chmod 0755 "$out/control/postinst" "$out/control/prerm" "$out/control/postrm"

# The distribution's unit names /opt/lvsd; the package installs the launcher as /usr/bin/lvsd.
sed -e 's|/opt/lvsd/bin/lvsd|/usr/bin/lvsd|g' \
    -e 's|^Documentation=.*|Documentation=man:lvsd(1) man:lvsd-run(1) file:/usr/share/doc/lvsd/README.md|' \
    -e '/^# systemd unit for lvsd\. Install/,/^#   systemctl reload lvsd/c\
# systemd unit for lvsd, installed by its Debian package. Write /etc/lvsd/lvsd.conf, check it\
# with "lvsd check-config -f /etc/lvsd/lvsd.conf", then: systemctl enable --now lvsd\
#   systemctl reload lvsd      # SIGHUP: re-read, validate, apply the difference' \
    "$1/../systemd/lvsd.service" > "$out/root/lib/systemd/system/lvsd.service"
if grep -q /opt/ "$out/root/lib/systemd/system/lvsd.service"; then
  echo "prepare.sh: the packaged unit still names /opt" >&2; exit 1
fi

# The drop-in for vrrp.realtime-priority, as an example the operator copies to /etc/systemd/system/lvsd.service.d/.
mkdir -p "$out/root/usr/share/doc/lvsd/examples/lvsd.service.d"
sed 's|/opt/lvsd/systemd/lvsd.service.d/realtime.conf|/usr/share/doc/lvsd/examples/lvsd.service.d/realtime.conf|' \
  "$1/../systemd/lvsd.service.d/realtime.conf" > "$out/root/usr/share/doc/lvsd/examples/lvsd.service.d/realtime.conf"

stamp=$(date -u -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")
sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$stamp/g" "$src/changelog" | gzip -9n > "$out/root/usr/share/doc/lvsd/changelog.gz"
cp "$src/copyright" "$out/root/usr/share/doc/lvsd/copyright"
cp "$1/../README.md" "$out/root/usr/share/doc/lvsd/README.md"
cp "$src/lintian-overrides" "$out/root/usr/share/lintian/overrides/lvsd"

man="$build/generated-man"
count=0
for page in "$man"/*.1; do
  [ -e "$page" ] || break
  gzip -9n < "$page" > "$out/root/usr/share/man/man1/$(basename "$page").gz"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "prepare.sh: no man pages in $man" >&2; exit 1; }
echo "prepare.sh: staged lvsd $version with $count man pages in $out"
