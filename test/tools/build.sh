#!/usr/bin/env bash
# Builds the real servers the tests run (etcd, kube-apiserver, Vault, helm) from Go
# modules and caches them outside the clone, keyed by tool version and by a hash of the
# tool's module files, so a fresh clone on the same machine reuses them.
#
#   build.sh path TOOL   build TOOL if needed, print the binary's path
#   build.sh envtest     build etcd + kube-apiserver, print the envtest assets dir
#   build.sh all         build everything the tests need (envtest, vault, helm)
#
# TOOL: etcd | kube-apiserver | vault | helm
# Cache root: $RVW_TOOLS_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/rasa-vault-webhook/tools
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${RVW_TOOLS_CACHE:-${XDG_CACHE_HOME:-${HOME:?set HOME or RVW_TOOLS_CACHE}/.cache}/rasa-vault-webhook/tools}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS=${GOFLAGS:--buildvcs=false}

etcd_version=v3.6.17
kube_version=v1.37.2
vault_version=v1.21.4
vault_sdk_version=v0.21.0
vault_sdk_fix_version=v0.24.0
helm_version=v4.3.2

log() { printf 'tools: %s\n' "$*" >&2; }

# key prints a short hash of a tool module's files and of the Go version, so a changed
# recipe or toolchain builds into a new cache entry instead of reusing a stale binary.
key() {
	(cd "$here/$1" && cat go.mod go.sum ./*.go 2>/dev/null; go env GOVERSION) |
		sha256sum | cut -c1-12
}

version_of() {
	case $1 in
	etcd) echo "$etcd_version" ;;
	kube-apiserver) echo "$kube_version" ;;
	vault) echo "$vault_version" ;;
	helm) echo "$helm_version" ;;
	*) echo "unknown tool: $1" >&2; exit 2 ;;
	esac
}

# prepare_vault_sdk makes ./sdk-patched: Vault v1.21.4 needs an sdk that was never
# published, so take sdk v0.21.0 and apply the two API changes the 1.21 branch carries.
prepare_vault_sdk() {
	local dst=$here/vault/sdk-patched stamp=$here/vault/sdk-patched/.rvw-patched
	[ -f "$stamp" ] && return 0
	local src fix
	src=$(cd /tmp && go mod download -json "github.com/hashicorp/vault/sdk@$vault_sdk_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	fix=$(cd /tmp && go mod download -json "github.com/hashicorp/vault/sdk@$vault_sdk_fix_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] && [ -d "$fix" ] || { log "could not download vault sdk"; exit 1; }
	rm -rf "$dst"
	cp -r "$src" "$dst"
	chmod -R u+w "$dst"
	sed -i 's/ActivationFunc func(context.Context, \*logical.Request, string) error/ActivationFunc func(context.Context, *logical.Request) error/' \
		"$dst/framework/backend.go"
	grep -q 'ActivationFunc func(context.Context, \*logical.Request) error' \
		"$dst/framework/backend.go" || { log "vault sdk patch did not apply"; exit 1; }
	cp "$fix/helper/keysutil/lock_manager.go" "$dst/helper/keysutil/lock_manager.go"
	chmod u+w "$dst/helper/keysutil/lock_manager.go"
	touch "$stamp"
}

# build_tool builds one tool into its cache entry (once) and prints the binary path.
build_tool() {
	local tool=$1 version dir bin
	version=$(version_of "$tool")
	dir="$cache/$tool-$version-$(key "$tool")"
	bin="$dir/$tool"
	if [ -x "$bin" ]; then
		echo "$bin"
		return 0
	fi
	mkdir -p "$dir"
	# One build per entry at a time: parallel test packages may ask for the same tool.
	exec {lock}>"$dir.lock"
	flock "$lock"
	if [ -x "$bin" ]; then
		echo "$bin"
		return 0
	fi
	# Only a real build needs the patched sdk, and only under the lock: parallel callers
	# must not copy it over each other.
	if [ "$tool" = vault ]; then
		prepare_vault_sdk
	fi
	log "building $tool $version into $dir (first time on this machine; cached after)"
	local start=$SECONDS pkg ldflags="-s -w"
	case $tool in
	etcd) pkg=. ;;
	kube-apiserver)
		pkg=k8s.io/kubernetes/cmd/kube-apiserver
		ldflags="$ldflags -X k8s.io/component-base/version.gitVersion=$kube_version"
		ldflags="$ldflags -X k8s.io/component-base/version.gitMajor=1"
		ldflags="$ldflags -X k8s.io/component-base/version.gitMinor=37"
		;;
	vault) pkg=github.com/hashicorp/vault ;;
	helm)
		pkg=helm.sh/helm/v4/cmd/helm
		ldflags="$ldflags -X helm.sh/helm/v4/internal/version.version=$helm_version"
		;;
	esac
	(cd "$here/$tool" && go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" "$pkg")
	mv "$bin.tmp" "$bin"
	log "built $tool in $((SECONDS - start))s"
	echo "$bin"
}

# envtest_dir prints a folder holding etcd and kube-apiserver side by side, the shape
# controller-runtime's envtest expects in BinaryAssetsDirectory / KUBEBUILDER_ASSETS.
envtest_dir() {
	local etcd kube dir
	etcd=$(build_tool etcd)
	kube=$(build_tool kube-apiserver)
	dir="$cache/envtest-$(basename "$(dirname "$kube")")-$(basename "$(dirname "$etcd")")"
	mkdir -p "$dir"
	ln -sfn "$etcd" "$dir/etcd"
	ln -sfn "$kube" "$dir/kube-apiserver"
	echo "$dir"
}

case ${1:-} in
path) build_tool "${2:?tool name}" ;;
envtest) envtest_dir ;;
all)
	bash "$here/prereqs.sh"
	envtest_dir >/dev/null
	build_tool vault >/dev/null
	build_tool helm >/dev/null
	log "all tools ready under $cache"
	;;
*)
	sed -n '2,12p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
