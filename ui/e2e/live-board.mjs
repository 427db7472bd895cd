#!/usr/bin/env node
// Usage: node ui/e2e/live-board.mjs BASE_URL REGION EXPECTED_SONG_TITLE SCREENSHOT_PATH
// Exits 0 once the song is on the live top 10 for REGION (within 30 s) and the board says how fresh
// it is (plays/s above 0, an age for the newest counted play), else 1 with a reason.
import { connectionState, liveBoardTitles, openLiveBoard, runCheck, waitForLiveSong } from "./browser.mjs";

const [baseUrl, region, title, screenshotPath] = process.argv.slice(2);
if (!baseUrl || !region || !title || !screenshotPath) {
  console.error("usage: live-board.mjs BASE_URL REGION EXPECTED_SONG_TITLE SCREENSHOT_PATH");
  process.exit(2);
}

await runCheck("live-board", screenshotPath, async (page) => {
  await openLiveBoard(page, baseUrl, region);
  try {
    await waitForLiveSong(page, title, { timeoutMs: 30_000 });
  } catch {
    const rows = await liveBoardTitles(page);
    throw new Error(
      `"${title}" not on the ${region} live board within 30 s ` +
        `(connection: ${await connectionState(page)}; board: ${rows.length ? rows.join(" | ") : "empty"})`,
    );
  }
  const rate = await page.getByTestId("plays-per-second").innerText();
  const age = await page.getByTestId("newest-play-age").getAttribute("data-seconds");
  if (!(Number.parseFloat(rate) > 0) || age === "" || Number.isNaN(Number(age))) {
    throw new Error(`the board does not say how fresh it is (plays/s "${rate}", newest play age "${age}")`);
  }
});
