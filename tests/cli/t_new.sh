# t_new.sh - `whimbrel new`: numbering, slugs, refusals, and a template that
# compiles and runs as it is (and stops with a clear message outside the runner).
. "$(dirname "$0")/lib.sh"

run "$WHIMBREL" new "Add price to cars!"
is "new: exit 0" "$rc" 0
is "new: prints the path" "$out" "migrations/0001_add_price_to_cars.c"
ok "new: file exists" '[ -f migrations/0001_add_price_to_cars.c ]'
f=migrations/0001_add_price_to_cars.c
has "template: description in the header" "$(head -3 $f)" " * Add price to cars!"
has "template: empty Execution Time" "$(cat $f)" " * Execution Time:
 * Finalization Time:
 */"
has "template: includes whimbrel.h" "$(cat $f)" "#include <whimbrel.h>"

run "$WHIMBREL" new "  Rename   COLOR -> colour, again  "
is "second: next number and collapsed slug" "$out" "migrations/0002_rename_color_colour_again.c"
run "$WHIMBREL" new "add price to cars"
is "same slug: refused" "$rc" 1
has "same slug: names the existing file" "$err" "0001_add_price_to_cars.c"
run "$WHIMBREL" new "../../etc/passwd"
is "path-like description stays inside the directory" "$out" "migrations/0003_etc_passwd.c"
run "$WHIMBREL" new "!!!"
is "no letters: usage error" "$rc" 2
run "$WHIMBREL" new "$(printf 'x%.0s' $(seq 80)) tail"
is "long description: slug cut at 50" "$out" "migrations/0004_$(printf 'x%.0s' $(seq 50)).c"
run "$WHIMBREL" new "other place" --dir db/migrations
is "--dir: created there, numbered from 1" "$out" "db/migrations/0001_other_place.c"
run "$WHIMBREL" new "closing */ comment"
ok "comment terminator in the description is defused" '! grep -q "closing \*/" migrations/0005_closing_comment.c'
run "$WHIMBREL" new
is "no description: usage" "$rc" 2
run "$WHIMBREL" new --help
has "--help" "$out" "usage: whimbrel new"

# The template compiles, runs harmlessly, and refuses to run outside the runner.
run "$WHIMBREL" run dev migrations/0001_add_price_to_cars.c
is "template runs: exit 0" "$rc" 0
has "template runs: logs nothing to do" "$out" "nothing to do yet"
exe=$(ls .whimbrel/build/*/migration | head -1)
ok "compiled program cached under .whimbrel/build" '[ -x "$exe" ]'
run "$exe"
is "outside the runner: exit 2" "$rc" 2
has "outside the runner: says how to run it" "$err" "this is a whimbrel migration: run it with \`whimbrel run dev|prod FILE\`"

# An installed layout elsewhere (PREFIX/bin, PREFIX/include, PREFIX/lib):
# the runner finds the header and library next to itself.
mkdir -p inst/bin inst/include inst/lib
cp "$WHIMBREL" inst/bin/whimbrel
cp "$WB_BUILD/include/whimbrel.h" inst/include/
cp "$WB_BUILD/lib/libwhimbrel.a" inst/lib/
rm -rf .whimbrel/build
run inst/bin/whimbrel run dev migrations/0001_add_price_to_cars.c
is "installed layout: compiles and runs" "$rc" 0
rm inst/lib/libwhimbrel.a
rm -rf .whimbrel/build
run inst/bin/whimbrel run dev migrations/0001_add_price_to_cars.c
is "library missing: exit 1" "$rc" 1
has "library missing: says where it looked" "$err" "inst/bin/../lib/libwhimbrel.a"

# A control character in the description would go into the header comment.
mkdir -p ctl && cd ctl
run "$WHIMBREL" new "$(printf 'add\033[31m price')"
is "new: control character refused: exit 2" "$rc" 2
has "new: control character: says which" "$err" "control character (0x1b at byte 4)"
ok "new: control character: no file written" '[ ! -d migrations ] || [ -z "$(ls migrations)" ]'
cd ..
