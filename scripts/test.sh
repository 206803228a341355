#!/usr/bin/env bash
# Runs Hashi's whole test suite on a fresh Debian machine: installs what the
# tests need, builds the binary, vets, and runs every test (unit, fuzz seeds,
# end-to-end against the built binary) with the race detector.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh -short     skip the slow end-to-end scenarios
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive: mosquitto_pub/sub (e2e), mosquitto (the
# benchmark comparison), python3-stomp (STOMP e2e), activemq (its example
# configs are loader fixtures), openssl (certificates), iproute2 (regions),
# chromium (console browser tests).
PKGS=(mosquitto-clients mosquitto python3-stomp activemq openssl iproute2 ca-certificates chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "==> installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts mosquitto as a service on install; the tests start their own.
command -v systemctl >/dev/null && systemctl stop mosquitto 2>/dev/null || true

echo "==> go vet"
go vet ./...
echo "==> gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi

echo "==> build"
mkdir -p bin
go build -o bin/hashi ./cmd/hashi
export HASHI_BIN="$PWD/bin/hashi"

export HASHI_REQUIRE_DEPS=1
echo "==> go test -race"
go test -race -count=1 -timeout 20m "$@" ./...
