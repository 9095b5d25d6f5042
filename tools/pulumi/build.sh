#!/usr/bin/env bash
# Builds the Pulumi CLI (cli/) or the Kubernetes provider (kubernetes/) from the Go module proxy
# (each directory's go.mod/go.sum are the pin) into a cache outside the repository, keyed by version:
#   ${XDG_CACHE_HOME:-~/.cache}/video-platform/pulumi/<version>/bin/pulumi
#   ${XDG_CACHE_HOME:-~/.cache}/video-platform/pulumi-kubernetes/<version>/bin/pulumi-resource-kubernetes
# A no-op when that directory was built from the same inputs (stamp file); concurrent callers wait
# for one build (flock). Usage: build.sh cli|kubernetes. Prints the bin directory on stdout;
# progress (packages compiled of the total, elapsed time) and errors go to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-}
case "$what" in
  cli) mod="$here/cli" tool=pulumi bin=pulumi ;;
  kubernetes) mod="$here/kubernetes" tool=pulumi-kubernetes bin=pulumi-resource-kubernetes ;;
  *) echo "usage: tools/pulumi/build.sh cli|kubernetes" >&2; exit 2 ;;
esac
say() { echo "pulumi/build.sh: $*" >&2; }
command -v go >/dev/null || { say "needs Go (https://go.dev/dl); $mod/go.mod asks for $(sed -n 's/^go //p' "$mod/go.mod")"; exit 1; }
cd "$mod"

# The version each binary reports is its module's: the CLI's is pkg/v3's release (the same as
# .pulumi-version, test/pulumi-build.test.ts), the provider's is the sdk/v4 release cut from the
# same tag as the provider commit the proxy serves (go.mod says why).
if [ "$what" = cli ]; then
  version=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
  pkg=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
else
  version=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi-kubernetes/sdk/v4)
  pkg=.
  # Upstream's Makefile sets the version without the leading v (pulumictl's format).
  ldflags="-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${version#v}"
fi

root=${VP_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/video-platform}
cache=$root/$tool/$version
stamp=$( (cat go.mod go.sum "$here/build.sh"; [ "$what" = kubernetes ] && cat main.go embed/main.go; go version) | sha256sum | cut -d' ' -f1)
fresh() { [ "$(cat "$cache/stamp" 2>/dev/null || true)" = "$stamp" ] && [ -x "$cache/bin/$bin" ]; }
if fresh; then echo "$cache/bin"; exit 0; fi

mkdir -p "$root/$tool"
exec 9>"$root/$tool/.build.lock"
if ! flock -n 9; then
  say "another build of $tool $version is running; waiting for it"
  flock 9
fi
# The other build may have finished what we came for.
if fresh; then echo "$cache/bin"; exit 0; fi

# A module's directory in the module cache. `go list -m` alone prints an empty directory for a
# module not downloaded yet (a cold cache: the provider's build failed there before its first
# compile), so download it first.
moddir() {
  go mod download "$1"
  local d
  d=$(go list -m -f '{{.Dir}}' "$1")
  if [ -z "$d" ] || [ ! -d "$d" ]; then say "module $1 is not in the module cache after go mod download"; exit 1; fi
  echo "$d"
}

rm -rf "$cache.tmp"
mkdir -p "$cache.tmp/bin"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
src=$mod
if [ "$what" = kubernetes ]; then
  # main.go embeds files upstream generates at release time: generate them from the module's own
  # schema.json and terraform-mapping.json into a copy of this module, never into the repository.
  src=$cache.tmp/src
  mkdir -p "$src"
  cp go.mod go.sum main.go "$src/"
  dir=$(moddir github.com/pulumi/pulumi-kubernetes/provider/v4)
  say "generating schema-embed.json (version ${version#v}) from $dir"
  go run ./embed "$dir" "${version#v}" "$src"
fi
cd "$src"
total=$(go list -deps "$pkg" | wc -l)
say "building $bin $version ($total packages; a cold build takes 15-30 min on 2 idle cores, over an hour on a loaded machine)"
# `go build -v` names each package as it compiles: count them for the progress line, pass
# everything else (compiler errors) through.
go build -v -trimpath -ldflags "$ldflags" -o "$cache.tmp/bin/$bin" "$pkg" 2>&1 | {
  n=0 last=$start
  while IFS= read -r line; do
    if [[ "$line" =~ ^[A-Za-z0-9._~/-]+$ ]]; then
      n=$((n + 1))
      now=$(date +%s)
      if ((now - last >= 30)); then
        say "$bin: $n/$total packages compiled, $(((now - start) / 60))m$(((now - start) % 60))s"
        last=$now
      fi
    else
      echo "$line" >&2
    fi
  done
}
cd "$mod"
rm -rf "$cache.tmp/src"
if [ "$what" = cli ]; then
  # Upstream's CLI distribution ships the dynamic-provider host next to `pulumi`, where the engine
  # looks for bundled plugins; it is the sdk module's own script (it runs @pulumi/pulumi's
  # dynamic-provider from the program's node_modules).
  install -m 0755 "$(moddir github.com/pulumi/pulumi/sdk/v3)/nodejs/dist/pulumi-resource-pulumi-nodejs" "$cache.tmp/bin/"
fi
echo "$stamp" >"$cache.tmp/stamp"
rm -rf "$cache"
mv "$cache.tmp" "$cache"
say "built $bin $version in $(($(date +%s) - start)) s ($(du -m "$cache/bin/$bin" | cut -f1) MB) into $cache/bin"
echo "$cache/bin"
