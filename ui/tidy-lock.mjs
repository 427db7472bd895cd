// Drops the sponsor links npm writes into package-lock.json, so the committed lock carries versions
// and integrity hashes only (.npmrc already keeps the download URLs out). Run after `npm install`.
import { readFile, writeFile } from "node:fs/promises";

const path = new URL("package-lock.json", import.meta.url);
const lock = JSON.parse(await readFile(path, "utf8"));
for (const entry of Object.values(lock.packages)) delete entry.funding;
await writeFile(path, `${JSON.stringify(lock, null, 2)}\n`);
