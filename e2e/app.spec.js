// End-to-end: the release build in headless chromium, as a person uses it.
import { test, expect } from '@playwright/test';
import { watchErrors, axeViolations } from './page.mjs';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { serve } from './serve.mjs';
import { CHROMIUM } from './chromium.mjs';

const DIST = resolve(import.meta.dirname, '..', 'dist');

const verdict = (page) => page.getByTestId('verdict');
const gpuDevice = (page, n) => page.getByLabel(`GPU row ${n}: card name or size (24GB, 80GiB)`);

test('first load shows a real plan for the default setup', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(verdict(page)).toContainText('Fits on 2 GPUs');
  await expect(page.getByTestId('params')).toContainText('8,030,261,248');
  await expect(page.getByTestId('command')).toContainText('llama-server -m Llama-3.1-8B-Q4_K_M.gguf');
  await expect(page.getByTestId('sweep')).toContainText('131,072');
  await page.screenshot({ path: 'out/default.png', fullPage: true });
  expect(await axeViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
});

test('adding, duplicating and removing GPUs re-plans', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Catalog model (type to search)').fill('llama-3.1-70b');
  await expect(verdict(page)).toContainText('Fits on 2 GPUs');
  await page.getByRole('button', { name: 'Add GPU' }).click();
  await gpuDevice(page, 2).fill('rtx-4090');
  await expect(page.getByTestId('device-table')).toContainText('NVIDIA GeForce RTX 4090');
  await page.getByRole('button', { name: 'Duplicate GPU row 2' }).click();
  await expect(page.getByTestId('bars').locator('figure')).toHaveCount(4);
  await page.getByRole('button', { name: 'Remove GPU row 3' }).click();
  await expect(page.getByTestId('bars').locator('figure')).toHaveCount(3);
  await expect(verdict(page)).toContainText('Fits on 3 GPUs');
  await page.screenshot({ path: 'out/three-gpus.png', fullPage: true });
});

test('picking a model and pasting a config update the counts', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const model = page.getByLabel('Catalog model (type to search)');
  await model.fill('Qwen/Qwen3-30B-A3B');
  await expect(page.getByTestId('params')).toContainText('30,532,122,624');
  await expect(page.getByTestId('model-summary')).toContainText('3.35B active');
  const config = JSON.stringify({
    model_type: 'llama', hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 22,
    num_attention_heads: 32, num_key_value_heads: 4, vocab_size: 32000,
  });
  await page.getByLabel('…or paste a config.json').fill(config);
  await expect(page.getByTestId('params')).toContainText('1,100,048,384');
  await expect(verdict(page)).toContainText('Pasted config.json');
  await page.getByLabel('…or paste a config.json').fill('{"model_type": "llama", "hidden_size": ');
  await expect(page.locator('#vf-config ~ .vf-field__error')).toContainText('not valid JSON');
  await page.getByRole('button', { name: 'Use the catalog model instead' }).click();
  await expect(page.getByTestId('params')).toContainText('30,532,122,624');
  expect(errors).toEqual([]);
});

test('the Weights menu follows the model while it holds the default, and keeps a choice', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const model = page.getByLabel('Catalog model (type to search)');
  const weights = page.locator('#vf-weights');
  await expect(weights).toHaveValue('q4_k_m');
  // gpt-oss is stored in MXFP4: llama.cpp runs the MXFP4_MOE GGUF made of it.
  await model.fill('gpt-oss-120b');
  await expect(weights).toHaveValue('mxfp4_moe');
  await expect(verdict(page)).toContainText('GGUF MXFP4_MOE');
  await page.getByLabel('Engine', { exact: true }).selectOption('vllm');
  await expect(weights).toHaveValue('mxfp4');
  await page.getByLabel('Engine', { exact: true }).selectOption('llama.cpp');
  await model.fill('llama-3.1-8b');
  await expect(weights).toHaveValue('q4_k_m');
  // A format chosen by hand stays when the model changes.
  await weights.selectOption('q8_0');
  await model.fill('gpt-oss-120b');
  await expect(verdict(page)).toContainText('gpt-oss 120B');
  await expect(weights).toHaveValue('q8_0');
  expect(errors).toEqual([]);
});

test('a hybrid model counts KV only for its attention layers, plus a fixed recurrent state', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await page.getByLabel('Catalog model (type to search)').fill('qwen3-next-80b-a3b');
  await expect(page.getByTestId('params')).toContainText('79,674,391,296');
  await expect(page.getByTestId('state')).toContainText('GiB');
  const kvShort = await page.getByTestId('kv').textContent();
  const stateShort = await page.getByTestId('state').textContent();
  await page.getByLabel('Context (tokens per sequence)').fill('65536');
  // Twice the context: the attention layers' KV grows, the recurrent state does not.
  await expect(page.getByTestId('kv')).not.toHaveText(kvShort);
  await expect(page.getByTestId('state')).toHaveText(stateShort);
  // A pasted Mamba config has no KV cache at all, only the state.
  const mamba = JSON.stringify({ model_type: 'mamba', hidden_size: 2560, num_hidden_layers: 64, vocab_size: 50280 });
  await page.getByLabel('…or paste a config.json').fill(mamba);
  await expect(page.getByTestId('kv')).toHaveText(await page.getByTestId('state').textContent());
  await page.screenshot({ path: 'out/hybrid.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a vision-language model places its vision tower on the first GPU', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await page.getByLabel('Catalog model (type to search)').fill('gemma-3-27b');
  await expect(page.getByTestId('params')).toContainText('27,432,406,640');
  await expect(page.getByTestId('bars').locator('.vf-bar__part--vision')).toHaveCount(1);
  await expect(page.getByTestId('command')).toContainText('--mmproj mmproj-gemma-3-27b-it-F16.gguf');
  await page.screenshot({ path: 'out/vision.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('switching engine and quantization updates bars and commands', async ({ page }) => {
  await page.goto('/');
  const kvBefore = await page.getByTestId('kv').textContent();
  await page.getByLabel('Engine', { exact: true }).selectOption('vllm');
  await expect(page.getByLabel('Weights', { exact: true })).toHaveValue('bf16');
  await expect(page.getByTestId('command')).toContainText('vllm serve meta-llama/Llama-3.1-8B --tensor-parallel-size 2');
  await page.getByLabel('Weights', { exact: true }).selectOption('fp8');
  await expect(page.getByTestId('types')).toContainText('FP8 e4m3');
  await page.getByLabel('KV cache', { exact: true }).selectOption('fp8');
  await expect(page.getByTestId('command')).toContainText('--kv-cache-dtype fp8');
  expect(await page.getByTestId('kv').textContent()).not.toEqual(kvBefore);
  for (const [engine, text] of [['transformers', 'device_map = {'], ['exllamav2', 'gpu_split:'], ['ollama', 'PARAMETER num_gpu']]) {
    await page.getByLabel('Engine', { exact: true }).selectOption(engine);
    await expect(page.getByTestId('command')).toContainText(text);
  }
  await page.screenshot({ path: 'out/ollama.png', fullPage: true });
});

test('vLLM shows its startup log; its utilisation sizes the KV cache and can stop it', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await page.getByLabel('Engine', { exact: true }).selectOption('vllm');
  const log = page.getByTestId('vllm-log');
  await expect(log).toContainText('GPU KV cache size:');
  await expect(log).toContainText('Maximum concurrency for 8,192 tokens per request:');
  const before = await log.textContent();
  await page.getByTestId('vllm-options').locator('summary').click();
  await page.getByLabel('GPU memory utilisation').fill('0.5');
  await expect(page.getByTestId('command')).toContainText('--gpu-memory-utilization 0.5');
  await expect(log).not.toHaveText(before);
  await page.screenshot({ path: 'out/vllm.png', fullPage: true });
  await page.getByLabel('GPU memory utilisation').fill('0.3');
  await expect(page.getByTestId('vllm-error')).toContainText('No available memory for the cache blocks');
  await expect(verdict(page)).toContainText('Does not fit');
  await expect(page.getByTestId('ways')).toContainText('Raise --gpu-memory-utilization');
  await page.getByLabel('GPU memory utilisation').fill('1.5');
  await expect(page.locator('.vf-field', { has: page.locator('#vf-util') }).locator('.vf-field__error')).toContainText('util must be a fraction');
  await page.getByLabel('vLLM release').fill('0.6.4');
  await page.getByLabel('GPU memory utilisation').fill('0.9');
  await expect(page.getByTestId('vllm')).toContainText('vLLM 0.6.4 at startup');
  expect(errors).toEqual([]);
});

test('vLLM leaves out a GPU where it would stop at startup and runs on the others', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Another process holds 4 GB of the second card: vLLM would stop there.
  await page.goto('/?v=1&m=llama-3.1-8b&g=rtx-4090%2Crtx-4090%3A4GB&e=vllm');
  await expect(verdict(page)).toContainText('Fits on 1 GPU');
  await expect(page.locator('.vf-warnings')).toContainText('GPU 1 (NVIDIA GeForce RTX 4090) is left out: vLLM would stop at its startup check there');
  await expect(page.locator('.vf-warnings')).toContainText('--gpu-memory-utilization 0.81 lets it in');
  await expect(page.getByTestId('command')).toContainText('CUDA_VISIBLE_DEVICES=0 vllm serve');
  await page.screenshot({ path: 'out/vllm-left-out.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a setup that does not fit offers ways out that apply with one click', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Catalog model (type to search)').fill('llama-3.1-70b');
  await page.getByLabel('Weights', { exact: true }).selectOption('q8_0');
  await expect(verdict(page)).toContainText('Does not fit: short by');
  await expect(page.locator('.vf-bar--over')).toHaveCount(2);
  await page.screenshot({ path: 'out/does-not-fit.png', fullPage: true });
  const way = page.getByTestId('ways').getByRole('button').first();
  await way.click();
  await expect(verdict(page)).toContainText('Fits');
});

test('llama.cpp evaluates the -ngl and -ts you give and offers the searched split when they do not fit', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await page.getByTestId('llama-placement').locator('summary').click();
  await page.getByLabel('GPU layers (-ngl)').fill('20');
  await page.getByLabel('Tensor split (-ts)').fill('3,1');
  await expect(page.getByTestId('command')).toContainText('-ngl 20 -ts 3,1');
  await expect(page).toHaveURL(/ngl=20/);
  await page.getByLabel('Tensor split (-ts)').fill('1,1,1');
  await expect(page.locator('.vf-field', { has: page.locator('#vf-tensor_split') }).locator('.vf-field__error')).toContainText('3 proportions but there are only 2 GPUs');
  await page.getByLabel('GPU layers (-ngl)').fill('');
  await page.getByLabel('Tensor split (-ts)').fill('9,1');
  await page.getByLabel('Catalog model (type to search)').fill('llama-3.1-70b');
  await expect(verdict(page)).toContainText('Does not fit');
  await expect(page.getByTestId('ways')).toContainText('Use the searched split');
  await page.getByTestId('ways').getByRole('button').first().click();
  await expect(verdict(page)).toContainText('Fits');
  expect(errors).toEqual([]);
});

test('the link carries the whole setup and restores it', async ({ page, context }) => {
  await page.goto('/');
  await page.getByLabel('Engine', { exact: true }).selectOption('vllm');
  await page.getByLabel('Context (tokens per sequence)', { exact: true }).fill('32768');
  await gpuDevice(page, 1).fill('h100-sxm');
  await expect(verdict(page)).toContainText('Fits');
  await expect(page).toHaveURL(/e=vllm/);
  const url = page.url();
  const other = await context.newPage();
  await other.goto(url);
  await expect(other.getByLabel('Engine', { exact: true })).toHaveValue('vllm');
  await expect(other.getByLabel('Context (tokens per sequence)', { exact: true })).toHaveValue('32768');
  await expect(verdict(other)).toHaveText(await verdict(page).textContent());
  // A damaged, newer link restores what it can and says what it dropped.
  await other.goto('/?v=9&m=qwen3-8b&zz=1');
  await expect(other.getByRole('status').first()).toContainText("unknown setting 'zz'");
  await expect(other.getByTestId('params')).toContainText('8,190,735,360');
});

test('the last setup comes back when there is no query string', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Catalog model (type to search)').fill('phi-4');
  await expect(page.getByTestId('params')).toContainText('14,659,507,200');
  await page.goto('/');
  await expect(page.getByTestId('params')).toContainText('14,659,507,200');
});

test('embed mode is compact and links to the full calculator; the dialog makes the snippet', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Embed' }).click();
  const snippet = await page.locator('#vf-embed-snippet').inputValue();
  expect(snippet).toMatch(/^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?v=1&amp;embed=1"|^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?v=1&embed=1"/);
  await page.getByRole('button', { name: 'Close' }).click();
  await page.goto('/?v=1&m=mixtral-8x7b&embed=1');
  await expect(page.locator('.vf-header')).toHaveCount(0);
  await expect(verdict(page)).toContainText('Mixtral 8x7B');
  await expect(page.getByRole('link', { name: 'Open the full calculator ↗' })).toHaveAttribute('href', /m=mixtral-8x7b/);
  await page.screenshot({ path: 'out/embed.png', fullPage: true });
});

test('bad inputs show inline errors, keep the other fields, and never crash', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(verdict(page)).toBeVisible();
  for (const [text, message] of [
    ['', 'size is empty'],
    ['0', 'greater than zero'],
    ['-8', 'must not be negative'],
    ['1e30', 'too large'],
    ['abc', 'neither a size nor a known card'],
  ]) {
    await gpuDevice(page, 1).fill(text);
    await expect(page.getByTestId('gpus-error')).toContainText(message);
  }
  await gpuDevice(page, 1).fill('24GB');
  const ctx = page.getByLabel('Context (tokens per sequence)', { exact: true });
  for (const text of ['', '0', '-5', '1e30', 'lots']) {
    await ctx.fill(text);
    await expect(ctx).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('.vf-results--stale')).toHaveCount(1);
  }
  await page.getByLabel('Parallel sequences', { exact: true }).fill('0');
  await expect(page.getByLabel('Parallel sequences', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Engine', { exact: true })).toHaveValue('llama.cpp');
  await page.screenshot({ path: 'out/bad-input.png', fullPage: true });
  await ctx.fill('4096');
  await page.getByLabel('Parallel sequences', { exact: true }).fill('2');
  await expect(verdict(page)).toContainText('Fits on');
  expect(errors).toEqual([]);
});

test('dark mode toggles and stays accessible', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: 'out/dark.png', fullPage: true });
  expect(await axeViolations(page)).toEqual([]);
});

test('works at 360 px wide without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto('/');
  await expect(verdict(page)).toContainText('Fits');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(360);
  await page.screenshot({ path: 'out/mobile.png', fullPage: true });
});

test('keyboard alone can change the plan', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Engine', { exact: true }).focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByLabel('Engine', { exact: true })).toHaveValue('vllm');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Weights', { exact: true })).toBeFocused();
  await expect(page.getByTestId('command')).toContainText('vllm serve');
});

test.describe('WebGPU hint', () => {
  test('without an adapter it says so plainly', async ({ page }) => {
    await page.goto('/');
    await page.getByRole('button', { name: 'Detect with WebGPU' }).click();
    await expect(page.getByTestId('webgpu')).toContainText(/no GPU adapter|has no WebGPU/);
  });
});

test('the JS API plans and counts with plain objects', async ({ page }) => {
  await page.goto('/');
  await expect(verdict(page)).toBeVisible();
  const result = await page.evaluate(() => {
    const plan = window.vramfit.plan({ model: 'llama-3.1-8b', gpus: ['2x24GB'], engine: 'vllm', ctx: 16384 });
    const params = window.vramfit.params({ model_type: 'llama', hidden_size: 64, intermediate_size: 128,
      num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 });
    let error = null;
    try { window.vramfit.plan({ gpus: '-8' }); } catch (e) { error = e.message; }
    // Weights left out: the model's own format for the engine.
    const own = [{}, { engine: 'vllm' }].map((extra) =>
      window.vramfit.plan({ model: 'gpt-oss-120b', gpus: 'h100', ...extra }).weights_label);
    return { fits: plan.fits, devices: plan.devices.length, command: plan.commands.vllm, total: params.total, error, own };
  });
  expect(result).toEqual({ fits: true, devices: 2, command: expect.stringContaining('vllm serve'), total: 95040, error: expect.stringContaining('gpus:'),
    own: ['GGUF MXFP4_MOE', 'MXFP4 experts + BF16'] });
});

test('the module entry loads the API without mounting the page', async ({ page }) => {
  await page.goto('/icon.svg');
  const total = await page.evaluate(async () => {
    const { load } = await import('/api.js');
    const vramfit = await load();
    return vramfit.plan({ model: 'qwen2.5-7b', gpus: '24GB' }).params.total;
  });
  expect(total).toBe(7615616512);
});

test('works from another base path and offline after the first visit', async ({ browser }) => {
  const server = await serve(DIST, 0, '/docs/vramfit/');
  const url = `http://127.0.0.1:${server.address().port}/docs/vramfit/`;
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(url);
    await expect(verdict(page)).toContainText('Fits');
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await page.reload();
    await expect(verdict(page)).toContainText('Fits');
    await context.setOffline(true);
    await page.reload();
    await expect(verdict(page)).toContainText('Fits');
    // The worker module (check my setup, file drops, the searches) was
    // never used online, yet works offline: the service worker keeps it.
    await page.getByTestId('check').locator('summary').click();
    await page.getByTestId('check-text').fill('llama-server -m Qwen3-8B-Q4_K_M.gguf -c 16384');
    await page.getByTestId('check-read').click();
    await expect(page.getByTestId('check-kind')).toContainText('a command line');
    await expect(page.locator('#vf-ctx')).toHaveValue('16384');
  } finally {
    await context.close();
    server.close();
  }
});

test('the model suggestions list every catalog model with its size and context, filled after the first render', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('verdict').waitFor();
  const options = page.locator('#vf-models option');
  // One option per catalog row (src/estimate/catalog/models.rs).
  const rows = readFileSync(resolve(import.meta.dirname, '..', 'src', 'estimate', 'catalog', 'models.rs'), 'utf8')
    .split('\n').filter((l) => l.trim().startsWith('model! {')).length;
  expect(rows).toBeGreaterThan(150);
  await expect(options).toHaveCount(rows);
  await expect(page.locator('#vf-models option[value="llama-3.1-8b"]')).toHaveText(/^Llama 3\.1 8B · Llama · 8\.0\dB · 128k context$/);
});
