#!/usr/bin/env bash
# Builds Argo CD (one multicall binary: application controller, repo server, git ask-pass) and the
# Helm that Argo CD release ships, from the Go module proxy, into a cache outside the repository
# keyed by the Argo CD version: ${XDG_CACHE_HOME:-~/.cache}/video-platform/argocd/<version>/bin.
# The version is the platform's one Argo CD pin (components/versions.ts CRD_SOURCES.argocd: the
# chart, the CRDs and this build move together); this directory's go.mod must require exactly it
# (`npm run argocd:gomod` regenerates go.mod, helm/go.mod and both go.sum files from the pin).
# Also puts upstream's hack/git-verify-wrapper.sh, gpg-wrapper.sh and git-ask-pass.sh, taken from
# the argo-cd module at that version, next to the binaries: the repo server runs them from PATH
# (its container image copies them to /usr/local/bin) and fails every manifest request without them.
# Argo CD's own manifests for the two components (manifests/base/...) go to <cache>/manifests: the
# harness reads from them which argocd-cm / argocd-cmd-params-cm key sets which environment variable.
# A no-op when the cache was built from the same inputs (stamp file). Prints the bin directory on
# stdout; progress (what is built, elapsed seconds, packages compiled) goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
say() { echo "argocd/build.sh: $*" >&2; }

command -v go >/dev/null || { say "needs Go (https://go.dev/dl); go.mod asks for $(sed -n 's/^go //p' go.mod)"; exit 1; }
command -v flock >/dev/null || { say "needs flock (util-linux)"; exit 1; }

# The pin: the `version` line of the `argocd:` entry of CRD_SOURCES, the only place it is written.
pin=$(sed -n '/^export const CRD_SOURCES/,/^}/p' "$root/components/versions.ts" |
  sed -n '/^  argocd: {/,/^  },/s/^ *version: "\(v[0-9][0-9.]*\)",.*$/\1/p')
[ -n "$pin" ] || { say "no CRD_SOURCES.argocd.version in components/versions.ts"; exit 1; }
required=$(sed -n 's/^[[:space:]]*github\.com\/argoproj\/argo-cd\/v3 \(v[0-9.]*\).*$/\1/p;s/^require github\.com\/argoproj\/argo-cd\/v3 \(v[0-9.]*\)$/\1/p' go.mod | head -1)
if [ "$required" != "$pin" ]; then
  say "tools/argocd/go.mod requires argo-cd $required but the platform pins $pin (components/versions.ts CRD_SOURCES.argocd); run: npm run argocd:gomod"
  exit 1
fi
helm_version=$(sed -n 's/^[[:space:]]*helm\.sh\/helm\/v4 \(v[0-9.]*\).*$/\1/p' helm/go.mod | head -1)
[ -n "$helm_version" ] || { say "no helm.sh/helm/v4 requirement in tools/argocd/helm/go.mod"; exit 1; }

# argo-cd v3.6's go.mod says `go 1.27.0`; Go fetches that toolchain from the module proxy.
export GOTOOLCHAIN=${VP_GOTOOLCHAIN:-go1.27.3}
cache=${VP_ARGOCD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/video-platform/argocd}/$pin
stamp=$(cat go.mod go.sum helm/go.mod helm/go.sum build.sh | sha256sum | cut -d' ' -f1)
bins=(argocd argocd-application-controller argocd-repo-server argocd-git-ask-pass helm
  git-verify-wrapper.sh gpg-wrapper.sh git-ask-pass.sh)
manifests=(application-controller/argocd-application-controller-statefulset.yaml
  repo-server/argocd-repo-server-deployment.yaml)
built() {
  [ "$(cat "$cache/stamp" 2>/dev/null || true)" = "$stamp" ] || return 1
  for b in "${bins[@]}"; do [ -x "$cache/bin/$b" ] || return 1; done
  for m in "${manifests[@]}"; do [ -f "$cache/manifests/$(basename "$m")" ] || return 1; done
}
if built; then echo "$cache/bin"; exit 0; fi

# One build at a time per version: a second caller waits here, then finds the first one's result.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
if ! flock -n 9; then
  say "another build of Argo CD $pin is running; waiting for it ($cache.lock)"
  flock 9
fi
if built; then echo "$cache/bin"; exit 0; fi

start=$(date +%s)
# `go build -v` names each package as it is compiled; this prints a line every 30 s instead of
# thousands, so a cold build (about 10 minutes of CPU) shows it is alive.
progress() {
  local what=$1 n=0 last=$start pkg=""
  while IFS= read -r line; do
    case "$line" in
    *" "* | "") echo "$line" >&2 ;; # compiler errors and messages, as they are
    *) n=$((n + 1)) pkg=$line ;;
    esac
    if [ $(($(date +%s) - last)) -ge 30 ]; then
      last=$(date +%s)
      say "$what: $((last - start)) s, $n packages compiled (now: $pkg)"
    fi
  done
  say "$what: $(($(date +%s) - start)) s, $n packages compiled"
}
gobuild() {
  local what=$1
  shift
  say "building $what"
  # pipefail carries go's exit status through the progress filter.
  go build -v "$@" 2>&1 | progress "$what"
}

rm -rf "$cache.tmp"
mkdir -p "$cache.tmp/bin"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
# The version ldflags of upstream's Makefile (PACKAGE=github.com/argoproj/argo-cd/v3/common): the
# version file's content (no "v"), the tag, and the release's own time on the module proxy as the
# build date, so the binary is reproducible. gitCommit stays unset: the proxy does not say which
# commit a module version was cut from, and we do not invent one.
common=github.com/argoproj/argo-cd/v3/common
released=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "github.com/argoproj/argo-cd/v3")
kubectl_version=$(go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' k8s.io/client-go)
gobuild "argo-cd $pin (github.com/argoproj/argo-cd/v3/cmd)" -trimpath \
  -ldflags "-s -w -X $common.version=${pin#v} -X $common.gitTag=$pin -X $common.buildDate=$released -X $common.kubectlVersion=$kubectl_version" \
  -o "$cache.tmp/bin/argocd" github.com/argoproj/argo-cd/v3/cmd
# The binary picks its component by the name it is run as (cmd/main.go, common.Command*).
for name in argocd-application-controller argocd-repo-server argocd-git-ask-pass; do
  ln -s argocd "$cache.tmp/bin/$name"
done
moddir=$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
for script in git-verify-wrapper.sh gpg-wrapper.sh git-ask-pass.sh; do
  install -m 0755 "$moddir/hack/$script" "$cache.tmp/bin/$script"
done
mkdir -p "$cache.tmp/manifests"
for m in "${manifests[@]}"; do
  install -m 0644 "$moddir/manifests/base/$m" "$cache.tmp/manifests/$(basename "$m")"
done

(
  cd helm
  gobuild "helm $helm_version (helm.sh/helm/v4/cmd/helm)" -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version" \
    -o "$cache.tmp/bin/helm" helm.sh/helm/v4/cmd/helm
)

echo "$stamp" >"$cache.tmp/stamp"
rm -rf "$cache"
mv "$cache.tmp" "$cache"
say "built in $(($(date +%s) - start)) s into $cache/bin"
echo "$cache/bin"
