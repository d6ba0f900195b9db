// End-to-end test of the strata-select query page: starts storage, insert and
// select from <bin-dir>, writes known series, opens the page in headless
// Chromium and checks that a range query plots one path per series and that the
// table lists their labels; then the tenant page and an instant query.
// Usage (from the directory holding node_modules/playwright-core): node ui_e2e_test.mjs <bin-dir>
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "/"));
const { chromium } = require("playwright-core");
const bin = process.argv[2];
if (!bin) throw new Error("usage: node ui_e2e_test.mjs <bin-dir>");

const procs = [];
const dirs = [];
let failures = 0;
function check(cond, what) {
  console.log((cond ? "ok   " : "FAIL ") + what);
  if (!cond) failures++;
}

// A port in [32000, 32768): below the kernel's ephemeral range (so no outgoing
// connection of a test running beside this one holds it) and above the range the
// C++ tests take theirs from (tests/integration/service_process.cc). Never the same
// port twice in this process.
const givenPorts = new Set();
function tryListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}
async function freePort() {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = 32000 + Math.floor(Math.random() * 768);
    if (givenPorts.has(port)) continue;
    if (await tryListen(port)) {
      givenPorts.add(port);
      return port;
    }
  }
  throw new Error("no free port in [32000, 32768)");
}

async function start(name, args, httpPort) {
  const log = fs.openSync(path.join(os.tmpdir(), `ui-e2e-${name}-${httpPort}.log`), "w");
  const p = spawn(path.join(bin, name), args, { stdio: ["ignore", log, log] });
  procs.push(p);
  for (let i = 0; i < 150; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${httpPort}/ready`);
      if (r.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not become ready, see /tmp/ui-e2e-${name}-${httpPort}.log`);
}

async function main() {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "ui-e2e-"));
  dirs.push(data);
  const [sGrpc, sHttp, iHttp, qHttp] = [await freePort(), await freePort(), await freePort(), await freePort()];
  await start("strata-storage", [`--data-dir=${data}`, `--grpc-listen=127.0.0.1:${sGrpc}`,
                                 `--http-listen=127.0.0.1:${sHttp}`], sHttp);
  await start("strata-insert", [`--storage-nodes=127.0.0.1:${sGrpc}`, `--http-listen=127.0.0.1:${iHttp}`], iHttp);
  await start("strata-select", [`--storage-nodes=127.0.0.1:${sGrpc}`, `--http-listen=127.0.0.1:${qHttp}`], qHttp);

  // Two series over the last 30 minutes (a rising and a falling line), and one
  // series of tenant 5.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const ts = Array.from({ length: 61 }, (_, k) => now - 1800_000 + k * 30_000);
  const lines = [
    { metric: { __name__: "ui_test_metric", job: "ui", instance: "a" }, values: ts.map((_, k) => k), timestamps: ts },
    { metric: { __name__: "ui_test_metric", job: "ui", instance: "b" }, values: ts.map((_, k) => 60 - k), timestamps: ts },
  ];
  const body = lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
  let r = await fetch(`http://127.0.0.1:${iHttp}/api/v1/import`, { method: "POST", body });
  check(r.status === 204, `import tenant 0 -> ${r.status}`);
  r = await fetch(`http://127.0.0.1:${iHttp}/insert/5/prometheus/api/v1/import`, { method: "POST",
    body: JSON.stringify({ metric: { __name__: "ui_tenant_metric", team: "t5" }, values: ts.map(() => 7),
                           timestamps: ts }) + "\n" });
  check(r.status === 204, `import tenant 5 -> ${r.status}`);

  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`http://127.0.0.1:${qHttp}/`);
    check((await page.title()) === "Strata query", "page served at /");
    await page.fill("#expr", "ui_test_metric");
    await page.check("#mode-range");
    await page.click("#run");
    await page.waitForSelector("#graph path.series", { state: "attached", timeout: 10000 });
    const paths = await page.$$eval("#graph path.series", (ps) => ps.map((p) => ({
      series: p.dataset.series, d: p.getAttribute("d"), stroke: p.getAttribute("stroke") })));
    check(paths.length === 2, `two series plotted (got ${paths.length})`);
    for (const inst of ["a", "b"]) {
      const p = paths.find((x) => x.series === `ui_test_metric{instance="${inst}", job="ui"}`);
      const segs = p ? (p.d.match(/[ML]/g) || []).length : 0;
      // 1h range at step 14s over 30 min of data: well over 100 points per line.
      check(p && segs > 100 && p.d.startsWith("M"), `series ${inst} drawn as one polyline with ${segs} points`);
    }
    const rising = paths.find((x) => x.series.includes('instance="a"'));
    if (rising) {
      const pts = rising.d.slice(1).split(/[ML]/).map((s) => s.split(",").map(Number));
      check(pts[pts.length - 1][1] < pts[0][1], "rising series goes up on screen (y shrinks)");
    }
    const rows = await page.$$eval("#table tbody tr", (trs) => trs.map((tr) => tr.innerText));
    check(rows.length === 2 && rows.some((t) => t.includes('ui_test_metric{instance="a", job="ui"}')) &&
          rows.some((t) => t.includes('ui_test_metric{instance="b", job="ui"}')), "table lists both label sets");
    check((await page.textContent("#status")).startsWith("2 series"), "status line counts 2 series");
    await page.screenshot({ path: "/tmp/strata_ui_range.png", fullPage: true });

    // Instant query: the last values, 60 and 0.
    await page.check("#mode-instant");
    await page.fill("#expr", "sum by (instance) (ui_test_metric)");
    await page.click("#run");
    await page.waitForFunction(() => document.querySelectorAll("#table tbody tr").length === 2 &&
                                     document.querySelector("#status").textContent.startsWith("2 series"));
    const inst = await page.$$eval("#table tbody tr", (trs) => trs.map((tr) => tr.innerText.replace(/\s+/g, " ")));
    check(inst.includes('{instance="a"} 60') && inst.includes('{instance="b"} 0'), `instant values ${JSON.stringify(inst)}`);

    // A bad expression shows Prometheus' error.
    await page.fill("#expr", "sum(");
    await page.click("#run");
    await page.waitForSelector("#error", { state: "visible" });
    check((await page.textContent("#error")).startsWith("bad_data:"), "parse error shown");

    // Tenant page: only tenant 5's data.
    await page.goto(`http://127.0.0.1:${qHttp}/select/5/ui`);
    check((await page.textContent("#tenant")) === "tenant 5", "tenant page names its tenant");
    await page.fill("#expr", "{__name__=~\"ui_.*\"}");
    await page.click("#run");
    await page.waitForSelector("#graph path.series", { state: "attached", timeout: 10000 });
    const tpaths = await page.$$eval("#graph path.series", (ps) => ps.map((p) => p.dataset.series));
    check(tpaths.length === 1 && tpaths[0] === 'ui_tenant_metric{team="t5"}', `tenant 5 sees only its series ${tpaths}`);
    await page.screenshot({ path: "/tmp/strata_ui_tenant.png", fullPage: true });
  } finally {
    await browser.close();
  }
}

let err = null;
try {
  await main();
} catch (e) {
  err = e;
}
for (const p of procs) p.kill("SIGTERM");
await new Promise((r) => setTimeout(r, 300));
for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
if (err) {
  console.error(err);
  process.exit(1);
}
console.log(failures === 0 ? "PASS" : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
