#!/usr/bin/env bash
# dynalite.sh - start and stop a local dynalite (a DynamoDB work-alike) for tests.
#
#   scripts/dynalite.sh start DIR   start dynalite on a free loopback port, its
#                                   LevelDB store under DIR/data, its log in
#                                   DIR/dynalite.log, its pid in DIR/dynalite.pid;
#                                   wait until it answers and print its URL,
#                                   dynamodb://127.0.0.1:PORT, on stdout
#   scripts/dynalite.sh stop DIR    stop the dynalite started with DIR
#
# The port is chosen by the kernel (listen on port 0) so two suites running at
# once never collide.  With WB_DYNALITE_TLS_CERT and WB_DYNALITE_TLS_KEY (PEM
# files) it serves HTTPS with that certificate and prints
# dynamodbs://127.0.0.1:PORT?region=us-east-1 instead.  Tables become ACTIVE at once (createTableMs 0 etc., the
# same as `dynalite --createTableMs 0 --deleteTableMs 0 --updateTableMs 0`).
# Needs node and node_modules/dynalite with the patch of patches/ applied
# (scripts/deps.sh installs both; docs/dynamodb.md says why).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "dynalite.sh: $*" >&2; exit 1; }

start() {
	local dir=$1
	[ -d "$ROOT/node_modules/dynalite" ] || die "node_modules/dynalite is missing: run scripts/deps.sh"
	grep -q "Patched for whimbrel" "$ROOT/node_modules/dynalite/db/index.js" ||
		die "node_modules/dynalite lacks patches/dynalite+4.0.0.patch (maps and lists compared by value): run scripts/deps.sh"
	mkdir -p "$dir/data"
	dir=$(cd "$dir" && pwd)
	rm -f "$dir/port"
	# The server writes its port into DIR/port once it listens.  It runs in
	# its own session, detached from our stdout, so that a caller's $(...)
	# returns as soon as we print the URL.
	WB_DYNALITE_ROOT=$ROOT WB_DYNALITE_DIR=$dir setsid node -e '
		const path = require("path"), fs = require("fs");
		const dir = process.env.WB_DYNALITE_DIR;
		const dynalite = require(path.join(process.env.WB_DYNALITE_ROOT, "node_modules", "dynalite"));
		const opts = { path: path.join(dir, "data"), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
		if (process.env.WB_DYNALITE_TLS_CERT) {
			opts.ssl = true;
			opts.cert = fs.readFileSync(process.env.WB_DYNALITE_TLS_CERT);
			opts.key = fs.readFileSync(process.env.WB_DYNALITE_TLS_KEY);
			opts.ca = opts.cert;
		}
		const server = dynalite(opts);
		server.listen(0, "127.0.0.1", () => {
			const port = server.address().port;
			fs.writeFileSync(path.join(dir, "port.tmp"), String(port));
			fs.renameSync(path.join(dir, "port.tmp"), path.join(dir, "port"));
			console.log("dynalite listening on 127.0.0.1:" + port);
		});
		process.on("SIGTERM", () => server.close(() => process.exit(0)));
	' </dev/null >>"$dir/dynalite.log" 2>&1 &
	local pid=$!
	echo "$pid" >"$dir/dynalite.pid"
	local i port=""
	for i in $(seq 1 300); do
		if [ -s "$dir/port" ]; then port=$(cat "$dir/port"); break; fi
		kill -0 "$pid" 2>/dev/null || die "dynalite exited at start (see $dir/dynalite.log)"
		sleep 0.1
	done
	[ -n "$port" ] || { kill "$pid" 2>/dev/null; die "dynalite did not listen within 30 s"; }
	# Wait until it answers a real request.
	local scheme=http tls=() url="dynamodb://127.0.0.1:$port"
	if [ -n "${WB_DYNALITE_TLS_CERT:-}" ]; then
		scheme=https tls=(--cacert "$WB_DYNALITE_TLS_CERT")
		url="dynamodbs://127.0.0.1:$port?region=us-east-1"
	fi
	for i in $(seq 1 100); do
		if curl -s -m 2 -o /dev/null "${tls[@]}" -X POST \
			-H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
			-H 'Content-Type: application/x-amz-json-1.0' \
			-H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
			-H 'X-Amz-Date: 20000101T000000Z' \
			-d '{}' "$scheme://127.0.0.1:$port/"; then
			echo "$url"
			return 0
		fi
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	die "dynalite on port $port does not answer"
}

stop() {
	local dir=$1 pid i
	[ -f "$dir/dynalite.pid" ] || return 0
	pid=$(cat "$dir/dynalite.pid")
	if kill "$pid" 2>/dev/null; then
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/dynalite.pid" "$dir/port"
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: dynalite.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: dynalite.sh stop DIR"; stop "$2" ;;
*) die "usage: dynalite.sh start|stop DIR" ;;
esac
