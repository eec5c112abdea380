// dynamo_sdk.mjs - the baselines of the DynamoDB benchmark: what a team would
// write with the AWS SDK for JavaScript v3 to add an attribute to every item
// of a table: a parallel Scan (one worker per segment), and for each page a
// BatchWriteItem of the changed items, 25 per request, UnprocessedItems
// re-sent with backoff.  That overwrites whatever was written to an item
// between its read and the write.  MODE `conditional` is the safe version:
// one UpdateItem per item, conditional on every attribute as read (and the
// new attribute absent), a scan page's items all sent at once over up to 50
// sockets.
//
// MODE `raw` sends conditional's requests with no SDK: bodies built by
// JSON.stringify, over bare keep-alive HTTP (64 sockets), unsigned (dynalite
// checks the Authorization header's form, not its signature: never against a
// real endpoint).  Whatever a client does, the server still has to carry out
// these requests: raw's wall time is how fast the engine, on this machine,
// takes them at all, the floor under every client that sends them.
//
//   node bench/dynamo_sdk.mjs URL TABLE SEGMENTS [batch|conditional|raw]
//
// URL is a whimbrel target (dynamodb://HOST:PORT).  Prints one JSON line:
// items written, wall seconds, and this process's CPU seconds (user+system).
import http from "node:http";

const [url, table, segArg, modeArg] = process.argv.slice(2);
const segments = Number(segArg || 4);
const mode = modeArg || "batch";
const host = /^dynamodb:\/\/([^/?]+)/.exec(url)[1];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = mode === "raw" ? rawSender() : await sdkSender();

// send(op, params) through the SDK (loaded only when used: its start-up is a baseline's own cost).
async function sdkSender() {
  const sdk = await import("@aws-sdk/client-dynamodb");
  const { NodeHttpHandler } = await import("@smithy/node-http-handler");
  const client = new sdk.DynamoDBClient({
    endpoint: `http://${host}`,
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    maxAttempts: 10,
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 50 }) }),
  });
  return (op, params) => client.send(new sdk[`${op}Command`](params));
}

// send(op, params) as one bare HTTP request; rejects on a non-200 answer.
function rawSender() {
  const [hostname, port] = host.split(":");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const authorization = "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, " +
    "SignedHeaders=host;x-amz-date, Signature=00";
  return (op, params) => new Promise((resolve, reject) => {
    const data = JSON.stringify(params);
    const req = http.request({ hostname, port, method: "POST", path: "/", agent, headers: {
      "content-type": "application/x-amz-json-1.0", "x-amz-target": `DynamoDB_20120810.${op}`,
      "x-amz-date": "20260101T000000Z", authorization, "content-length": Buffer.byteLength(data) } },
    (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`${op}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : {});
      });
    });
    req.on("error", reject);
    req.end(data);
  });
}

async function writeAll(items) {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length; attempt++) {
      const r = await send("BatchWriteItem", { RequestItems: { [table]: requests } });
      requests = (r.UnprocessedItems && r.UnprocessedItems[table]) || [];
      if (requests.length) await sleep(Math.random() * Math.min(2000, 25 * 2 ** attempt));
    }
  }
}

// One UpdateItem: SET price = 0 if every attribute is as read and price is absent.
function updateIfUnchanged(item) {
  const names = { "#p": "price" }, values = { ":z": { N: "0" } }, terms = ["attribute_not_exists(#p)"];
  Object.entries(item).forEach(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    terms.push(`#a${i} = :a${i}`);
  });
  return send("UpdateItem", { TableName: table, Key: { id: item.id },
    UpdateExpression: "SET #p = :z", ConditionExpression: terms.join(" AND "),
    ExpressionAttributeNames: names, ExpressionAttributeValues: values });
}

async function segment(n) {
  let start, written = 0;
  do {
    const r = await send("Scan", { TableName: table, Segment: n, TotalSegments: segments,
      ...(start ? { ExclusiveStartKey: start } : {}) });
    if (mode === "batch") {
      const changed = r.Items.map((it) => ({ ...it, price: { N: "0" } }));
      await writeAll(changed);
      written += changed.length;
    } else {
      await Promise.all(r.Items.map(updateIfUnchanged));
      written += r.Items.length;
    }
    start = r.LastEvaluatedKey;
  } while (start);
  return written;
}

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const counts = await Promise.all(Array.from({ length: segments }, (_, i) => segment(i)));
const cpu = process.cpuUsage(cpu0);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ items: counts.reduce((a, b) => a + b, 0), wall_s: wall,
  cpu_s: (cpu.user + cpu.system) / 1e6, segments, mode }));
