// Runs the survey page's own expression evaluator (src/web/assets/survey.js, as served)
// in headless Chromium over the shared case table, and prints one value per case.
// Driven by tests/api/browser.rs, which compares them with the table and with Rust.
// Usage: node expressions.mjs PAGE_URL CASES_JSON_FILE
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

const [url, file] = process.argv.slice(2);
const table = JSON.parse(readFileSync(file, "utf8"));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  const values = await page.evaluate((t) => t.cases.map((c) =>
    window.chorusExpr(c.ast, t.answers, t.current, t.today)), table);
  console.log(JSON.stringify({ ok: true, values }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e) }));
} finally {
  await browser.close();
}
