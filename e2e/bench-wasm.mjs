// Speed inside the browser: a full recompute (window.vramfit.plan: validate,
// estimate, optimal split, longest context, most sequences, sweep, commands,
// JSON out) timed in headless chromium over many runs, for the cases
// tests/bench/plan.rs times natively, and the catalog searches through the
// worker module. Prints the plans' Markdown table (the searches' goes to
// target/bench/wasm-search.md and stderr); writes target/bench-wasm.json.
// Measures only.
import { chromium } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve } from './serve.mjs';
import { CHROMIUM } from './chromium.mjs';

const root = resolve(import.meta.dirname, '..');
const CASES = [
  ['Llama 3.1 405B, llama.cpp Q4_K_M, 8x H100, 32k × 4', { model: 'llama-3.1-405b', gpus: '8xh100-sxm', ctx: 32768, batch: 4 }],
  ['Llama 3.1 405B, vLLM FP8, 8x H100 (TP search)', { model: 'llama-3.1-405b', gpus: '8xh100-sxm', engine: 'vllm', weights: 'fp8', ctx: 32768, batch: 4 }],
  ['Llama 3.1 405B does not fit on 4x 24GB (ways out)', { model: 'llama-3.1-405b', gpus: '4x24GB', ctx: 32768, batch: 4 }],
  ['Llama 3.1 8B, the default page', { model: 'llama-3.1-8b', gpus: '2x24GB' }],
];

// The catalog searches, answered by the worker module.
const SEARCHES = [
  ['fit: the whole catalog on 2x RTX 4090, llama.cpp', 'fit', { gpus: '2xrtx-4090' }],
  ['fit: the whole catalog on an H100, vLLM', 'fit', { gpus: 'h100-sxm', engine: 'vllm' }],
  ['buy: Llama 3.1 70B Q4_K_M, every priced card, up to 8', 'buy', { model: 'llama-3.1-70b' }],
  ['buy: Llama 3.1 70B Q4_K_M, rented', 'buy', { model: 'llama-3.1-70b', mode: 'rent' }],
];
const searches = [];

const server = await serve(join(root, 'dist'));
const browser = await chromium.launch({ headless: true, ...CHROMIUM });
const rows = [];
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.getByTestId('verdict').waitFor();
  for (const [label, input] of CASES) {
    const times = await page.evaluate((input) => {
      for (let i = 0; i < 5; i++) window.vramfit.plan(input);
      const out = [];
      for (let i = 0; i < 40; i++) {
        const t0 = performance.now();
        window.vramfit.plan(input);
        out.push(performance.now() - t0);
      }
      return out.sort((a, b) => a - b);
    }, input);
    rows.push({ label, median_ms: times[times.length >> 1], p90_ms: times[Math.floor(times.length * 0.9)] });
  }
  for (const [label, task, input] of SEARCHES) {
    const times = await page.evaluate(async ([task, input]) => {
      for (let i = 0; i < 2; i++) await window.vramfit[task](input);
      const out = [];
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        await window.vramfit[task](input);
        out.push(performance.now() - t0);
      }
      return out.sort((a, b) => a - b);
    }, [task, input]);
    searches.push({ label, median_ms: times[times.length >> 1], p90_ms: times[Math.floor(times.length * 0.9)] });
  }
} finally {
  await browser.close();
  server.close();
}
mkdirSync(join(root, 'target'), { recursive: true });
writeFileSync(join(root, 'target', 'bench-wasm.json'), JSON.stringify({ plan: rows, searches }, null, 2) + '\n');
const table = (list) =>
  ['| case | median | p90 |', '|---|---:|---:|', ...list.map((r) => `| ${r.label} | ${r.median_ms.toFixed(2)} ms | ${r.p90_ms.toFixed(2)} ms |`)].join('\n');
console.log(table(rows));
mkdirSync(join(root, 'target', 'bench'), { recursive: true });
writeFileSync(join(root, 'target', 'bench', 'wasm-search.md'), table(searches) + '\n');
console.error('\n' + table(searches));
