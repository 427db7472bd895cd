// Regenerates the UI's API types: OpenAPI documents (exported from the apps) and message JSON
// Schemas -> ui/src/api/generated/. `--check` builds everything in a temporary folder instead and
// exits 1 when the committed documents or types differ from it.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compile } from "json-schema-to-typescript";
import openapiTS, { astToString } from "openapi-typescript";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const committed = {
  openapi: join(repo, "docs/openapi"),
  types: join(repo, "ui/src/api/generated"),
};

function banner(source) {
  return `// Generated from ${relative(repo, source)} by ui/codegen/generate.mjs (npm run generate); do not edit.\n`;
}

function exportOpenapi(outDir) {
  const venvPython = join(repo, ".venv/bin/python");
  const python = process.env.TOPSONGS_PYTHON ?? (existsSync(venvPython) ? venvPython : "python3");
  const run = spawnSync(python, [join(repo, "tools/export-openapi"), outDir], { stdio: "inherit" });
  if (run.status !== 0) throw new Error(`tools/export-openapi failed (exit ${run.status ?? run.signal})`);
}

/** The message schemas the UI may read: the play event and every docs/schemas/*.schema.json. */
async function messageSchemas() {
  const dir = join(repo, "docs/schemas");
  const names = existsSync(dir) ? (await readdir(dir)).filter((n) => n.endsWith(".schema.json")).sort() : [];
  return [join(repo, "docs/play-event.schema.json"), ...names.map((n) => join(dir, n))];
}

/**
 * The schema without the `title` of every field: pydantic titles each one, and the generator would
 * turn each title into a type alias (`Seq1`, `Seq2`, ...). Models (root and `$defs`) keep theirs.
 */
function withoutFieldTitles(node, isModel = true) {
  if (Array.isArray(node)) return node.map((item) => withoutFieldTitles(item, false));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "title" && !isModel) continue;
    if (key === "$defs" || key === "definitions") {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, def]) => [name, withoutFieldTitles(def)]));
    } else if (key === "properties") {
      // A field may itself be named "title"; only the schemas below the names lose theirs.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, withoutFieldTitles(sub, false)]));
    } else {
      out[key] = withoutFieldTitles(value, false);
    }
  }
  return out;
}

async function generateTypes(openapiDir, outDir) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  for (const name of ["ingest", "dashboard-api"]) {
    const source = join(openapiDir, `${name}.json`);
    const ast = await openapiTS(pathToFileURL(source));
    // The banner names the committed document, wherever this run exported it.
    await writeFile(join(outDir, `${name}.ts`), banner(join(committed.openapi, `${name}.json`)) + astToString(ast));
  }
  for (const source of await messageSchemas()) {
    const schema = withoutFieldTitles(JSON.parse(await readFile(source, "utf8")));
    const ts = await compile(schema, basename(source, ".schema.json"), {
      bannerComment: banner(source).trimEnd(),
      cwd: dirname(source),
      // The models emit only the fields they declare; an index signature would hide typos.
      additionalProperties: false,
      unreachableDefinitions: true,
    });
    await writeFile(join(outDir, `${basename(source, ".schema.json")}.ts`), ts);
  }
}

/** Relative paths of the files that differ between two folders (missing on either side counts). */
async function differences(expectedDir, actualDir) {
  const list = async (dir) => (existsSync(dir) ? (await readdir(dir)).sort() : []);
  const names = new Set([...(await list(expectedDir)), ...(await list(actualDir))]);
  const differing = [];
  for (const name of [...names].sort()) {
    const read = (dir) => readFile(join(dir, name), "utf8").catch(() => null);
    if ((await read(expectedDir)) !== (await read(actualDir))) differing.push(relative(repo, join(actualDir, name)));
  }
  return differing;
}

async function main() {
  if (!process.argv.includes("--check")) {
    exportOpenapi(committed.openapi);
    await generateTypes(committed.openapi, committed.types);
    return;
  }
  const scratch = await mkdtemp(join(tmpdir(), "topsongs-codegen-"));
  try {
    exportOpenapi(join(scratch, "openapi"));
    await generateTypes(join(scratch, "openapi"), join(scratch, "generated"));
    const stale = [
      ...(await differences(join(scratch, "openapi"), committed.openapi)),
      ...(await differences(join(scratch, "generated"), committed.types)),
    ];
    if (stale.length > 0) {
      console.error(`Out of date (run \`npm run generate\` in ui/ and commit): ${stale.join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
