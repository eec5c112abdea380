// dynamo_sdk.mjs - the baseline of the DynamoDB benchmark: what a team would
// write with the AWS SDK for JavaScript v3 to add an attribute to every item
// of a table: a parallel Scan (one worker per segment), and for each page a
// BatchWriteItem of the changed items, 25 per request, UnprocessedItems
// re-sent with backoff.
//
//   node bench/dynamo_sdk.mjs URL TABLE SEGMENTS
//
// URL is a whimbrel target (dynamodb://HOST:PORT).  Prints one JSON line:
// items written, wall seconds, and this process's CPU seconds (user+system).
import { DynamoDBClient, ScanCommand, BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";

const [url, table, segArg] = process.argv.slice(2);
const segments = Number(segArg || 4);
const host = /^dynamodb:\/\/([^/?]+)/.exec(url)[1];
const client = new DynamoDBClient({
  endpoint: `http://${host}`,
  region: "us-east-1",
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  maxAttempts: 10,
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

async function segment(n) {
  let start, written = 0;
  do {
    const r = await client.send(new ScanCommand({ TableName: table, Segment: n, TotalSegments: segments,
      ExclusiveStartKey: start }));
    const changed = r.Items.map((it) => ({ ...it, price: { N: "0" } }));
    await writeAll(changed);
    written += changed.length;
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
  cpu_s: (cpu.user + cpu.system) / 1e6, segments }));
