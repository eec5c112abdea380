// gen_items.mjs - the items of the DynamoDB benchmarks: N cars of ~200 bytes
// each (id, brand, model, color, year, description), as DynamoDB JSON lines.
//
//   node bench/gen_items.mjs N FILE
import { writeFileSync } from "node:fs";

const [count, file] = process.argv.slice(2);
const n = Number(count);
const brands = ["Volvo", "Saab", "Fiat", "Audi", "Skoda"], colors = ["red", "blue", "black", "white"];
const out = [];
for (let i = 0; i < n; i++)
  out.push(JSON.stringify({ id: { S: `item-${String(i).padStart(7, "0")}` }, brand: { S: brands[i % 5] },
    model: { S: `model ${i % 97}` }, color: { S: colors[i % 4] }, year: { N: String(1990 + (i % 35)) },
    description: { S: `a car of the benchmark, number ${i}, with a description long enough to be realistic` } }));
writeFileSync(file, out.join("\n") + "\n");
