// Measurements, not assertions: page weight of dist/ (raw and gzip) on the
// first render's critical path (the page, its CSS, JS and wasm module) and
// of what loads later (the worker module the searches run in, api.js for
// docs sites, the service worker), the
// time from navigation to the first rendered result in headless chromium
// (median of 5 cold loads), and the time from an input to the updated result
// (median of 21 edits of the context field, each a full recompute: estimate,
// optimal split, searches, sweep, commands). Prints a block and writes
// target/measurements.json.
import { chromium } from '@playwright/test';
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { extname, join, resolve } from 'node:path';
import { serve } from './serve.mjs';
import { CHROMIUM } from './chromium.mjs';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');

// Loaded after the first render — on first use, or by the service worker
// once it is installed (for offline use): not on the critical path.
const deferred = (f) => f.startsWith('vramfit-worker') || f === 'api.js' || f === 'sw.js';

function pageWeight() {
  const kinds = { wasm: '.wasm', js: '.js', css: '.css', html: '.html' };
  const weight = {};
  for (const [kind, ext] of Object.entries(kinds)) {
    const files = readdirSync(dist).filter((f) => extname(f) === ext && !deferred(f));
    const bytes = files.map((f) => readFileSync(join(dist, f)));
    weight[kind] = {
      files,
      raw: bytes.reduce((n, b) => n + b.length, 0),
      gzip: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
    };
  }
  weight.total = {
    raw: Object.values(weight).reduce((n, w) => n + w.raw, 0),
    gzip: Object.values(weight).reduce((n, w) => n + w.gzip, 0),
  };
  const later = readdirSync(dist).filter(deferred);
  const bytes = later.map((f) => readFileSync(join(dist, f)));
  weight.deferred = {
    files: later,
    raw: bytes.reduce((n, b) => n + b.length, 0),
    gzip: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
  };
  return weight;
}

/** Milliseconds from typing into the context field to the updated DOM. */
async function inputToUpdate(url, edits = 21) {
  const browser = await chromium.launch({ headless: true, ...CHROMIUM });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByTestId('verdict').waitFor();
    const times = await page.evaluate(async (edits) => {
      const input = document.getElementById('vf-ctx');
      const kv = () => document.querySelector('[data-testid=kv]').textContent;
      const out = [];
      for (let i = 0; i < edits; i++) {
        const before = kv();
        // The moment the DOM shows the new result (a MutationObserver, not
        // polling: timer clamping would add up to 4 ms per poll).
        const shown = new Promise((resolve) => {
          const observer = new MutationObserver(() => {
            if (kv() !== before) {
              observer.disconnect();
              resolve(performance.now());
            }
          });
          observer.observe(document.body, { childList: true, characterData: true, subtree: true });
        });
        const t0 = performance.now();
        input.value = String(4096 + 1024 * (i + 1));
        input.dispatchEvent(new Event('input', { bubbles: true }));
        out.push((await shown) - t0);
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      }
      return out;
    }, edits);
    const sorted = [...times].sort((a, b) => a - b);
    return { edits, median_ms: Math.round(sorted[sorted.length >> 1] * 100) / 100, max_ms: Math.round(sorted[sorted.length - 1] * 100) / 100 };
  } finally {
    await browser.close();
  }
}

async function firstRender(url, loads = 5) {
  const browser = await chromium.launch({ headless: true, ...CHROMIUM });
  const times = [];
  try {
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      await page.getByTestId('verdict').waitFor();
      const t = await page.evaluate(
        () => performance.getEntriesByName('vf-first-result')[0]?.startTime ?? null,
      );
      if (t === null) throw new Error('the app did not mark vf-first-result');
      times.push(t);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { loads: times.map((t) => Math.round(t * 10) / 10), median_ms: Math.round(sorted[sorted.length >> 1] * 10) / 10 };
}

const server = await serve(dist);
const url = `http://127.0.0.1:${server.address().port}/`;
let render;
let update;
try {
  render = await firstRender(url);
  update = await inputToUpdate(url);
} finally {
  server.close();
}
const weight = pageWeight();
const result = { date: new Date().toISOString(), page_weight_bytes: weight, first_result_ms: render, input_to_update_ms: update };
mkdirSync(join(root, 'target'), { recursive: true });
writeFileSync(join(root, 'target', 'measurements.json'), JSON.stringify(result, null, 2) + '\n');

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
console.log('\n=== measurements (reported, not asserted) ===');
console.log('page weight (first render)   raw        gzip');
for (const kind of ['wasm', 'js', 'css', 'html', 'total']) {
  console.log(`  ${kind.padEnd(6)} ${kb(weight[kind].raw).padStart(22)} ${kb(weight[kind].gzip).padStart(11)}`);
}
console.log(`  budget: total ≤ 250 KB gzip`);
console.log(`  loaded after the first render (worker module, api.js, sw.js): ${kb(weight.deferred.raw)} raw, ${kb(weight.deferred.gzip)} gzip`);
console.log(`first rendered result: median ${render.median_ms} ms of ${render.loads.join(', ')} ms (budget ≤ 300 ms)`);
console.log(`input to updated result: median ${update.median_ms} ms, max ${update.max_ms} ms over ${update.edits} edits (budget: within a frame, 16 ms)`);
console.log('written to target/measurements.json');
