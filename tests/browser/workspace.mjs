// Walks an evaluator through the workspace in headless Chromium at a laptop and a tablet
// viewport: log in with the form, the campaigns page, the fieldwork monitor watched
// while responses arrive (its live update, then paused with the keyboard), the results
// explorer (filters set with the form, keyboard only), the cross-tabulation from the
// filtered view, a refused third filter, the open answers, a report made as a job, the
// benchmarking page with its funnel plot, the token page; axe-core
// on every page. Prints a JSON summary; tests/api/browser.rs checks it and the shots.
// Usage: node workspace.mjs BASE_URL TOKEN CAMPAIGN OUT_DIR WIDTHxHEIGHT ARRIVALS_JSON
// (ARRIVALS_JSON: {"slug", "answers", "count"}, the responses that arrive while the
// fieldwork monitor is open).
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";

const [base, token, campaign, out, size, arrivalsFile] = process.argv.slice(2);
const arrivals = JSON.parse(readFileSync(arrivalsFile, "utf8"));
const [width, height] = size.split("x").map(Number);
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const context = await browser.newContext({ viewport: { width, height }, locale: "zh-CN" });
const page = await context.newPage();
const result = { size, shots: [], pages: [], violations: [], steps: [] };
let shot = 0;

async function check(name) {
  const file = `${out}/${String(++shot).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  result.shots.push(file);
  const axe = await new AxeBuilder({ page }).analyze();
  for (const v of axe.violations) {
    result.violations.push({ page: name, id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) });
  }
  result.pages.push({ name, url: page.url(), title: await page.title() });
}

/// The completed total the fieldwork monitor shows.
async function shownTotal() {
  return Number(await page.getAttribute("[data-total]", "data-total"));
}

/// Responses submitted through the respondent API, as phones would.
async function arrive(count) {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${base}/api/v1/surveys/${arrivals.slug}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_id: randomUUID(), answers: arrivals.answers }),
    });
    if (res.status !== 201) throw new Error(`submit ${res.status}: ${await res.text()}`);
  }
}

/// The monitor open while responses arrive: its total moves and the status announces
/// them without a reload; paused with the keyboard, it holds still.
async function watchFieldwork() {
  const url = page.url();
  const before = await shownTotal();
  await page.evaluate(() => document.getElementById("live").setAttribute("data-every", "1000"));
  await arrive(arrivals.count);
  const moved = await page
    .waitForFunction((n) => Number(document.querySelector("[data-total]").getAttribute("data-total")) >= n, before + arrivals.count, { timeout: 20000 })
    .then(() => true, () => false);
  const news = (await page.textContent("#live-news")) || "";
  result.steps.push(`live ${moved ? "moved" : "stuck"} +${(await shownTotal()) - before} news ${news.includes("新增")} reloaded ${page.url() !== url}`);
  await page.focus("#live-toggle");
  await page.keyboard.press("Enter");
  const paused = await shownTotal();
  await arrive(1);
  await page.waitForTimeout(2500);
  const pressed = await page.getAttribute("#live-toggle", "aria-pressed");
  result.steps.push(`paused ${pressed} held ${(await shownTotal()) === paused}`);
}

try {
  await page.goto(`${base}/admin`);
  await check("login");
  // Keyboard only: focus the token field, type, Enter.
  await page.focus("#token");
  await page.keyboard.type(token);
  await page.keyboard.press("Enter");
  const loggedIn = await page
    .waitForSelector('form[action="/admin/logout"]', { timeout: 15000 })
    .then(() => true, () => false);
  result.steps.push(loggedIn ? "logged in" : `login failed: ${(await page.textContent("body")).slice(0, 300)}`);
  await check("campaigns");
  await Promise.all([page.waitForURL(/fieldwork/), page.click(`a[href="/admin/campaigns/${campaign}/fieldwork"]`)]);
  await watchFieldwork();
  await check("fieldwork");
  await Promise.all([page.waitForURL(/results/), page.click(`a[href="/admin/campaigns/${campaign}/results"]`)]);
  await check("results");
  // Two filters with the keyboard: the first value of school and of sector, then Apply.
  for (const name of ["school", "sector"]) {
    const values = await page.$$eval(`select[name="${name}"] option`, (os) => os.map((o) => o.value).filter((v) => v));
    await page.focus(`select[name="${name}"]`);
    await page.selectOption(`select[name="${name}"]`, values[0]);
    result.steps.push(`${name}=${values[0]}`);
  }
  await page.focus('form.filters button[type="submit"]');
  await Promise.all([page.waitForURL(/school=.*sector=/), page.keyboard.press("Enter")]);
  result.steps.push((await page.content()).includes(" 且 ") ? "two filters shown" : "filters missing");
  await check("results-filtered");
  // Cross-tabulation from the filtered view (the link keeps the filters): rows by the
  // first single-choice question, against the composite, with the keyboard; the table,
  // the test line and the workbook link are there.
  const filtered = page.url();
  await Promise.all([page.waitForURL(/crosstab/), page.click('nav a[href*="/crosstab"]')]);
  const rowChoice = await page.$$eval('select[name="rows"] option', (os) => os.map((o) => o.value).find((v) => v.startsWith("q:")) || "attr:sector");
  await page.focus('select[name="rows"]');
  await page.selectOption('select[name="rows"]', rowChoice);
  await page.focus('form.filters button[type="submit"]');
  await Promise.all([page.waitForURL(/rows=/), page.keyboard.press("Enter")]);
  const crossRows = await page.locator("#crosstab tbody tr").count();
  const testLine = (await page.textContent("#test")) || "";
  const workbook = await page.locator('a[href*="crosstab.xlsx"]').count();
  result.steps.push(`crosstab ${rowChoice} rows ${crossRows} test ${testLine.length > 0} xlsx ${workbook}`);
  await check("crosstab");
  const refused = await page.goto(`${filtered}&grade=zz`);
  result.steps.push(`third filter ${refused.status()}`);
  await check("results-refused");
  // The open answers of the whole campaign, from the results page's navigation.
  await page.goto(`${base}/admin/campaigns/${campaign}/results`);
  await Promise.all([page.waitForURL(/\/text/), page.click('nav a[href*="/text"]')]);
  const themeRows = await page.locator("#themes tbody tr").count();
  const charts = await page.locator("figure.chart svg").count();
  result.steps.push(`open answers themes ${themeRows} charts ${charts}`);
  await check("open-answers");
  await page.goto(`${base}/admin/campaigns/${campaign}/results`);
  await Promise.all([page.waitForURL(/benchmark/), page.click(`a[href="/admin/campaigns/${campaign}/benchmark"]`)]);
  await page.selectOption('select[name="group"]', "teachers");
  await Promise.all([page.waitForURL(/group=teachers/), page.click('form.filters button[type="submit"]')]);
  result.steps.push(`funnel points ${await page.locator("svg circle").count()}`);
  await check("benchmark");
  // A report as a job: the form with the keyboard, then the job page refreshes itself
  // until the download is offered.
  await page.goto(`${base}/admin`);
  await Promise.all([page.waitForURL(/reports/), page.click(`a[href="/admin/campaigns/${campaign}/reports"]`)]);
  await check("reports");
  await page.focus('select[name="format"]');
  await page.selectOption('select[name="format"]', "html");
  await page.focus('form.filters button[type="submit"]');
  await Promise.all([page.waitForURL(/\/admin\/reports\//), page.keyboard.press("Enter")]);
  const ready = await page.locator("#download").waitFor({ timeout: 90000 }).then(() => true, () => false);
  result.steps.push(ready ? "report ready" : `report not ready: ${await page.textContent("#status")}`);
  await check("report-job");
  await page.goto(`${base}/admin`);
  await Promise.all([page.waitForURL(/tokens/), page.click('a[href="/admin/tokens"]')]);
  await check("tokens");
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e);
}
await browser.close();
console.log(JSON.stringify(result));
