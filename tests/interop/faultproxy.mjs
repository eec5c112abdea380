// faultproxy.mjs - a fault-injecting HTTP proxy between whimbrel and dynalite.
//
// Listens on a free loopback port and forwards DynamoDB API requests to the
// target, except that, at the configured rates (0..1, drawn per request from
// a seeded generator so runs are reproducible), it:
//   --throttle R      answers 400 ThrottlingException
//   --pte R           answers 400 ProvisionedThroughputExceededException
//   --error500 R      answers 500 InternalServerError
//   --drop R          destroys the client's connection before forwarding anything
//                     (on the client side: dynalite can crash when its own
//                     connection is reset mid-request)
//   --unprocessed R   for BatchWriteItem: forwards only part of the items and
//                     reports the rest as UnprocessedItems
//   --drop-after R    forwards the request, lets dynalite carry it out, then
//                     destroys the client's connection without answering (the
//                     write happened but its answer is lost); only for
//                     requests on user tables, not whimbrel_*, unless
//   --drop-after-reserved  also loses answers of requests on whimbrel_* tables
//                     (leases, ledger, checkpoints)
//   --delay MS        holds every request (every operation) MS milliseconds
//                     before forwarding it: a round trip to a remote endpoint
//                     (bench/dynamo_latency.sh)
// Faults only hit data-plane operations (items, queries, scans, batches), so
// table creation in a test's setup is not slowed down; --all-ops faults every
// operation; --only-table T faults only requests on table T (so that every
// fault lands on a migration's own requests, not on the runner's ledger).
//
//   node faultproxy.mjs --target http://127.0.0.1:PORT --port-file FILE [rates] [--seed N]
//
//   --trace FILE      appends a line per forwarded request to FILE: the ms (since
//                     the proxy started) it arrived, was forwarded and answered,
//                     its operation, table, request bytes and status (tab-separated;
//                     for finding where a benchmark's time goes)
//   --capacity        asks for the consumed capacity of every data-plane request
//                     (adds "ReturnConsumedCapacity":"TOTAL" where the request has
//                     none), so that /__capacity counts requests that did not ask
//
// The port is written to FILE once listening.  GET /__faults answers the
// counts of requests and injected faults as JSON, with `peakInFlight`, the
// most requests the proxy held at once; GET /__reset zeroes them.
// GET /__capacity answers the capacity units the answers reported
// (ConsumedCapacity): on tables other than whimbrel_*, in total and per
// second of the clock, and per table: {"read": total, "write": total,
// "seconds": {"UNIXSEC": {"read": r, "write": w}}, "tables": {"read":
// {TABLE: units}, "write": {TABLE: units}}} (zeroed by /__reset).  GET /__set?throttle=R&pte=R changes those two rates while
// it runs.  SIGTERM stops it.
import http from "node:http";
import { writeFileSync, renameSync, createWriteStream } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const target = new URL(opt("target", ""));
const portFile = opt("port-file", "");
const rates = {
  throttle: Number(opt("throttle", 0)),
  pte: Number(opt("pte", 0)),
  error500: Number(opt("error500", 0)),
  drop: Number(opt("drop", 0)),
  unprocessed: Number(opt("unprocessed", 0)),
  dropAfter: Number(opt("drop-after", 0)),
};
const delayMs = Number(opt("delay", 0));
const allOps = args.includes("--all-ops");
const dropReserved = args.includes("--drop-after-reserved");
const onlyTable = opt("only-table", "");
const traceFile = opt("trace", "");
const trace = traceFile ? createWriteStream(traceFile, { flags: "a" }) : null;
const t0 = performance.now();
const ms = () => (performance.now() - t0).toFixed(1);
const dataOps = new Set(["GetItem", "PutItem", "DeleteItem", "UpdateItem", "Query", "Scan",
  "BatchWriteItem", "BatchGetItem"]);

// mulberry32: a small seeded generator
let seed = Number(opt("seed", 1)) >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const zero = () => ({ requests: 0, forwarded: 0, throttle: 0, pte: 0, error500: 0, drop: 0, unprocessed: 0,
  unprocessedItems: 0, dropAfter: 0, peakInFlight: 0 });
let counts = zero(), inFlight = 0;
const askForCapacity = args.includes("--capacity");
const readOps = new Set(["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"]);
const noCapacity = () => ({ read: 0, write: 0, seconds: {}, tables: { read: {}, write: {} } });
let capacity = noCapacity();

// The request with ReturnConsumedCapacity asked for (when --capacity and it has none).
function askCapacity(op, body) {
  if (!askForCapacity || !dataOps.has(op)) return body;
  try {
    const parsed = JSON.parse(body);
    if (parsed.ReturnConsumedCapacity && parsed.ReturnConsumedCapacity !== "NONE") return body;
    parsed.ReturnConsumedCapacity = "TOTAL";
    return JSON.stringify(parsed);
  } catch { return body; }
}

// Count the units an answer of `op` reports (one ConsumedCapacity object, or a
// list of them): per table, and in total and per second for tables other than
// whimbrel_*.
function countCapacity(op, status, buf) {
  if (status !== 200 || !dataOps.has(op)) return;
  let cc;
  try { cc = JSON.parse(buf.toString() || "{}").ConsumedCapacity; } catch { return; }
  const kind = readOps.has(op) ? "read" : "write";
  const sec = Math.floor(Date.now() / 1000);
  for (const c of [].concat(cc || [])) {
    if (!c || !c.TableName) continue;
    const units = Number(c.CapacityUnits || 0), t = capacity.tables[kind];
    t[c.TableName] = (t[c.TableName] || 0) + units;
    if (String(c.TableName).startsWith("whimbrel_")) continue;
    const s = (capacity.seconds[sec] ||= { read: 0, write: 0 });
    s[kind] += units;
    capacity[kind] += units;
  }
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function answer(res, status, type, message) {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  res.writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

// Forward body to the target; call done(status, headers, Buffer).
function forward(req, body, done) {
  const headers = { ...req.headers, "content-length": Buffer.byteLength(body) };
  const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url,
    headers, agent }, (r) => {
    const chunks = [];
    r.on("data", (c) => chunks.push(c));
    r.on("end", () => done(r.statusCode, r.headers, Buffer.concat(chunks)));
  });
  up.on("error", (e) => done(502, {}, Buffer.from(JSON.stringify({ __type: "#InternalServerError",
    message: `proxy: ${e.message}` }))));
  up.end(body);
}

function relay(res, status, headers, buf) {
  const h = { ...headers, "content-length": buf.length };
  delete h["transfer-encoding"];
  delete h.connection;
  res.writeHead(status, h);
  res.end(buf);
}

// BatchWriteItem with part of the items held back as unprocessed.
function partialBatch(req, res, body) {
  const parsed = JSON.parse(body);
  const entries = [];
  for (const [table, list] of Object.entries(parsed.RequestItems || {}))
    for (const e of list) entries.push([table, e]);
  if (entries.length < 2) return false;
  const keep = 1 + Math.floor(random() * (entries.length - 1));
  const sent = {}, held = {};
  entries.forEach(([table, e], i) => {
    const into = i < keep ? sent : held;
    (into[table] ||= []).push(e);
  });
  counts.unprocessed++;
  counts.unprocessedItems += entries.length - keep;
  forward(req, JSON.stringify({ ...parsed, RequestItems: sent }), (status, headers, buf) => {
    if (status !== 200) return relay(res, status, headers, buf);
    const answer = JSON.parse(buf.toString() || "{}");
    const un = answer.UnprocessedItems || {};
    for (const [t, l] of Object.entries(held)) un[t] = [...(un[t] || []), ...l];
    answer.UnprocessedItems = un;
    relay(res, 200, headers, Buffer.from(JSON.stringify(answer)));
  });
  return true;
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/__capacity") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(capacity));
    return;
  }
  if (req.method === "GET" && req.url.startsWith("/__set?")) {
    const q = new URLSearchParams(req.url.slice(7));
    for (const k of ["throttle", "pte"]) if (q.has(k)) rates[k] = Number(q.get(k));
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(rates));
    return;
  }
  if (req.method === "GET" && (req.url === "/__faults" || req.url === "/__reset")) {
    if (req.url === "/__reset") { counts = zero(); capacity = noCapacity(); }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(counts));
    return;
  }
  const chunks = [];
  const arrived = ms();
  counts.peakInFlight = Math.max(counts.peakInFlight, ++inFlight);
  res.on("close", () => inFlight--);
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => (delayMs > 0 ? setTimeout(handle, delayMs) : handle()));
  function handle() {
    const op = String(req.headers["x-amz-target"] || "").split(".").pop();
    const body = askCapacity(op, Buffer.concat(chunks).toString());
    counts.requests++;
    const named = (/"TableName":"([^"]*)"/.exec(body) || /"RequestItems":\{"([^"]*)"/.exec(body) || [])[1] || "";
    if ((allOps || dataOps.has(op)) && (!onlyTable || named === onlyTable)) {
      const x = random();
      let edge = rates.drop;
      if (x < edge) { counts.drop++; req.socket.destroy(); return; }
      if (x < (edge += rates.throttle)) { counts.throttle++; return answer(res, 400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."); }
      if (x < (edge += rates.pte)) { counts.pte++; return answer(res, 400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded."); }
      if (x < (edge += rates.error500)) { counts.error500++; return answer(res, 500, "InternalServerError", "Internal server error (injected)"); }
      if (op === "BatchWriteItem" && random() < rates.unprocessed && partialBatch(req, res, body)) return;
      const table = (/"TableName":"([^"]*)"/.exec(body) || [])[1] || "";
      if (table && (dropReserved || !table.startsWith("whimbrel_")) && random() < rates.dropAfter) {
        counts.dropAfter++;
        forward(req, body, () => req.socket.destroy());
        return;
      }
    }
    counts.forwarded++;
    const sent = ms();
    forward(req, body, (status, headers, buf) => {
      if (trace) trace.write(`${arrived}\t${sent}\t${ms()}\t${op}\t${named}\t${body.length}\t${status}\n`);
      countCapacity(op, status, buf);
      relay(res, status, headers, buf);
    });
  }
});

server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => {
  const port = server.address().port;
  if (portFile) {
    writeFileSync(`${portFile}.tmp`, String(port));
    renameSync(`${portFile}.tmp`, portFile);
  }
  console.log(`faultproxy on 127.0.0.1:${port} -> ${target.host} ${JSON.stringify(rates)}`);
});
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
