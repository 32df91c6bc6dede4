// Speed inside the browser: a full recompute (window.vramfit.plan: validate,
// estimate, optimal split, longest context, most sequences, sweep, commands,
// JSON out) timed in headless chromium over many runs, for the cases
// tests/bench/plan.rs times natively. Prints a Markdown table; writes
// target/bench-wasm.json. Measures only.
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
} finally {
  await browser.close();
  server.close();
}
mkdirSync(join(root, 'target'), { recursive: true });
writeFileSync(join(root, 'target', 'bench-wasm.json'), JSON.stringify(rows, null, 2) + '\n');
console.log('| case | median | p90 |');
console.log('|---|---:|---:|');
for (const r of rows) console.log(`| ${r.label} | ${r.median_ms.toFixed(2)} ms | ${r.p90_ms.toFixed(2)} ms |`);
