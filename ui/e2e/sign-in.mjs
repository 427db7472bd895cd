#!/usr/bin/env node
// Usage: node ui/e2e/sign-in.mjs BASE_URL VIEWER_PASSWORD OPERATOR_PASSWORD SCREENSHOT_PATH TOKEN_LIFETIME_S
// Opens the dashboard with sign-in on: the provider's (Dex's) login page comes first; signed in as
// viewer@topsongs.test the live board connects and the pipeline page is refused (operators only);
// signed out and in again as operator@topsongs.test the pipeline page shows. Then, past the
// operator's first token's lifetime, the token was renewed in place with the refresh token: the
// page never went back to the provider, the live board is connected again and the API answers.
// Exits 0, else 1.
import { runCheck } from "./browser.mjs";

const [baseUrl, viewerPassword, operatorPassword, screenshotPath, lifetime] = process.argv.slice(2);
if (!baseUrl || !viewerPassword || !operatorPassword || !screenshotPath || !lifetime) {
  console.error("usage: sign-in.mjs BASE_URL VIEWER_PASSWORD OPERATOR_PASSWORD SCREENSHOT_PATH TOKEN_LIFETIME_S");
  process.exit(2);
}
const tokenLifetimeMs = Number(lifetime) * 1000;

/** Fills the provider's login form and waits to be back in the app, signed in as `email`. */
async function signInAtProvider(page, email, password) {
  const login = page.locator('input[name="login"]');
  await login.waitFor({ timeout: 30_000 });
  if (new URL(page.url()).origin === new URL(baseUrl).origin) {
    throw new Error(`the login form is served by the app (${page.url()}), not by the provider`);
  }
  await login.fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
  const signedIn = page.getByTestId("signed-in");
  await signedIn.getByText(email, { exact: true }).waitFor({ timeout: 30_000 });
  if (new URL(page.url()).search) throw new Error(`the address still holds the code: ${page.url()}`);
}

await runCheck("sign-in", screenshotPath, async (page) => {
  await page.goto(`${baseUrl}/#/`, { waitUntil: "domcontentloaded" });
  await signInAtProvider(page, "viewer@topsongs.test", viewerPassword);
  await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 30_000 });
  await page.getByTestId("nav-pipeline").click();
  const refused = page.getByTestId("operators-only");
  await refused.waitFor({ timeout: 15_000 });
  const why = await refused.innerText();
  if (!why.includes("lacks the operator role")) throw new Error(`the pipeline page says "${why}"`);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInAtProvider(page, "operator@topsongs.test", operatorPassword);
  const signedInAt = Date.now();
  // From here on: every renewal at the token endpoint, and any page load that leaves the app.
  const renewals = [];
  const left = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && (request.postData() ?? "").includes("grant_type=refresh_token")) {
      renewals.push(Date.now() - signedInAt);
    }
  });
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame() && new URL(frame.url()).origin !== new URL(baseUrl).origin) left.push(frame.url());
  });
  await page.getByTestId("nav-pipeline").click();
  await page.getByRole("heading", { name: "Pipeline" }).waitFor({ timeout: 15_000 });
  if (await refused.count()) throw new Error("the operator was refused the pipeline page");

  // Past the first token's expiry (dashboard-api ends the live socket then): back on the live board.
  await page.getByTestId("nav-live").click();
  await page.waitForTimeout(Math.max(tokenLifetimeMs + 3_000 - (Date.now() - signedInAt), 0));
  if (left.length) throw new Error(`the page left for ${left[0]} instead of renewing the token`);
  if (!renewals.length) throw new Error("the token was not renewed with the refresh token before it expired");
  await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 15_000 });
  await page.getByTestId("nav-pipeline").click();
  await page.getByRole("heading", { name: "Pipeline" }).waitFor({ timeout: 15_000 });
  if (await refused.count()) throw new Error("the renewed token was refused the pipeline page");
  if (left.length) throw new Error(`the page left for ${left[0]} after the renewal`);
  console.log(
    `sign-in: viewer saw the live board and was refused the pipeline page; the operator was not; ` +
      `renewed after ${renewals.map((ms) => (ms / 1000).toFixed(1)).join(", ")} s, still signed in`,
  );
});
