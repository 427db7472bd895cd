#!/usr/bin/env node
// Usage: node ui/e2e/history-view.mjs BASE_URL REGION DATE EXPECTED_SONG_TITLE SCREENSHOT_PATH
// Opens the daily chart for REGION on DATE (YYYY-MM-DD, UTC); exits 0 once the song is in its
// top 10 (within 30 s), the chart's status badge says final or restated, and the reconciliation
// line has loaded (any verdict but "unavailable"); else 1 with a reason.
import {
  historyChartStatus,
  historyReconciliation,
  historyStateMessage,
  openHistory,
  runCheck,
  waitForHistorySong,
} from "./browser.mjs";

const [baseUrl, region, date, title, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !region || !date || !title || !screenshotPath) {
  console.error("usage: history-view.mjs BASE_URL REGION DATE EXPECTED_SONG_TITLE SCREENSHOT_PATH");
  process.exit(2);
}

const SETTLED = ["final", "restated"];

await runCheck("history-view", screenshotPath, async (page) => {
  await openHistory(page, baseUrl, region, date);
  try {
    await waitForHistorySong(page, title, { timeoutMs: 30_000 });
  } catch {
    const rows = await page.getByTestId("history-row").allInnerTexts();
    const state = await historyStateMessage(page);
    throw new Error(
      `"${title}" not in the ${region} daily chart for ${date} within 30 s ` +
        `(${state ?? (rows.length ? `chart: ${rows.map((r) => r.replace(/\s+/g, " ")).join(" | ")}` : "nothing shown")})`,
    );
  }

  // The bar chart shows its whole scale: the x axis reaches the top song's plays, inside the screen.
  const top = Number((await page.getByTestId("history-row").first().getAttribute("data-plays")) ?? "NaN");
  const axis = await page.evaluate(() => {
    const svg = document.querySelector('[data-testid="history-chart"] svg');
    const ticks = [...document.querySelectorAll('[data-testid="history-chart"] .recharts-xAxis-tick-labels text')];
    return {
      max: Math.max(...ticks.map((t) => Number(t.textContent))),
      right: svg ? svg.getBoundingClientRect().right : Number.POSITIVE_INFINITY,
      width: window.innerWidth,
    };
  });
  if (!(axis.max >= top)) throw new Error(`the chart's axis ends at ${axis.max}, below the top song's ${top} plays`);
  if (axis.right > axis.width) throw new Error(`the chart ends at ${axis.right} px, past the ${axis.width} px screen`);

  const chart = await historyChartStatus(page).catch(() => {
    throw new Error(`no visible chart status badge (chart-status) next to the ${region} daily chart for ${date}`);
  });
  if (!SETTLED.includes(chart.status)) {
    throw new Error(
      `the ${region} daily chart for ${date} is "${chart.status}", expected ${SETTLED.join(" or ")} (${chart.title})`,
    );
  }

  const reconciliation = await historyReconciliation(page).catch(() => {
    throw new Error(`no loaded reconciliation line under the ${region} daily chart for ${date} within 10 s`);
  });
  if (reconciliation.state === "unavailable") {
    throw new Error(
      `reconciliation unavailable for ${region} on ${date}: ${reconciliation.title ?? "no reason given"}`,
    );
  }
  console.log(`history-view: chart ${chart.status} (${chart.title}); ${reconciliation.text}`);
});
