#!/bin/sh
# Regenerates the README's timeline pictures (make timelines): runs logbench for each,
# writes docs/NAME.svg, docs/NAME.csv, docs/NAME.faults.csv (the fault windows) and
# docs/NAME.txt (the runs' accounting lines), and
# rewrites the table between <!-- timeline:NAME --> and <!-- /timeline:NAME --> in
# README.md from those same lines, so the table beside each picture has its caption's
# numbers.
#
#   docs/timelines.sh BIN_DIR
set -eu
bin=${1:?usage: docs/timelines.sh BIN_DIR}
cd "$(dirname "$0")/.."

picture() { # NAME LOGBENCH-ARGS...
	name=$1
	shift
	echo "docs/$name.svg: logbench $*" >&2
	"$bin/logbench" -collector "$bin/resilog-collector" "$@" -timeline "docs/$name.svg" >"docs/$name.txt"
	{
		echo "| pipeline | emitted | collector | fallback | dropped | lost | log call p99 |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		awk '/^logbench / {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", v["pipeline"], v["emitted"], v["collector"], v["fallback"], v["dropped"], v["lost"], v["emit_p99_us"] " µs"
		}' "docs/$name.txt"
	} >"docs/$name.md.tmp"
	awk -v name="$name" -v table="docs/$name.md.tmp" '
		$0 == "<!-- timeline:" name " -->" { print; while ((getline l < table) > 0) print l; skip = 1; next }
		$0 == "<!-- /timeline:" name " -->" { skip = 0 }
		!skip { print }' README.md >README.md.tmp
	mv README.md.tmp README.md
	rm "docs/$name.md.tmp"
}

picture outage -pipeline stock,resilog -fault flap -n 20000 -rate 2000
picture hang -pipeline stock,resilog -fault hang -n 20000 -rate 5000
