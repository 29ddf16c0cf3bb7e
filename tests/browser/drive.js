// Opens a page ActionBench shared, from file://, in headless Chromium (Debian's) with the
// network cut off, drives it as a reader would, and prints what it saw as JSON for the Rust
// test or bench that called it to judge:
//
//   node drive.js flow PAGE.html        the captions by #step=N, the keys, a click on a step,
//                                       a call by #call=ID, the page with scripts off
//   node drive.js session PAGE.html ID  find, flagged only, a call by #call=ID, what ran
//   node drive.js timing PAGE.html      milliseconds until the log is drawn and find works
"use strict";
const { chromium } = require("playwright-core");
const { pathToFileURL } = require("node:url");

const [mode, page, arg] = process.argv.slice(2);
const url = pathToFileURL(page).href;

async function open(browser, hash, options = {}) {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 800 }, ...options });
  const requests = [];
  // Every request other than the page itself is noted and refused.
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (u.split("#")[0] === url) return route.continue();
    requests.push(u);
    return route.abort();
  });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(String(e)));
  p.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await p.goto(url + (hash || ""));
  if (options.javaScriptEnabled !== false) await p.waitForSelector("body[data-ready=yes]", { timeout: 20000 });
  return { context, p, requests, errors };
}

const text = (p, sel) => p.$eval(sel, (e) => e.textContent.trim()).catch(() => null);

async function flow(browser) {
  const out = { byHash: [], requests: [], errors: [] };
  const first = await open(browser, "");
  const n = await first.p.$$eval("li.beat", (l) => l.length);
  out.beats = n;
  out.first = await text(first.p, "#caption");
  // Space, →, ← move; the address follows.
  await first.p.keyboard.press("Space");
  await first.p.keyboard.press("ArrowRight");
  await first.p.keyboard.press("ArrowLeft");
  out.afterKeys = { caption: await text(first.p, "#caption"), hash: await first.p.evaluate(() => location.hash) };
  // A click on the last step's box shows that step's last beat.
  const boxes = await first.p.$$("li.beat.current [data-goto]");
  await boxes[boxes.length - 1].click();
  out.afterClick = { hash: await first.p.evaluate(() => location.hash), caption: await text(first.p, "#caption") };
  out.theme = await first.p.evaluate(() => document.documentElement.dataset.theme || "");
  await first.p.keyboard.press("t");
  out.themeAfterT = await first.p.evaluate(() => document.documentElement.dataset.theme || "");
  out.requests.push(...first.requests);
  out.errors.push(...first.errors);
  await first.context.close();
  for (let i = 1; i <= n; i++) {
    const o = await open(browser, `#step=${i}`);
    out.byHash.push(await text(o.p, "#caption"));
    out.requests.push(...o.requests);
    out.errors.push(...o.errors);
    await o.context.close();
  }
  // A call by its hash.
  const call = await open(browser, `#call=${arg || 1}`);
  out.call = await text(call.p, "#call-body");
  out.callOpen = await call.p.$eval("#call-view", (d) => d.open);
  await call.context.close();
  // Without scripts: every beat's caption is on the page, shown.
  const off = await open(browser, "", { javaScriptEnabled: false });
  out.scriptsOff = await off.p.$$eval("li.beat .caption", (l) =>
    l.map((e) => ({ text: e.textContent.trim(), shown: e.getBoundingClientRect().height > 0 })));
  await off.context.close();
  return out;
}

async function session(browser) {
  const o = await open(browser, arg ? `#call=${arg}` : "");
  const p = o.p;
  const out = {};
  out.rows = await p.$$eval("#log .row", (l) => l.length);
  out.detail = await text(p, "#detail");
  out.selected = await p.$$eval("#log .row.selected", (l) => l.map((r) => r.dataset.id));
  out.pwned = await p.evaluate(() => document.body.dataset.pwned || null);
  out.scripts = await p.$$eval("script", (l) => l.length);
  out.images = await p.$$eval("img", (l) => l.length);
  out.links = await p.$$eval("a[href]", (l) => l.map((a) => a.getAttribute("href")));
  await p.check("#flagged-only");
  await p.waitForTimeout(50);
  out.flaggedShown = await p.$$eval("#log .row:not([hidden])", (l) => l.map((r) => r.dataset.id));
  await p.uncheck("#flagged-only");
  await p.fill("#find", "needle-in-a-body");
  await p.waitForTimeout(300);
  out.found = await p.$$eval("#log .row:not([hidden])", (l) => l.map((r) => r.dataset.id));
  out.shown = await text(p, "#shown");
  // A click on a row's text selects it; ↓ moves.
  await p.fill("#find", "");
  await p.waitForTimeout(300);
  await p.click("#log .row:first-of-type span:nth-child(3)");
  await p.keyboard.press("ArrowDown");
  out.afterArrow = await p.$$eval("#log .row.selected", (l) => l.map((r) => r.dataset.id));
  out.hash = await p.evaluate(() => location.hash);
  out.requests = o.requests;
  out.errors = o.errors;
  await o.context.close();
  return out;
}

async function timing(browser) {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 800 } });
  const p = await context.newPage();
  const start = Date.now();
  await p.goto(url);
  await p.waitForSelector("#log .row");
  const drawn = Date.now() - start;
  await p.waitForSelector("body[data-ready=yes]", { timeout: 60000 });
  const ready = Date.now() - start;
  await p.fill("#find", "no-such-text-anywhere");
  await p.waitForFunction(() => document.getElementById("shown").textContent.startsWith("0 of"), null, { timeout: 60000 });
  const found = Date.now() - start;
  await context.close();
  return { drawn, ready, found };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const run = { flow, session, timing }[mode];
    if (!run) throw new Error(`unknown mode ${mode}`);
    process.stdout.write(JSON.stringify(await run(browser)) + "\n");
  } finally {
    await browser.close();
  }
})().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
