#!/usr/bin/env bash
# deps.sh - install what building and testing whimbrel needs, when missing.
#
# Debian packages through apt-get (one `apt-get update` first, only when
# something is missing), and the npm packages of the tests (dynalite, the
# AWS SDK) from the committed package-lock.json with `npm ci`, whose
# postinstall applies patches/ (patch-package).
# With --fuzz, only what `make fuzz` needs besides: clang and its libFuzzer
# and sanitizer runtimes.
set -euo pipefail
cd "$(dirname "$0")/.."

debs="build-essential pkg-config libsqlite3-dev libjansson-dev libcurl4-openssl-dev libssl-dev libcmocka-dev sqlite3 time nodejs npm python3 python3-yaml git"
fuzz=""
[ "${1:-}" = --fuzz ] && { fuzz=1; debs="clang libclang-rt-14-dev"; }
missing=""
for p in $debs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node and npm may come from elsewhere than Debian: accept them when on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
if command -v python3 >/dev/null; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -vx python3 | tr '\n' ' ')
	# its yaml module (the deploy/ files are checked with it) may come from elsewhere too
	python3 -c 'import yaml' 2>/dev/null &&
		missing=$(echo "$missing" | tr ' ' '\n' | grep -vx python3-yaml | tr '\n' ' ')
fi
if [ -n "${missing// /}" ]; then
	echo "deps: installing:$missing" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi

[ -n "$fuzz" ] && exit 0
# A node_modules that is a symbolic link belongs to another checkout (a git
# worktree sharing it): installing through it would race that checkout's own.
if [ -L node_modules ]; then
	exit 0
fi
# npm ci also when dynalite lacks the patch of patches/ (its postinstall,
# patch-package, applies it; docs/dynamodb.md says why).
dynalite_patched() { grep -q "Patched for whimbrel" node_modules/dynalite/db/index.js 2>/dev/null; }
if [ -f package-lock.json ] && { [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || ! dynalite_patched; }; then
	echo "deps: npm ci" >&2
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
