// Reusable browser helpers for end-to-end checks of the Top Songs UI.
// Drives Debian's Chromium through playwright-core; no browser download is involved.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";

const CHROMIUM_PATH = process.env.TOPSONGS_CHROMIUM ?? "/usr/bin/chromium";

/**
 * The viewport every check runs at: TOPSONGS_BROWSER_VIEWPORT=WIDTHxHEIGHT (the tests also run at a
 * phone's 390x844), a desktop window otherwise. A viewport, not --window-size: headless Chromium
 * keeps windows at least 500 px wide and a screenshot of a narrower one crops a wider page.
 */
function viewportFromEnv() {
  const match = /^(\d+)x(\d+)$/.exec(process.env.TOPSONGS_BROWSER_VIEWPORT ?? "");
  return match ? { width: Number(match[1]), height: Number(match[2]) } : { width: 1100, height: 900 };
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts Chromium with a fresh profile and returns { page, close, problems }.
 * `problems` collects page errors and failed API calls, for messages when a check fails.
 */
async function launchBrowser({ viewport = viewportFromEnv() } = {}) {
  const userDataDir = await mkdtemp(join(tmpdir(), "topsongs-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    if (response.url().includes("/api/") && response.status() >= 400) {
      problems.push(`${response.status()} ${response.url()}`);
    }
  });
  const close = async () => {
    await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true });
  };
  return { page, close, problems };
}

/** Joins the app's base URL and a hash route such as `/history?region=US`. */
function appUrl(baseUrl, route = "/") {
  return `${baseUrl.replace(/\/+$/, "")}/#${route}`;
}

/** Opens a URL and waits for the app shell to render. */
async function openUrl(page, url) {
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.getByRole("navigation", { name: "Views" }).waitFor();
}

/** Picks `region` in the region selector once /api/regions has offered it. */
async function selectRegion(page, region, { timeoutMs = 10_000 } = {}) {
  const select = page.getByTestId("region-select");
  try {
    await select.locator(`option[value="${region}"]`).waitFor({ state: "attached", timeout: timeoutMs });
  } catch {
    const offered = await select.locator("option").allInnerTexts();
    throw new Error(`region ${region} is not offered by the region selector (options: ${offered.join(", ")})`);
  }
  await select.selectOption(region, { timeout: timeoutMs });
}

/** Opens the live board and selects a region (and optionally a window: 5m, 60m, hour). */
export async function openLiveBoard(page, baseUrl, region, { window } = {}) {
  await openUrl(page, appUrl(baseUrl, "/"));
  await selectRegion(page, region);
  if (window) await page.getByTestId("window-select").selectOption(window);
}

/** Waits until the live top-10 list shows a song with exactly this title. */
export async function waitForLiveSong(page, title, { timeoutMs = 30_000 } = {}) {
  await page
    .getByTestId("live-list")
    .getByTestId("live-title")
    .getByText(title, { exact: true })
    .waitFor({ state: "visible", timeout: timeoutMs });
}

/** Titles on the live board, in rank order. */
export async function liveBoardTitles(page) {
  const rows = await page.getByTestId("live-row").evaluateAll((elements) =>
    elements.map((row) => ({
      rank: Number(row.getAttribute("data-rank")),
      title: row.querySelector("[data-testid=live-title]")?.textContent ?? "",
    })),
  );
  return rows.sort((a, b) => a.rank - b.rank).map((row) => row.title);
}

/** The live board's connection indicator state: connecting, live, reconnecting or offline. */
export async function connectionState(page) {
  return page.getByTestId("connection-status").getAttribute("data-state");
}

/**
 * Opens the history view for a region and a UTC day (`YYYY-MM-DD`), or an hour of it
 * when `hour` (0–23) is given, using the on-page controls.
 */
export async function openHistory(page, baseUrl, region, date, { hour } = {}) {
  await openUrl(page, appUrl(baseUrl, "/"));
  await page.getByTestId("nav-history").click();
  await page.getByTestId("granularity-select").waitFor();
  await selectRegion(page, region);
  await page.getByTestId("granularity-select").selectOption(hour === undefined ? "day" : "hour");
  await page.getByTestId("date-input").fill(date);
  if (hour !== undefined) await page.getByTestId("hour-input").selectOption(String(hour));
}

/**
 * Waits until the history top 10 (chart and list) shows a song with exactly this title.
 * Reloads every `reloadEveryMs`: a closed period is not polled, yet its chart appears once the job has run.
 */
export async function waitForHistorySong(page, title, { timeoutMs = 30_000, reloadEveryMs = 5_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const song = page.getByTestId("history-list").getByText(title, { exact: true });
  for (;;) {
    const remaining = deadline - Date.now();
    try {
      await song.waitFor({ state: "visible", timeout: Math.max(1, Math.min(reloadEveryMs, remaining)) });
      break;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await page.reload({ waitUntil: "domcontentloaded" });
    }
  }
  await page.getByTestId("history-chart").locator("svg").first().waitFor({ timeout: 5_000 });
}

/** The history chart's status badge once shown: { status: open|pending|final|restated, title: its figures }. */
export async function historyChartStatus(page, { timeoutMs = 5_000 } = {}) {
  const badge = page.getByTestId("chart-status");
  await badge.waitFor({ state: "visible", timeout: timeoutMs });
  return { status: await badge.getAttribute("data-status"), title: await badge.getAttribute("title") };
}

/**
 * The reconciliation line once it has loaded: { state, text, title }, where state is agree,
 * explained, unexplained, pending or unavailable (the endpoint failed; title then holds the error).
 */
export async function historyReconciliation(page, { timeoutMs = 10_000 } = {}) {
  const line = page.locator('[data-testid="reconciliation"]:not([data-state="loading"])');
  await line.waitFor({ state: "visible", timeout: timeoutMs });
  return {
    state: await line.getAttribute("data-state"),
    text: (await line.innerText()).replace(/\s+/g, " ").trim(),
    title: await line.getAttribute("title"),
  };
}

/** Text of whatever state message the history view shows (empty/error), or null. */
export async function historyStateMessage(page) {
  for (const id of ["history-error", "history-empty"]) {
    const element = page.getByTestId(id);
    if (await element.count()) return element.innerText();
  }
  return null;
}

/** Opens the pipeline page through the main navigation. */
export async function openPipeline(page, baseUrl) {
  await openUrl(page, appUrl(baseUrl, "/"));
  await page.getByTestId("nav-pipeline").click();
  await page.getByRole("heading", { name: "Pipeline" }).waitFor();
}

/**
 * Waits (the page polls every 5 s) until stage `id` shows `health` (up, down, unknown);
 * returns { health, rate } as displayed, or throws with what it showed instead.
 */
export async function pipelineStage(page, id, { health, timeoutMs = 30_000 } = {}) {
  const stage = page.getByTestId(`stage-${id}`);
  try {
    await page.locator(`[data-testid="stage-${id}"][data-health="${health}"]`).waitFor({ timeout: timeoutMs });
  } catch {
    const shown = (await stage.count()) ? await stage.getAttribute("data-health") : "no such stage";
    throw new Error(`stage ${id} is "${shown}" after ${timeoutMs / 1000} s, expected "${health}"`);
  }
  const rate = stage.getByTestId("stage-rate");
  return { health, rate: (await rate.count()) ? await rate.innerText() : "" };
}

/** Saves a full-page PNG screenshot, creating the folder if needed. */
async function saveScreenshot(page, path) {
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true, animations: "disabled" });
}

/** Runs `check(page)` in a fresh browser; exits 0 on success, 1 with a message otherwise. */
export async function runCheck(name, screenshotPath, check) {
  const { page, close, problems } = await launchBrowser();
  let failure = null;
  try {
    await check(page);
    // Nothing may be wider than the screen: a page that scrolls sideways hides part of a chart.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) {
      const width = await page.evaluate(() => window.innerWidth);
      throw new Error(`the page is ${overflow} px wider than the ${width} px viewport (it scrolls sideways)`);
    }
  } catch (error) {
    failure = error;
  }
  try {
    if (screenshotPath) await saveScreenshot(page, screenshotPath);
  } catch (error) {
    console.error(`${name}: could not save screenshot: ${error.message}`);
  }
  await close();
  if (failure) {
    console.error(`${name}: FAILED: ${failure.message.split("\n")[0]}`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log(`${name}: ok`);
}
