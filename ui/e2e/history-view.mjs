#!/usr/bin/env node
// Usage: node ui/e2e/history-view.mjs BASE_URL REGION DATE EXPECTED_SONG_TITLE SCREENSHOT_PATH
// Opens the daily chart for REGION on DATE (YYYY-MM-DD, UTC); exits 0 once the song is in
// its top 10 (within 30 s), else 1 with a reason.
import { historyStateMessage, openHistory, runCheck, waitForHistorySong } from "./browser.mjs";

const [baseUrl, region, date, title, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !region || !date || !title || !screenshotPath) {
  console.error("usage: history-view.mjs BASE_URL REGION DATE EXPECTED_SONG_TITLE SCREENSHOT_PATH");
  process.exit(2);
}

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
});
