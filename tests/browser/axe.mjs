// Opens each page at a phone viewport (390×844) in headless Chromium, screenshots it and
// runs axe-core on it; prints a JSON summary (status, title, violations per page).
// Driven by tests/api/browser.rs for the respondent pages not reached by filling a form
// (not yet open, closed, full, unknown questionnaire).
// Usage: node axe.mjs BASE_URL OUT_DIR PATH...
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";

const [base, out, ...paths] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: "zh-CN" });
const page = await context.newPage();
const result = { pages: [], violations: [], shots: [] };
try {
  for (const [i, path] of paths.entries()) {
    const res = await page.goto(`${base}${path}`);
    const file = `${out}/${String(i + 1).padStart(2, "0")}.png`;
    await page.screenshot({ path: file });
    result.shots.push(file);
    const axe = await new AxeBuilder({ page }).analyze();
    result.pages.push({ path, status: res.status(), title: await page.title(), h1: (await page.locator("h1").first().textContent()).trim() });
    for (const v of axe.violations) {
      result.violations.push({ page: path, id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) });
    }
  }
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e && e.stack || e);
}
await browser.close();
console.log(JSON.stringify(result));
