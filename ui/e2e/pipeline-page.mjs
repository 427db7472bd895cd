#!/usr/bin/env node
// Usage: node ui/e2e/pipeline-page.mjs BASE_URL DOWN_STAGE_ID SCREENSHOT_PATH
// Opens the pipeline page from the navigation; exits 0 once the ingest stage is up with a rate
// above 0 and a freshness row with an age and when it moved, the live and lake stages' freshness rows
// say they hold nothing yet (no worker or lake job runs in the test), DOWN_STAGE_ID is marked down
// and named in the "Down:" line, and a sparkline has points; else 1 with a reason.
import { openPipeline, pipelineStage, runCheck } from "./browser.mjs";

const [baseUrl, downStage, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !downStage || !screenshotPath) {
  console.error("usage: pipeline-page.mjs BASE_URL DOWN_STAGE_ID SCREENSHOT_PATH");
  process.exit(2);
}

await runCheck("pipeline-page", screenshotPath, async (page) => {
  await openPipeline(page, baseUrl);
  const ingest = await pipelineStage(page, "ingest", { health: "up" });
  const rate = Number.parseFloat(ingest.rate.replace(/,/g, ""));
  if (!(rate > 0)) throw new Error(`the ingest stage shows rate "${ingest.rate}", expected a number above 0`);
  await pipelineStage(page, downStage, { health: "down" });
  const down = await page.getByTestId("stages-down").innerText();
  const title = await page.getByTestId(`stage-${downStage}`).locator("h3").innerText();
  if (!down.includes(title)) throw new Error(`the "Down" line says "${down}", without ${title}`);
  const fresh = await freshnessRow(page, "ingest", /^Newest play\s*\d+ s old · moved \d+ s ago$/);
  for (const stage of ["live", "lake"]) await freshnessRow(page, stage, /^Newest (counted|in lake)\s*— old$/);
  const spark = page.getByTestId("spark-ingest_rate");
  await page.waitForFunction(
    (element) => Number(element?.getAttribute("data-points")) > 1,
    await spark.elementHandle(),
    { timeout: 40_000 },
  );
  console.log(`pipeline-page: ingest ${ingest.rate}, ${fresh}; ${down}`);
});

/** The text of a stage's freshness row once it matches `expected` (the page polls every 5 s). */
async function freshnessRow(page, stage, expected) {
  const row = page.getByTestId(`stage-freshness-${stage}`);
  const text = async () => ((await row.count()) ? (await row.innerText()).replace(/\s+/g, " ").trim() : "");
  const deadline = Date.now() + 30_000;
  let shown = await text();
  while (!expected.test(shown)) {
    if (Date.now() > deadline) throw new Error(`the ${stage} freshness row says "${shown}", expected ${expected}`);
    await page.waitForTimeout(500);
    shown = await text();
  }
  return shown;
}
