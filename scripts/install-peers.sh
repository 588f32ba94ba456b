#!/usr/bin/env bash
# Installs the real IPP peers that tests/interop runs against, on Debian 12:
#   - Debian packages: cups-ipp-utils (ipptool, ippeveprinter), ghostscript, lprng
#     (lpr, lpq, lprm against the LPD front end), socat (raw 9100 client),
#     dbus (a private system bus for ippeveprinter), wrk, python3, snmp and
#     snmpd (net-snmp managers, and snmpd as a target), iproute2 (network
#     namespaces where the virtual printer owns UDP 161), avahi-daemon and
#     avahi-utils (an mDNS/DNS-SD peer: avahi-browse, avahi-publish),
#     python3-zeroconf (a second, independent DNS-SD client) and openssl
#     (s_client: the TLS versions and certificates the printers offer);
#   - the CUPS backends (ipp, lpd, socket, snmp) WITHOUT installing cupsd:
#     `apt-get download cups cups-daemon` + `dpkg -x` into
#     ${PAPERJAM_PEERS_DIR:-$REPO/target/peers}/cups-root.
# Idempotent: packages already installed and backends already extracted are
# skipped. Needs root (as on CI and the developers' machines).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS_DIR="${PAPERJAM_PEERS_DIR:-$REPO/target/peers}"
CUPS_ROOT="$PEERS_DIR/cups-root"
PACKAGES=(cups-ipp-utils ghostscript dbus wrk python3 lprng socat snmp snmpd iproute2 avahi-daemon avahi-utils python3-zeroconf openssl)
export DEBIAN_FRONTEND=noninteractive

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo)
fi

installed=()
apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    "${SUDO[@]}" apt-get update -q
    apt_updated=1
  fi
}

# 1. Debian packages that are not installed yet.
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  installed+=("${missing[@]}")
fi

# 2. The CUPS backends, extracted (not installed: no cupsd runs).
backends=(
  "$CUPS_ROOT/usr/lib/cups/backend/ipp"
  "$CUPS_ROOT/usr/lib/cups/backend-available/lpd"
  "$CUPS_ROOT/usr/lib/cups/backend-available/socket"
  "$CUPS_ROOT/usr/lib/cups/backend-available/snmp"
)
have_backends=1
for b in "${backends[@]}"; do
  [ -x "$b" ] || have_backends=0
done
if [ "$have_backends" -eq 0 ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # apt-get download needs package lists; an empty cache means a fresh machine.
  if ! apt-cache show cups-daemon >/dev/null 2>&1; then
    apt_update_once
  fi
  # Same version as the installed libcups2, so the backends link against it.
  version="$(dpkg-query -W -f='${Version}' libcups2 2>/dev/null || true)"
  specs=(cups cups-daemon)
  if [ -n "$version" ]; then
    specs=("cups=$version" "cups-daemon=$version")
  fi
  # _apt cannot write into a root-owned mktemp dir; make it world-writable.
  chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -q "${specs[@]}" 2>&1) \
    || { apt_update_once; (cd "$tmp" && apt-get download -q "${specs[@]}"); }
  mkdir -p "$CUPS_ROOT"
  for deb in "$tmp"/*.deb; do
    dpkg -x "$deb" "$CUPS_ROOT"
    installed+=("$(basename "$deb") -> $CUPS_ROOT")
  done
  for b in "${backends[@]}"; do
    [ -x "$b" ] || { echo "install-peers: $b missing after extraction" >&2; exit 1; }
  done
fi

if [ "${#installed[@]}" -eq 0 ]; then
  echo "install-peers: nothing to do (packages installed, backends in $CUPS_ROOT)"
else
  echo "install-peers: installed:"
  printf '  %s\n' "${installed[@]}"
fi
for tool in ipptool ippeveprinter gs dbus-daemon wrk; do
  printf 'install-peers: %-14s %s\n' "$tool" "$(command -v "$tool" || echo MISSING)"
done
echo "install-peers: CUPS backends in $CUPS_ROOT/usr/lib/cups/{backend,backend-available}"
