/* console.js - drive the web console in Debian's chromium (headless) through
   playwright-core, for tests/e2e/test_console.py, which starts the real
   pipeline, runs one scenario of this file against it and checks what it
   reports with the tools a user would reach for (qpdf, the API).

       node console.js SCENARIO      (environment below)

   CONSOLE_URL   the ventilator's base URL
   CHROMIUM      the browser binary (/usr/bin/chromium); nothing is downloaded
   ARTIFACTS     where screenshots and the downloaded PDF go
   TEMPLATE      a job document file, for the submit form
   RECORDS       a JSON Lines records file, for the submit form
   JOB_ID        the job to cancel (cancel)
   TOKEN         the API token the prompt is given (token)

   Scenarios: submit (submit through the form, watch the bar reach 100%,
   chunk map counts, screenshots, download, an error at its field),
   preview (page 1 of the document shown inline), chunkmap (a job's map
   of many chunks is drawn, one cell each), cancel (cancel a running job from the list), phone (every page
   at 390x844 has no horizontal overflow), token (the prompt on 401).

   The last line printed is "RESULT <json>" with what the scenario saw; it
   exits 1 on any failure, any uncaught page error, and any console error
   the scenario did not provoke on purpose (a 400 it asked for).

   SPDX-License-Identifier: MPL-2.0 */
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const BASE = process.env.CONSOLE_URL;
const ARTIFACTS = process.env.ARTIFACTS || ".";
const STEP_TIMEOUT_MS = 60000;
const PROGRESS_TIMEOUT_MS = 300000;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function log(message) {
  process.stdout.write("console.js: " + message + "\n");
}

// Console errors: each is a failure unless the scenario said it expects
// that one (a resource answered with a status it provoked).
class ConsoleWatch {
  constructor(page) {
    this.errors = [];
    this.expected = [];   // [{status, url: RegExp}], each used once
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const text = msg.text();
      const url = (msg.location() || {}).url || "";
      const at = this.expected.findIndex((e) =>
        text.includes("status of " + e.status) && e.url.test(url));
      if (at >= 0) { this.expected.splice(at, 1); return; }
      this.errors.push(text + (url ? " (" + url + ")" : ""));
    });
    page.on("pageerror", (err) => this.errors.push("uncaught: " + err.message));
  }
  expect(status, url) { this.expected.push({ status, url }); }
  assertClean() {
    check(this.errors.length === 0, "console errors: " + JSON.stringify(this.errors));
  }
}

async function open(width, height) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({
    viewport: { width, height }, acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  return { browser, page, watch: new ConsoleWatch(page) };
}

async function progressOf(page) {
  return page.$eval("#job-progress", (bar) => Number(bar.getAttribute("aria-valuenow")));
}

// The submit form filled from the TEMPLATE and RECORDS files.
async function loadForm(page) {
  await page.goto(BASE + "/#/submit");
  await page.setInputFiles("#doc-file", process.env.TEMPLATE);
  await page.setInputFiles("#records-file", process.env.RECORDS);
  await page.waitForFunction(() => document.getElementById("records-text").value.length > 0);
}

// Check: the dry run's estimate, as {label: text}.
async function checkEstimate(page) {
  await page.click("#check-button");
  await page.waitForSelector("#estimate:not([hidden])");
  return page.$$eval("#estimate div", (divs) =>
    Object.fromEntries(divs.map((d) => [d.querySelector("dt").textContent, d.querySelector("dd").textContent])));
}

async function scenarioSubmit(page, watch) {
  const result = {};
  await loadForm(page);

  // Check: the dry run's estimate appears and enables Submit.
  result.estimate = await checkEstimate(page);
  log("estimate " + JSON.stringify(result.estimate));
  check(!(await page.isDisabled("#submit-button")), "Submit stays disabled after a good check");

  // Submit, which opens the job's page; watch its bar to 100%.
  await page.click("#submit-button");
  await page.waitForFunction(() => /^#\/job\/[0-9a-f]{32}$/.test(location.hash));
  result.job = (await page.evaluate(() => location.hash)).split("/")[2];
  log("submitted " + result.job);
  const seen = [];
  const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
  for (;;) {
    const value = await progressOf(page);
    if (seen[seen.length - 1] !== value) seen.push(value);
    if (value >= 100) break;
    check(Date.now() < deadline, "the bar stopped at " + value + "% (seen " + seen + ")");
    const state = await page.textContent("#job-state");
    check(state !== "failed" && state !== "cancelled", "the job " + state + ": " +
          await page.textContent("#job-error"));
    await page.waitForTimeout(25);
  }
  result.progress = seen;
  log("progress seen " + seen.join(" "));
  await page.waitForFunction(() => document.getElementById("job-state").textContent === "done");
  await page.waitForSelector("#job-download:not([hidden])");
  // The chunk map's counts once done (the last poll drew them).
  await page.waitForFunction(() =>
    document.querySelector('#chunk-counts [data-count="waiting"]').textContent === "0" &&
    document.querySelector('#chunk-counts [data-count="stored"]').textContent !== "0");
  result.counts = await page.$$eval("#chunk-counts [data-count]", (bs) =>
    Object.fromEntries(bs.map((b) => [b.dataset.count, Number(b.textContent.replace(/,/g, ""))])));
  result.canvas = await page.$eval("#chunk-map", (c) => ({
    width: c.width, height: c.height, chunks: Number(c.dataset.chunks), draw_ms: Number(c.dataset.drawMs) }));
  result.timeline = await page.$$eval("#job-timeline-legend li", (lis) => lis.map((li) => li.dataset.phase));
  await page.screenshot({ path: path.join(ARTIFACTS, "console-job.png") });

  // Download through the link.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#job-download")]);
  result.pdf = path.join(ARTIFACTS, "downloaded.pdf");
  await download.saveAs(result.pdf);
  log("downloaded " + result.pdf);
  const [index] = await Promise.all([page.waitForEvent("download"), page.click("#job-index")]);
  result.index = path.join(ARTIFACTS, "index.jsonl");
  await index.saveAs(result.index);

  // The jobs list shows it done at 100%.
  await page.goto(BASE + "/#/jobs");
  const row = '#jobs-body tr[data-job="' + result.job + '"]';
  await page.waitForSelector(row);
  result.list_percent = await page.$eval(row + " .bar", (b) => Number(b.getAttribute("aria-valuenow")));
  result.list_state = await page.textContent(row + " .state");
  await page.screenshot({ path: path.join(ARTIFACTS, "console-jobs.png") });

  // A document with a bad field: the error is shown at that field.
  await page.goto(BASE + "/#/submit");
  const doc = JSON.parse(fs.readFileSync(process.env.TEMPLATE, "utf8"));
  doc.template.page.size = "A99";
  await page.fill("#doc-text", JSON.stringify(doc, null, 1));
  watch.expect(400, /\/v1\/jobs\?dry_run=1/);
  await page.click("#check-button");
  await page.waitForSelector("#submit-error:not([hidden])");
  result.field_error = {
    where: await page.textContent("#submit-error .where"),
    message: await page.textContent("#submit-error .message"),
    selected: await page.$eval("#doc-text", (t) => t.value.slice(t.selectionStart, t.selectionEnd)),
  };
  log("field error " + JSON.stringify(result.field_error));
  return result;
}

// Preview page 1 of the invoice: shown inline as a PNG.
async function scenarioPreview(page) {
  await loadForm(page);
  await page.fill("#preview-page", "1");
  await page.click("#preview-button");
  await page.waitForFunction(() => {
    const img = document.getElementById("preview-image");
    return !document.getElementById("preview").hidden && img.complete && img.naturalWidth > 0;
  });
  return await page.$eval("#preview-image", (img) => ({
    width: img.naturalWidth, height: img.naturalHeight }));
}

// The chunk map of a job of many chunks: drawn, one cell per chunk.
async function scenarioChunkMap(page) {
  await page.goto(BASE + "/#/job/" + process.env.JOB_ID);
  await page.waitForFunction(() => document.getElementById("chunk-map").dataset.chunks);
  return await page.$eval("#chunk-map", (c) => ({
    chunks: Number(c.dataset.chunks), draw_ms: Number(c.dataset.drawMs),
    height: c.height, stored: Number(document.querySelector('#chunk-counts [data-count="stored"]')
      .textContent.replace(/,/g, "")) }));
}

async function scenarioCancel(page) {
  const id = process.env.JOB_ID;
  await page.goto(BASE + "/#/jobs");
  const row = '#jobs-body tr[data-job="' + id + '"]';
  await page.waitForSelector(row + " button.cancel:not([hidden])");
  let dialogText = null;
  page.once("dialog", (dialog) => { dialogText = dialog.message(); dialog.accept(); });
  await page.click(row + " button.cancel");
  await page.waitForFunction((sel) => {
    const s = document.querySelector(sel + " .state");
    return s && s.textContent === "cancelled";
  }, row);
  check(dialogText && dialogText.includes(id), "no confirmation naming the job: " + dialogText);
  return { job: id, dialog: dialogText, state: await page.textContent(row + " .state") };
}

async function scenarioPhone(page) {
  const result = {};
  for (const hash of ["#/jobs", "#/job/" + process.env.JOB_ID, "#/workers", "#/submit"]) {
    await page.goto(BASE + "/" + hash);
    await page.waitForTimeout(800);   // a poll or two has filled the page
    const sizes = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    result[hash.split("/")[1]] = sizes;
    check(sizes.scroll <= sizes.client,
          hash + " overflows at phone width: " + sizes.scroll + " > " + sizes.client);
  }
  await page.goto(BASE + "/#/jobs");
  await page.waitForTimeout(800);
  await page.screenshot({ path: path.join(ARTIFACTS, "console-phone-jobs.png"), fullPage: true });
  return result;
}

async function scenarioToken(page, watch) {
  watch.expect(401, /\/v1\//);
  await page.goto(BASE + "/#/job/" + process.env.JOB_ID);
  await page.waitForSelector("#token-dialog[open]");
  await page.fill("#token-input", process.env.TOKEN);
  await page.click("#token-ok");
  await page.waitForFunction(() => document.getElementById("job-state").textContent !== "");
  return {
    state: await page.textContent("#job-state"),
    stored: await page.evaluate(() => sessionStorage.getItem("pdfpipe.token") !== null),
  };
}

// Records as CSV through the form (the file's .csv name says so); Check,
// then Submit, and the job is followed to done.
async function scenarioCsv(page) {
  await loadForm(page);
  const estimate = await checkEstimate(page);
  await page.click("#submit-button");
  await page.waitForFunction(() => /^#\/job\/[0-9a-f]{32}$/.test(location.hash));
  const job = (await page.evaluate(() => location.hash)).split("/")[2];
  await page.waitForFunction(() => ["done", "failed", "cancelled"].includes(
    document.getElementById("job-state").textContent), null, { timeout: PROGRESS_TIMEOUT_MS });
  return { job, estimate, state: await page.textContent("#job-state"),
           error: await page.textContent("#job-error") };
}

// The Workers page while JOB_ID renders: a busy worker naming the job (its
// link) with a rate, and the desired count.
async function scenarioWorkers(page) {
  const id = process.env.JOB_ID;
  await page.goto(BASE + "/#/workers");
  const busy = '#workers-body tr:has(a[href="#/job/' + id + '"])';
  await page.waitForSelector(busy);
  // The rate is known once the worker has finished a chunk.
  await page.waitForFunction((sel) => {
    const cells = document.querySelector(sel).querySelectorAll("td");
    return /\d/.test(cells[4].textContent);
  }, busy, { timeout: PROGRESS_TIMEOUT_MS });
  const row = await page.$eval(busy, (tr) => {
    const cells = [...tr.querySelectorAll("td")].map((td) => td.textContent);
    return { worker: tr.dataset.worker, state: cells[1], rendering: cells[2], rate: cells[4] };
  });
  const figures = await page.$$eval("#workers-summary div", (divs) =>
    Object.fromEntries(divs.map((d) => [d.querySelector("dt").textContent, d.querySelector("dd").textContent])));
  await page.screenshot({ path: path.join(ARTIFACTS, "console-workers.png") });
  return { row, figures };
}

// Every page, with no console error; the token asked for first when
// TOKEN is set (tokens on).
async function scenarioPages(page, watch) {
  if (process.env.TOKEN) {
    watch.expect(401, /\/v1\//);
    await page.goto(BASE + "/#/jobs");
    await page.waitForSelector("#token-dialog[open]");
    await page.fill("#token-input", process.env.TOKEN);
    await page.click("#token-ok");
  }
  const seen = {};
  for (const hash of ["#/jobs", "#/job/" + process.env.JOB_ID, "#/workers", "#/submit"]) {
    await page.goto(BASE + "/" + hash);
    const view = "#view-" + hash.split("/")[1];
    await page.waitForSelector(view + ":not([hidden])");
    await page.waitForTimeout(600);   // a poll or two
    seen[hash.split("/")[1]] = await page.$eval(view, (v) => !v.hidden);
  }
  return seen;
}

// Cancel with the keyboard only: Tab to the row's Cancel, Enter opens the
// confirmation; dismissed (Escape) the job goes on, accepted it is cancelled.
async function scenarioKeyboardCancel(page) {
  const id = process.env.JOB_ID;
  await page.goto(BASE + "/#/jobs");
  const row = '#jobs-body tr[data-job="' + id + '"]';
  await page.waitForSelector(row + " button.cancel:not([hidden])");
  const focused = async () => page.evaluate((sel) =>
    document.activeElement === document.querySelector(sel + " button.cancel"), row);
  let tabs = 0;
  while (!(await focused())) {
    check(tabs < 60, "Cancel of " + id + " not reached with Tab");
    await page.keyboard.press("Tab");
    tabs++;
  }
  const dialogs = [];
  const answer = (how) => new Promise((resolve) => page.once("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog[how]();
    resolve();
  }));
  let asked = answer("dismiss");
  await page.keyboard.press("Enter");
  await asked;
  const afterDismiss = await page.textContent(row + " .state");
  check(await focused(), "focus left Cancel after the confirmation");
  asked = answer("accept");
  await page.keyboard.press("Enter");
  await asked;
  await page.waitForFunction((sel) => {
    const s = document.querySelector(sel + " .state");
    return s && s.textContent === "cancelled";
  }, row);
  return { tabs, dialogs, after_dismiss: afterDismiss };
}

const SCENARIOS = {
  submit: [1280, 800, scenarioSubmit],
  preview: [1280, 800, scenarioPreview],
  chunkmap: [1280, 800, scenarioChunkMap],
  cancel: [1280, 800, scenarioCancel],
  phone: [390, 844, scenarioPhone],
  token: [1280, 800, scenarioToken],
  csv: [1280, 800, scenarioCsv],
  workers: [1280, 800, scenarioWorkers],
  pages: [1280, 800, scenarioPages],
  keyboard: [1280, 800, scenarioKeyboardCancel],
};

async function main() {
  const name = process.argv[2];
  check(SCENARIOS[name], "unknown scenario " + name);
  const [width, height, run] = SCENARIOS[name];
  const started = Date.now();
  const { browser, page, watch } = await open(width, height);
  let result;
  try {
    result = await run(page, watch);
    watch.assertClean();
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, "failed-" + name + ".png") }).catch(() => {});
    throw err;
  } finally {
    await browser.close();
  }
  result.seconds = (Date.now() - started) / 1000;
  process.stdout.write("RESULT " + JSON.stringify(result) + "\n");
}

main().catch((err) => {
  process.stderr.write("console.js: " + (err.stack || err) + "\n");
  process.exit(1);
});
