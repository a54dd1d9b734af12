#!/usr/bin/env bash
# Checks the Debian packages the tests and the demo need before any long build starts,
# and installs the missing ones with apt-get when running as root (CI, a fresh machine).
# As another user it names the command to run instead. --without-postgresql leaves
# PostgreSQL out (the bench does not run it).
set -euo pipefail

postgresql=true
[ "${1:-}" = --without-postgresql ] && postgresql=false
missing=()
{ command -v flock && command -v unshare; } >/dev/null || missing+=(util-linux)
command -v git >/dev/null || missing+=(git)
if $postgresql; then
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
fi
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)

if ((${#missing[@]} == 0)); then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "prereqs: missing Debian packages: ${missing[*]}" >&2
	echo "prereqs: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "prereqs: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
