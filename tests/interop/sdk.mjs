// sdk.mjs - the AWS SDK for JavaScript v3 side of the interop tests.
//
// Reads and writes items through @aws-sdk/client-dynamodb against a
// DynamoDB-compatible endpoint, speaking DynamoDB JSON on stdin/stdout (B and
// BS as base64, as whimbrel prints them), so that tests/cli/t_interop.sh can
// check that what one side writes the other reads back identically.
//
//   node sdk.mjs put URL TABLE PREFIX < items.jsonl   PutItem each item, id = PREFIX + id
//   node sdk.mjs get URL TABLE PREFIX < items.jsonl   GetItem each item's key, print the items
//   node sdk.mjs scan URL TABLE                       Scan everything, print the items
//   node sdk.mjs canon < items.jsonl                  canonical form: keys sorted, sets sorted,
//                                                     numbers normalised, lines sorted
// URL is a whimbrel target (dynamodb://HOST:PORT).  Credentials are dummies:
// local engines check no signature.
import { DynamoDBClient, PutItemCommand, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { readFileSync } from "node:fs";

function client(url) {
  const m = /^dynamodb:\/\/([^/?]+)/.exec(url);
  if (!m) throw new Error(`not a dynamodb://HOST:PORT URL: ${url}`);
  return new DynamoDBClient({
    endpoint: `http://${m[1]}`,
    region: "us-east-1",
    credentials: { accessKeyId: "interop", secretAccessKey: "interop" },
    maxAttempts: 3,
  });
}

// DynamoDB JSON (base64 binary) -> SDK AttributeValue (Uint8Array binary)
function toSdk(v) {
  const [t, x] = Object.entries(v)[0];
  switch (t) {
    case "B": return { B: Buffer.from(x, "base64") };
    case "BS": return { BS: x.map((b) => Buffer.from(b, "base64")) };
    case "L": return { L: x.map(toSdk) };
    case "M": return { M: itemToSdk(x) };
    default: return { [t]: x };
  }
}
const itemToSdk = (item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, toSdk(v)]));

// SDK AttributeValue -> DynamoDB JSON
function fromSdk(v) {
  const [t, x] = Object.entries(v).find(([, y]) => y !== undefined);
  switch (t) {
    case "B": return { B: Buffer.from(x).toString("base64") };
    case "BS": return { BS: x.map((b) => Buffer.from(b).toString("base64")) };
    case "L": return { L: x.map(fromSdk) };
    case "M": return { M: itemFromSdk(x) };
    default: return { [t]: x };
  }
}
const itemFromSdk = (item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fromSdk(v)]));

// A decimal's canonical text: sign, digits without leading/trailing zeros, exponent.
function canonNumber(s) {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m) return `?${s}`;
  let digits = (m[2] || "") + (m[3] || "");
  let exp = parseInt(m[4] || "0", 10) - (m[3] || "").length;
  const lead = digits.match(/^0*/)[0].length;
  digits = digits.slice(lead);
  if (!digits) return "0";
  const trail = digits.match(/0*$/)[0].length;
  digits = digits.slice(0, digits.length - trail);
  exp += trail;
  return `${m[1] === "-" ? "-" : ""}${digits}e${exp}`;
}

function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v === null || typeof v !== "object") return v;
  const out = {};
  for (const k of Object.keys(v).sort()) {
    const x = v[k];
    if (k === "N" && typeof x === "string") out[k] = canonNumber(x);
    else if (k === "NS" && Array.isArray(x)) out[k] = x.map(canonNumber).sort();
    else if ((k === "SS" || k === "BS") && Array.isArray(x)) out[k] = [...x].sort();
    else out[k] = canon(x);
  }
  return out;
}

const lines = () => readFileSync(0, "utf8").split("\n").filter((l) => l.trim());

async function main() {
  const [cmd, url, table, prefix = ""] = process.argv.slice(2);
  if (cmd === "canon") {
    console.log(lines().map((l) => JSON.stringify(canon(JSON.parse(l)))).sort().join("\n"));
    return;
  }
  const db = client(url);
  if (cmd === "put") {
    for (const l of lines()) {
      const item = JSON.parse(l);
      item.id = { S: prefix + item.id.S };
      await db.send(new PutItemCommand({ TableName: table, Item: itemToSdk(item) }));
    }
  } else if (cmd === "get") {
    for (const l of lines()) {
      const key = { id: { S: prefix + JSON.parse(l).id.S } };
      const r = await db.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
      if (!r.Item) throw new Error(`no item ${key.id.S} in ${table}`);
      console.log(JSON.stringify(itemFromSdk(r.Item)));
    }
  } else if (cmd === "scan") {
    let start;
    do {
      const r = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const it of r.Items) console.log(JSON.stringify(itemFromSdk(it)));
      start = r.LastEvaluatedKey;
    } while (start);
  } else {
    throw new Error(`usage: sdk.mjs put|get|scan URL TABLE [PREFIX] | canon`);
  }
}

main().catch((e) => {
  console.error(`sdk.mjs: ${e.name}: ${e.message}`);
  process.exit(1);
});
