#!/usr/bin/env bash
# demo.sh - the cars example, end to end, on the embedded dev target
# (`make demo`).  Works from a fresh temporary copy of examples/, so it can
# be run again and again and leaves the repository as it was:
#   create the cars table, import examples/cars.jsonl, show one car,
#   plan the migration, run it on dev, show the status and the same car;
#   then load a "prod" embedded target and run it there, stamping the header.
# Set KEEP=1 to keep the temporary directory (its path is printed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
W=$ROOT/$BUILD/bin/whimbrel
[ -x "$W" ] || { echo "demo: $W is not built (run make)" >&2; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/whimbrel-demo.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$DIR"' EXIT; fi
cp -r "$ROOT/examples/migrations" "$ROOT/examples/cars.jsonl" "$ROOT/examples/whimbrel.conf" "$DIR/"
cd "$DIR"
# prod runs only committed migrations (docs/operations.md): the copy is a repository of its own
git init -q . && git add -A &&
	git -c user.name=demo -c user.email=demo@example.com commit -qm "the cars example"
M=migrations/0001_add_price_to_cars.c
CAR='{"id":"car-00042"}'

if [ -t 1 ]; then B=$'\033[1m'; N=$'\033[0m'; else B=; N=; fi
step() {
	printf '\n%s$ whimbrel %s%s\n' "$B" "$*" "$N"
	"$W" "$@"
}

echo "whimbrel demo in $DIR"
step table create cars --pk id:S
step import cars cars.jsonl
step table describe cars
step item get cars "$CAR" --format plain
step plan dev "$M" --diffs 3
step run dev "$M"
step status dev
step item get cars "$CAR" --format plain
printf '\nThe dev run left the header as it was (only prod runs stamp it):\n'
sed -n '1,6p' "$M"

printf '\nThe same on "prod" (here a second embedded file, see whimbrel.conf):\n'
step --target prod table create cars --pk id:S --yes
step --target prod import cars cars.jsonl --yes
step run prod "$M" --yes
printf '\nThe prod run stamped its times into the header:\n'
sed -n '1,6p' "$M"
