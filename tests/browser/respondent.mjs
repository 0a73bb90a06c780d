// Fills the default student questionnaire in headless Chromium at a phone viewport
// (390×844), with JavaScript on ("js") or off ("nojs"), runs axe-core on every page
// it sees, and prints a JSON summary.
// Driven by tests/api/browser.rs, which checks the stored data and the screenshots.
// Usage: node respondent.mjs BASE_URL SLUG OUT_DIR js|nojs
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";

const [base, slug, out, mode] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const js = mode === "js";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const context = await browser.newContext({
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  javaScriptEnabled: js,
  locale: "zh-CN",
});
const page = await context.newPage();
const axeContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: "zh-CN" });
const result = { mode, shots: [], steps: [], violations: [], axe_pages: 0 };
let shot = 0;
async function snap(name) {
  const file = `${out}/${String(++shot).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: file, fullPage: false });
  result.shots.push(file);
  // axe-core on every page the respondent sees (zero violations expected). Without
  // JavaScript axe cannot run in the page itself: the same HTML, scripts removed, is
  // checked in a page of its own that may run it.
  let target = page;
  if (!js) {
    target = await axeContext.newPage();
    await target.goto(`${base}/healthz`);
    const html = (await page.content()).replace(/<script[\s\S]*?<\/script>/g, "");
    await target.setContent(html);
  }
  const axe = await new AxeBuilder({ page: target }).analyze();
  if (!js) await target.close();
  result.axe_pages++;
  for (const v of axe.violations) {
    result.violations.push({ page: name, id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) });
  }
}
function step(s) { result.steps.push(s); }
const radio = (name, value) => page.check(`input[name="${name}"][value="${value}"]`);
const likert = async (ids, v) => { for (const id of ids) await radio(id, v); };
// A double tap without JavaScript submits the form twice: the browser aborts the first
// navigation for the second, so waiting for the first one may fail with ERR_ABORTED.
// What matters is where the page ends up (and, in browser.rs, that one response is stored).
async function doubleTapThenThanks(button) {
  await button.dblclick();
  for (let attempt = 0; ; attempt++) {
    try {
      await page.waitForURL(/thanks/, { timeout: 15000 });
      return;
    } catch (e) {
      if (attempt >= 3 || !/ERR_ABORTED|frame was detached|interrupted by another navigation/.test(String(e))) throw e;
    }
  }
}
const S = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => "S" + String(a + i).padStart(2, "0"));

async function pageOne() {
  await radio("bg_sector", "herbs");
  await radio("bg_school", "pszg");
  await radio("bg_grade", "g2");
  await radio("bg_intern", "no"); // skip rule: the internship statements are not asked
  await page.check('input[name="bg_activities"][value="none"]');
  await page.check('input[name="bg_activities"][value="visit"]'); // breaks the constraint
}

try {
  await page.goto(`${base}/s/${slug}`);
  await snap("page-1");
  if (js) {
    await pageOne();
    await page.click("button.next");
    const err = page.locator('[data-q="bg_activities"] .err');
    await err.waitFor();
    result.validation = await err.textContent();
    result.stayed_on_page_1 = await page.locator('section[data-page="0"]').isVisible();
    await snap("validation-error");
    step("validation error shown beside the question");
    await page.uncheck('input[name="bg_activities"][value="visit"]');
    await page.click("button.next");
    await page.locator('section[data-page="1"]').waitFor({ state: "visible" });
    result.progress_2 = (await page.locator(".progress span").textContent()).trim();
    await likert(S(1, 9), "4");
    await snap("page-2");
    await page.click("button.prev");
    await page.locator('section[data-page="0"]').waitFor({ state: "visible" });
    result.back_kept = await page.isChecked('input[name="bg_sector"][value="herbs"]');
    step("went back a page; answers kept");
    await page.click("button.next");
    await page.click("button.next");
    await page.locator('section[data-page="2"]').waitFor({ state: "visible" });
    result.skip_rule_hidden = !(await page.locator('[data-q="S12"]').isVisible());
    await likert(["S10", "S11"], "4");
    // The draft is saved 250 ms after the last change: wait until it holds S11.
    await page.waitForFunction(() => {
      for (let i = 0; i < localStorage.length; i++) {
        if ((localStorage.getItem(localStorage.key(i)) || "").includes('"S11":["4"]')) return true;
      }
      return false;
    }, null, { timeout: 10000 });
    await page.reload();
    await page.locator('section[data-page="2"]').waitFor({ state: "visible" });
    result.reload_kept = await page.isChecked('input[name="S10"][value="4"]');
    result.reload_kept_page_1 = await page.isChecked('input[name="bg_sector"][value="herbs"]');
    await snap("after-reload");
    step("reloaded mid-way; page and answers restored");
    await likert(S(16, 24), "5");
    await page.click("button.next");
    await page.locator('section[data-page="3"]').waitFor({ state: "visible" });
    result.progress_last = (await page.locator(".progress span").textContent()).trim();
    await page.fill('textarea[name="suggestion"]', "希望多安排企业实践。");
    await radio("recommend", "8");
    await snap("last-page");
    const submit = page.locator('button[type="submit"]');
    await doubleTapThenThanks(submit);
  } else {
    await pageOne();
    await likert(S(1, 11).filter((s) => s !== "S03"), "4"); // S03 left out: one error
    await likert(S(16, 24), "5");
    await page.fill('textarea[name="suggestion"]', "希望多安排企业实践。");
    await Promise.all([page.waitForLoadState("load"), page.click('button[type="submit"]')]);
    await page.waitForSelector("#errors");
    result.validation = await page.locator('[data-q="bg_activities"] .err').textContent();
    result.error_summary = await page.locator("#errors").textContent();
    result.kept_after_error = await page.isChecked('input[name="S01"][value="4"]');
    await snap("validation-errors");
    step("server listed the errors beside the questions, answers kept");
    await page.uncheck('input[name="bg_activities"][value="visit"]');
    await radio("S03", "4");
    await doubleTapThenThanks(page.locator('button[type="submit"]'));
  }
  result.thanks = (await page.locator("h1").textContent()).trim();
  await snap("thanks");
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e && e.stack || e);
  try { await snap("failure"); } catch (_) { /* ignore */ }
}
await browser.close();
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
