#!/usr/bin/env bash
# Runs the benchmarks side by side with vault-k8s and `vault agent` and prints the
# markdown results table (also written to $RVW_BENCH_OUT, default
# test/bench/results.md). Arguments are passed to the Go program (test/bench), e.g.
# `-only admission -closed 5s`. docs/benchmarks.md explains every number.
#
#   RVW_BENCH_WEBHOOK_SRC  tree to build the measured webhook binary from (default: this
#                          clone), e.g. a clone at another commit for before/after
#   RVW_BENCH_OUT          results file
#
# Needs etcd, kube-apiserver and vault (test/tools/build.sh, cached after the first build) and
# vault-k8s (test/tools/build-vault-k8s.sh, about 2 minutes the first time), and
# `unshare` (util-linux) to give vault-k8s its in-cluster files in a private mount
# namespace. Everything it starts listens on 127.0.0.1 and stops with it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
src=${RVW_BENCH_WEBHOOK_SRC:-$root}
out=${RVW_BENCH_OUT:-$root/test/bench/results.md}
work=$(mktemp -d /tmp/rvw-bench-bin.XXXXXX)
trap 'rm -rf "$work"' EXIT

log() { printf 'bench: %s\n' "$*" >&2; }

log "resolving tools (cached after the first build)"
# Only what the bench runs: util-linux (unshare: vault-k8s runs in a private mount
# namespace), git and CA certificates, but neither PostgreSQL nor helm.
bash test/tools/prereqs.sh --without-postgresql
bash test/tools/build.sh envtest >/dev/null
bash test/tools/build.sh path vault >/dev/null
vault_k8s=$(bash test/tools/build-vault-k8s.sh path)

log "building the webhook as shipped (static, stripped) from $src"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/webhook" \
	./cmd/webhook)
go build -o "$work/bench" ./test/bench

# The Go program bounds itself at 9 minutes; timeout is the backstop.
timeout --kill-after=10s 570s "$work/bench" -webhook-bin "$work/webhook" \
	-vault-k8s-bin "$vault_k8s" -out "$out" "$@"
log "results written to $out"
