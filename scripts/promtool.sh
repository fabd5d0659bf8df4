#!/usr/bin/env bash
# scripts/promtool.sh: prints the path of a promtool binary, fetching it if missing.
#
# The Prometheus alerting rules under deploy/prometheus are checked and unit-tested with
# promtool (make test). In order, the first that exists is used:
#   $PROMTOOL, promtool on PATH, $ETL_CACHE_DIR/promtool/promtool
#   (ETL_CACHE_DIR defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/etl).
# Otherwise Debian's prometheus package is downloaded with `apt-get download` (verified by apt
# against the signed index) and only usr/bin/promtool is extracted into that cache. The package
# is not installed: its postinst starts a Prometheus server as a system service (invoke-rc.d or
# systemd), and the tests need a binary, not a server. No root is needed, except for an
# `apt-get update` (with sudo when not root) when apt does not know the package yet.
set -euo pipefail

die() { echo "promtool.sh: error: $*" >&2; exit 1; }
note() { echo "promtool.sh: $*" >&2; }

usable() { [[ -x $1 ]] && "$1" --version >/dev/null 2>&1; }

if [[ -n ${PROMTOOL:-} ]]; then
	usable "$PROMTOOL" || die "PROMTOOL=$PROMTOOL does not run: unset it, or point it at a promtool binary"
	echo "$PROMTOOL"
	exit 0
fi
if p=$(command -v promtool 2>/dev/null) && usable "$p"; then
	echo "$p"
	exit 0
fi
cache="${ETL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/etl}/promtool"
if usable "$cache/promtool"; then
	echo "$cache/promtool"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "promtool not found and apt-get is missing: install Prometheus's promtool (https://prometheus.io/download/) and put it on PATH or in PROMTOOL"
command -v dpkg-deb >/dev/null 2>&1 || die "promtool not found and dpkg-deb is missing: install promtool by hand and set PROMTOOL"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt's sandbox user may not enter a private temp dir: let it, so the download stays sandboxed.
chmod 755 "$tmp"
log="$tmp/apt.log"
download() { (cd "$tmp" && apt-get -q download prometheus) >>"$log" 2>&1; }
note "fetching promtool from Debian's prometheus package (apt-get download; not installed, no service)"
if ! download; then
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || { tail -n 5 "$log" >&2; die "apt-get download prometheus failed and this is not root (no sudo) to run apt-get update"; }
		sudo=(sudo)
	fi
	note "apt-get update, then downloading again"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >>"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "apt-get update failed"; }
	download || { tail -n 20 "$log" >&2; die "apt-get download prometheus failed"; }
fi
deb=$(ls "$tmp"/prometheus_*.deb 2>/dev/null | head -n1)
[[ -n $deb ]] || die "apt-get download left no prometheus_*.deb"
mkdir -p "$cache"
part=$(mktemp "$cache/.promtool.XXXXXX")
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/promtool >"$part" ||
	{ rm -f "$part"; die "could not extract usr/bin/promtool from $(basename "$deb")"; }
chmod 755 "$part"
mv "$part" "$cache/promtool"
usable "$cache/promtool" || die "$cache/promtool from $(basename "$deb") does not run"
note "$("$cache/promtool" --version 2>&1 | head -n1) in $cache"
echo "$cache/promtool"
