#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the Go module proxy
# (this directory's go.mod/go.sum are the pin) into a cache outside the repository, keyed by the
# Kubernetes version: ${XDG_CACHE_HOME:-~/.cache}/video-platform/kube/<version>/bin.
# A no-op when that directory was built from the same go.mod, go.sum and build recipe (stamp file).
# Prints the bin directory on stdout; build output goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

command -v go >/dev/null || { echo "kube/build.sh: needs Go (https://go.dev/dl); go.mod asks for $(sed -n 's/^go //p' go.mod)" >&2; exit 1; }
version=$(sed -n 's/^[[:space:]]*k8s\.io\/kubernetes \(v[0-9.]*\).*$/\1/p;s/^require k8s\.io\/kubernetes \(v[0-9.]*\)$/\1/p' go.mod | head -1)
[ -n "$version" ] || { echo "kube/build.sh: no k8s.io/kubernetes requirement in $here/go.mod" >&2; exit 1; }

cache=${VP_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/video-platform/kube}/$version
stamp=$(cat go.mod go.sum etcd/main.go build.sh | sha256sum | cut -d' ' -f1)
bins=(etcd kube-apiserver kube-controller-manager kubectl)

fresh() {
  [ "$(cat "$cache/stamp" 2>/dev/null || true)" = "$stamp" ] || return 1
  for b in "${bins[@]}"; do [ -x "$cache/bin/$b" ] || return 1; done
}
if fresh; then echo "$cache/bin"; exit 0; fi

# One build at a time per version (.ci/run starts the Go builds in the background while the Node
# checks run; a suite that needs the binaries meanwhile waits here, then finds them built).
if command -v flock >/dev/null; then
  mkdir -p "$(dirname "$cache")"
  exec 9>"$cache.lock"
  if ! flock -n 9; then
    echo "kube/build.sh: another build of $version is running; waiting for it ($cache.lock)" >&2
    flock 9
  fi
  if fresh; then echo "$cache/bin"; exit 0; fi
fi

# /version must report the real release: the same -X flags as upstream's hack/lib/version.sh, for
# both component-base and client-go. The build date is the release's own time on the module proxy,
# so the binaries are reproducible. gitCommit/gitTreeState stay unset: the proxy does not say which
# commit a module version was cut from, and we do not invent one.
minor=${version#v1.}; minor=${minor%%.*}
released=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.buildDate=$released"
done

rm -rf "$cache.tmp"
mkdir -p "$cache.tmp/bin"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
for cmd in kube-apiserver kube-controller-manager kubectl; do
  echo "kube/build.sh: building $cmd $version" >&2
  go build -trimpath -ldflags "$ldflags" -o "$cache.tmp/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd"
done
echo "kube/build.sh: building etcd $(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)" >&2
go build -trimpath -ldflags "-s -w" -o "$cache.tmp/bin/etcd" ./etcd
echo "$stamp" >"$cache.tmp/stamp"
rm -rf "$cache"
mv "$cache.tmp" "$cache"
echo "kube/build.sh: built in $(($(date +%s) - start)) s into $cache/bin" >&2
echo "$cache/bin"
