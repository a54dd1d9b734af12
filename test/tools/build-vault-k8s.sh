#!/usr/bin/env bash
# Builds the vault-k8s injector (the tool the benchmarks compare against) from the source
# tarball in ../shared/anchors and caches the binary outside the clone, like build.sh does
# for the test servers. The source is extracted into the cache, never into the clone.
#
#   build-vault-k8s.sh path   build if needed, print the binary's path
#
# Tarball: $RVW_VAULT_K8S_SRC, else <repo>/../shared/anchors/vault-k8s-v1.7.6-src.tar.gz
# Cache root: $RVW_TOOLS_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/rasa-vault-webhook/tools
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${RVW_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rasa-vault-webhook/tools}
version=v1.7.6
src=${RVW_VAULT_K8S_SRC:-$root/../shared/anchors/vault-k8s-$version-src.tar.gz}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS=${GOFLAGS:--buildvcs=false}

log() { printf 'tools: %s\n' "$*" >&2; }

[ "${1:-}" = path ] || { sed -n '2,9p' "${BASH_SOURCE[0]}" >&2; exit 2; }
[ -f "$src" ] || { log "vault-k8s source tarball not found: $src"; exit 1; }

# The cache key covers the tarball, this recipe and the Go version.
key=$( (cat "$src" "${BASH_SOURCE[0]}"; go env GOVERSION) | sha256sum | cut -c1-12)
dir="$cache/vault-k8s-$version-$key"
bin="$dir/vault-k8s"
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$dir"
exec {lock}>"$dir.lock"
flock "$lock"
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
log "building vault-k8s $version into $dir (first time on this machine; cached after)"
start=$SECONDS
rm -rf "$dir/src"
mkdir -p "$dir/src"
tar -xzf "$src" -C "$dir/src" --strip-components=1
# Static and stripped, the way its release image ships it.
(cd "$dir/src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
log "built vault-k8s in $((SECONDS - start))s"
echo "$bin"
