// dynamo_sdk.mjs - the baseline of the DynamoDB benchmark: what a team would
// write with the AWS SDK for JavaScript v3 to add an attribute to every item
// of a table: a parallel Scan (one worker per segment), and for each page a
// BatchWriteItem of the changed items, 25 per request, UnprocessedItems
// re-sent with backoff.  That overwrites whatever was written to an item
// between its read and the write.  MODE `conditional` is the safe version:
// one UpdateItem per item, conditional on every attribute as read (and the
// new attribute absent), a scan page's items all sent at once over up to 50
// sockets.
//
//   node bench/dynamo_sdk.mjs URL TABLE SEGMENTS [batch|conditional]
//
// URL is a whimbrel target (dynamodb://HOST:PORT).  Prints one JSON line:
// items written, wall seconds, and this process's CPU seconds (user+system).
import http from "node:http";
import { DynamoDBClient, ScanCommand, BatchWriteItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";

const [url, table, segArg, modeArg] = process.argv.slice(2);
const segments = Number(segArg || 4);
const mode = modeArg || "batch";
const host = /^dynamodb:\/\/([^/?]+)/.exec(url)[1];
const client = new DynamoDBClient({
  endpoint: `http://${host}`,
  region: "us-east-1",
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  maxAttempts: 10,
  requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 50 }) }),
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function writeAll(items) {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length; attempt++) {
      const r = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
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
  return client.send(new UpdateItemCommand({ TableName: table, Key: { id: item.id },
    UpdateExpression: "SET #p = :z", ConditionExpression: terms.join(" AND "),
    ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
}

async function segment(n) {
  let start, written = 0;
  do {
    const r = await client.send(new ScanCommand({ TableName: table, Segment: n, TotalSegments: segments,
      ExclusiveStartKey: start }));
    if (mode === "conditional") {
      await Promise.all(r.Items.map(updateIfUnchanged));
      written += r.Items.length;
    } else {
      const changed = r.Items.map((it) => ({ ...it, price: { N: "0" } }));
      await writeAll(changed);
      written += changed.length;
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
