// pitr_server.mjs - a scripted DynamoDB endpoint for the point-in-time
// recovery operations, which dynalite lacks (t_pitr.sh): DescribeTable,
// DescribeContinuousBackups, UpdateContinuousBackups and
// RestoreTableToPointInTime, with DynamoDB's answers and errors.
//
//   node pitr_server.mjs DIR
//
// Listens on a free loopback port and writes it into DIR/port; appends
// every request to DIR/requests.jsonl as {"target", "contentType",
// "auth" (the Authorization scheme and its Credential's service/region
// part, never a signature), "body"}.  The tables, at start:
//   cars   PITR enabled, restorable from now - 1 h to now - 5 min
//   plain  PITR disabled (UpdateContinuousBackups turns it on)
//   drift  PITR enabled, but every restore is InvalidRestoreTimeException
//   liar   PITR enabled, but every restore is PointInTimeRecoveryUnavailableException
//   race   PITR enabled, but every restore is TableAlreadyExistsException
//   ghost  PITR enabled, but every restore is TableNotFoundException
// A restored table answers CREATING to its first two DescribeTable, then
// ACTIVE.  whimbrel_runs (the ledger) holds one run, RUN_ID below, started
// 30 minutes ago (GetItem).  Anything else is ResourceNotFoundException
// (DescribeTable) or TableNotFoundException (the backup operations), as
// DynamoDB answers.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const dir = process.argv[2];
const now = Date.now() / 1000;
const key = { KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
	AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }] };
const tables = {};
for (const name of ["cars", "plain", "drift", "liar", "race", "ghost", "whimbrel_runs"])
	tables[name] = { pitr: name !== "plain", status: "ACTIVE", polls: 0 };
const RUN_ID = "20261127T100000Z-0badf00d", runStarted = Math.floor(now) - 1800;
const window = () => ({ EarliestRestorableDateTime: now - 3600, LatestRestorableDateTime: now - 300 });
const failing = { drift: ["InvalidRestoreTimeException", "Restore time is outside the restorable window"],
	liar: ["PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table 'liar'"],
	race: ["TableAlreadyExistsException", "Table already exists: restored"],
	ghost: ["TableNotFoundException", "Table not found: ghost"] };

function error(res, type, message) {
	res.writeHead(400, { "Content-Type": "application/x-amz-json-1.0" });
	res.end(JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#" + type, message }));
}

function describe(name) {
	const t = tables[name];
	if (t.status === "CREATING" && ++t.polls > 2)
		t.status = "ACTIVE";
	if (name === "whimbrel_runs")
		return { Table: { TableName: name, TableStatus: "ACTIVE", ItemCount: 1,
			KeySchema: [{ AttributeName: "run_id", KeyType: "HASH" }],
			AttributeDefinitions: [{ AttributeName: "run_id", AttributeType: "S" }] } };
	return { Table: { TableName: name, TableStatus: t.status, ItemCount: 0, ...key } };
}

function getItem(b) {
	if (b.TableName !== "whimbrel_runs" || b.Key?.run_id?.S !== RUN_ID)
		return {};
	return { Item: { run_id: { S: RUN_ID }, migration: { S: "0002_counter" }, mode: { S: "prod" },
		status: { S: "succeeded" }, started: { N: String(runStarted) } } };
}

function backups(name) {
	const d = { PointInTimeRecoveryStatus: tables[name].pitr ? "ENABLED" : "DISABLED" };
	return { ContinuousBackupsDescription: { ContinuousBackupsStatus: "ENABLED",
		PointInTimeRecoveryDescription: tables[name].pitr ? { ...d, ...window() } : d } };
}

function restore(res, b) {
	const src = b.SourceTableName, dst = b.TargetTableName, w = window();
	if (!tables[src])
		return error(res, "TableNotFoundException", `Table not found: ${src}`);
	if (failing[src])
		return error(res, ...failing[src]);
	if (tables[dst])
		return error(res, "TableAlreadyExistsException", `Table already exists: ${dst}`);
	if (!tables[src].pitr)
		return error(res, "PointInTimeRecoveryUnavailableException",
			`Point in time recovery is not enabled for table '${src}'`);
	let at = b.UseLatestRestorableTime ? w.LatestRestorableDateTime : b.RestoreDateTime;
	if (typeof at !== "number" || at < w.EarliestRestorableDateTime || at > w.LatestRestorableDateTime)
		return error(res, "InvalidRestoreTimeException", "Restore time is outside the restorable window");
	tables[dst] = { pitr: false, status: "CREATING", polls: 0 };
	return { TableDescription: { TableName: dst, TableStatus: "CREATING", ...key,
		RestoreSummary: { SourceTableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${src}`,
			RestoreDateTime: at, RestoreInProgress: true } } };
}

function answer(res, op, b) {
	const name = b.TableName;
	switch (op) {
	case "DescribeTable":
		return tables[name] ? describe(name) : error(res, "ResourceNotFoundException",
			`Requested resource not found: Table: ${name} not found`);
	case "DescribeContinuousBackups":
		return tables[name] ? backups(name) : error(res, "TableNotFoundException", `Table not found: ${name}`);
	case "UpdateContinuousBackups":
		if (!tables[name])
			return error(res, "TableNotFoundException", `Table not found: ${name}`);
		tables[name].pitr = !!b.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled;
		return backups(name);
	case "RestoreTableToPointInTime":
		return restore(res, b);
	case "GetItem":
		return tables[b.TableName] ? getItem(b) : error(res, "ResourceNotFoundException",
			"Requested resource not found");
	default:
		return error(res, "ResourceNotFoundException", `${op}: not scripted`);
	}
}

const server = http.createServer((req, res) => {
	let body = "";
	req.on("data", (c) => (body += c));
	req.on("end", () => {
		const target = req.headers["x-amz-target"] || "";
		const auth = req.headers.authorization || "";
		const cred = /Credential=[^/]*\/[0-9]+\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
		let b = {};
		try { b = JSON.parse(body); } catch { b = { unparsed: body }; }
		fs.appendFileSync(path.join(dir, "requests.jsonl"), JSON.stringify({ target,
			contentType: req.headers["content-type"], auth: auth.split(" ")[0] +
			(cred ? ` ${cred[1]}/${cred[2]}` : ""), body: b }) + "\n");
		const out = answer(res, target.replace(/^DynamoDB_20120810\./, ""), b);
		if (out) {
			res.writeHead(200, { "Content-Type": "application/x-amz-json-1.0" });
			res.end(JSON.stringify(out));
		}
	});
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(path.join(dir, "port"), String(server.address().port)));
