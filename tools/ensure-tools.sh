#!/usr/bin/env bash
# Installs the non-npm tools the tests use, once per machine; a no-op when they are present.
# `.ci/run` and the workflows call it (as root); `npm test` never does: without these tools the
# tests that need them skip with a notice, and with CI=true they fail instead (test/helpers/tools.ts).
# - shellcheck: tests lint every shell script cloud-init runs.
# - Debian's cloud-init schema: tests validate rendered user-data against it. The schema is data,
#   so `apt-get download` + `dpkg -x` into .cache/ instead of installing cloud-init (whose install
#   scripts would enable services on this machine). It is the cloud-init of the release the servers
#   run (Debian 13 "trixie", the `debian-13` image), whatever release this machine runs: a private
#   apt configuration (its own sources list and package lists under a temp dir) reads trixie's
#   index without touching the machine's apt state. The pinned version is the one the tests were
#   last checked against; when a trixie point release replaces it on the mirror, trixie's current
#   version is used (and printed) instead.
# - nftables: test/hardening.test.ts checks the host guard's rules with `nft -c` (as a non-root user inside
#   `unshare -rn`, a user namespace: test/helpers/tools.ts).
# - jq and openssl: test/runbooks.test.ts runs the runbooks' jq filters on the planned outputs and
#   their agent-token derivation.
# - redis-tools and git: `npm run test:gitops` runs Argo CD's Redis and serves the tenants' Git
#   repositories locally (docs/gitops-tests.md); the repo server runs git. Debian's Redis server
#   binary ships in redis-tools (as redis-check-rdb; the redis-server package only adds the
#   `redis-server` name and a system service, which a test machine does not want running).
# - python3: test/installer.test.ts runs the bootstrap's installer step, which unpacks a zip with it.
set -euo pipefail
cd "$(dirname "$0")/.."
schema=.cache/cloud-init/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json
cloud_init_release=trixie
cloud_init_version=25.1.4-1+deb13u1 # checked 2026-11-30: trixie's cloud-init (deb.debian.org trixie main)
stamp=.cache/cloud-init/.debian-release
# A schema from another release (an older cache) is replaced.
if [ -f "$schema" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$cloud_init_release" ]; then rm -rf .cache/cloud-init; fi
need_shellcheck=0
command -v shellcheck >/dev/null 2>&1 || need_shellcheck=1
missing_pkgs=()
command -v jq >/dev/null 2>&1 || missing_pkgs+=(jq)
command -v openssl >/dev/null 2>&1 || missing_pkgs+=(openssl)
command -v python3 >/dev/null 2>&1 || missing_pkgs+=(python3)
# nft: tests check the host guard's rules with `nft -c` (parses and validates, loads nothing).
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || missing_pkgs+=(nftables)
[ -x /usr/bin/redis-check-rdb ] || missing_pkgs+=(redis-tools)
command -v git >/dev/null 2>&1 || missing_pkgs+=(git)
[ "$need_shellcheck" = 0 ] && [ -f "$schema" ] && [ "${#missing_pkgs[@]}" = 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "ensure-tools: need shellcheck, jq, openssl, python3, nftables, redis-tools, git and Debian's cloud-init schema; install them as root with apt (run: sudo bash tools/ensure-tools.sh)" >&2
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
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
  keyring=/usr/share/keyrings/debian-archive-$cloud_init_release-stable.gpg
  [ -f "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  echo "deb [signed-by=$keyring] http://deb.debian.org/debian $cloud_init_release main" >"$tmp/sources.list"
  apt_private=(-o "Dir::Etc::sourcelist=$tmp/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$tmp/lists"
    -o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
  apt-get "${apt_private[@]}" update -qq >/dev/null
  (cd "$tmp/deb" && apt-get "${apt_private[@]}" download -qq "cloud-init=$cloud_init_version" >/dev/null 2>&1) || {
    now=$(apt-cache "${apt_private[@]}" policy cloud-init | sed -n 's/^  Candidate: //p')
    echo "ensure-tools: cloud-init $cloud_init_version is no longer in $cloud_init_release; using $now (update cloud_init_version)" >&2
    (cd "$tmp/deb" && apt-get "${apt_private[@]}" download -qq "cloud-init=$now" >/dev/null)
  }
  mkdir -p .cache/cloud-init
  dpkg -x "$tmp"/deb/cloud-init_*.deb .cache/cloud-init
  echo "$cloud_init_release" >"$stamp"
  rm -rf "$tmp"
fi
echo "ensure-tools: shellcheck $(shellcheck --version | sed -n 's/^version: //p'); $cloud_init_release cloud-init schema at $schema"
