#!/usr/bin/env bash
# Re-records fixtures/ipp/wire/*.ipp (+ its README.md) and
# fixtures/ipp/ippeveprinter-gpa-all.json from real peers on loopback:
# a private D-Bus, a fresh ippeveprinter, and scripts/record-ipp-fixtures.py
# (a logging proxy that drives ipptool and the CUPS ipp backend through it).
# Needs scripts/install-peers.sh first. Usage: scripts/record-ipp-fixtures.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS_DIR="${PAPERJAM_PEERS_DIR:-$REPO/target/peers}"
BACKEND="$PEERS_DIR/cups-root/usr/lib/cups/backend/ipp"
for tool in ipptool ippeveprinter dbus-daemon python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/install-peers.sh" >&2; exit 1; }
done
[ -x "$BACKEND" ] || { echo "$BACKEND not found: run scripts/install-peers.sh" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Private system bus (ippeveprinter needs one even with -r off), see PEERS.md.
sed -e "s|<listen>.*</listen>|<listen>unix:path=$work/system_bus_socket</listen>|" \
    -e '/<user>/d' -e '/<pidfile>/d' /usr/share/dbus-1/system.conf > "$work/system.conf"
dbus-daemon --config-file="$work/system.conf" --nofork >"$work/dbus.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do [ -S "$work/system_bus_socket" ] && break; sleep 0.1; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$work/system_bus_socket"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$work/spool"
ippeveprinter -p "$port" -r off -n localhost -k -d "$work/spool" -c /bin/true -2 \
  -f application/pdf,image/jpeg,image/pwg-raster,image/urf "Peer" >"$work/ippeveprinter.log" 2>&1 &
pids+=("$!")
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

python3 "$REPO/scripts/record-ipp-fixtures.py" --printer-port "$port" --repo "$REPO" --backend "$BACKEND"
ls -l "$REPO/fixtures/ipp/wire" "$REPO/fixtures/ipp/ippeveprinter-gpa-all.json"
