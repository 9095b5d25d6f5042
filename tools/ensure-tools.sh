#!/usr/bin/env bash
# Installs the non-npm tools the tests use, once per machine; a no-op when they are present.
# `.ci/run` and the workflows call it (as root); `npm test` never does: without these tools the
# tests that need them skip with a notice, and with CI=true they fail instead (test/helpers/tools.ts).
# - shellcheck: tests lint every shell script cloud-init runs.
# - Debian's cloud-init schema: tests validate rendered user-data against it. The schema is data,
#   so `apt-get download` + `dpkg -x` into .cache/ instead of installing cloud-init (whose install
#   scripts would enable services on this machine).
# - nftables: test/site.test.ts checks the host guard's rules with `nft -c`.
# - jq and openssl: test/runbooks.test.ts runs the runbooks' jq filters on the planned outputs and
#   their agent-token derivation.
set -euo pipefail
cd "$(dirname "$0")/.."
schema=.cache/cloud-init/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json
need_shellcheck=0
command -v shellcheck >/dev/null 2>&1 || need_shellcheck=1
missing_pkgs=()
command -v jq >/dev/null 2>&1 || missing_pkgs+=(jq)
command -v openssl >/dev/null 2>&1 || missing_pkgs+=(openssl)
# nft: tests check the host guard's rules with `nft -c` (parses and validates, loads nothing).
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || missing_pkgs+=(nftables)
[ "$need_shellcheck" = 0 ] && [ -f "$schema" ] && [ "${#missing_pkgs[@]}" = 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "ensure-tools: need shellcheck, jq, openssl, nftables and Debian's cloud-init schema; install them as root with apt (run: sudo bash tools/ensure-tools.sh)" >&2
  exit 1
fi
apt-get update -qq >/dev/null
if [ "$need_shellcheck" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
if [ "${#missing_pkgs[@]}" != 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
fi
if [ ! -f "$schema" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq cloud-init >/dev/null)
  mkdir -p .cache/cloud-init
  dpkg -x "$tmp"/cloud-init_*.deb .cache/cloud-init
  rm -rf "$tmp"
fi
echo "ensure-tools: shellcheck $(shellcheck --version | sed -n 's/^version: //p'); cloud-init schema at $schema"
