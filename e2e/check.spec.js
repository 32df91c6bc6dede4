// "Check my setup" with what people really paste: a llama.cpp load log from
// a public thread, a llama-server command line and a dropped nvidia-smi
// printout (tests/data: each file names its URL on its first line).
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const DATA = resolve(import.meta.dirname, '..', 'tests', 'data');
const LOG = readFileSync(resolve(DATA, 'logs', 'llama', 'llama.cpp-13729-qwen3-30b-a3b-4080s.log'), 'utf8');

test('a pasted load log is read into the form and its buffers set beside ours, then a what-if', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('check').locator('summary').click();
  await page.getByTestId('check-text').fill(LOG);
  await page.getByTestId('check-read').click();
  await expect(page.getByTestId('check-kind')).toContainText('llama.cpp / Ollama load log');
  await expect(page.getByTestId('verdict')).toContainText('Qwen3 30B-A3B');
  const table = page.getByTestId('logged-table');
  await expect(table).toContainText('Logged vs vramfit');
  await expect(table).toContainText('RTX 4080 SUPER');
  await expect(table).toContainText('10750.9 MiB');
  await expect(page.getByTestId('what-if')).toContainText('the longest context that fits is 40960 tokens');
  await page.screenshot({ path: 'out/check-log.png', fullPage: true });
  // What-if: every layer on the GPU; the logged column stays.
  const before = await table.innerText();
  await page.getByTestId('llama-placement').locator('summary').click();
  await page.getByLabel('GPU layers (-ngl)').fill('49');
  await expect(table).toContainText('10750.9 MiB');
  await expect.poll(async () => table.innerText()).not.toEqual(before);
  expect(errors).toEqual([]);
});

test('a pasted command line sets the model and settings; a dropped nvidia-smi sets the GPUs', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('check').locator('summary').click();
  await page.getByTestId('check-text').fill('llama-server -m Qwen3-8B-Q8_0.gguf -c 16384 -np 2 -fa on -ctk q8_0 -ctv q8_0');
  await page.getByTestId('check-read').click();
  await expect(page.getByTestId('check-kind')).toContainText('a command line');
  await expect(page.getByTestId('verdict')).toContainText('Qwen3 8B');
  await expect(page.getByTestId('command')).toContainText('-c 16384 -np 2');
  await page.getByTestId('check-file').setInputFiles(resolve(DATA, 'inventories', 'nvidia-smi-2x3090.txt'));
  await expect(page.getByTestId('check-kind')).toContainText('a GPU inventory');
  await expect(page.getByTestId('device-table')).toContainText('RTX 3090');
  await page.screenshot({ path: 'out/check-command-inventory.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('text that is nothing the reader knows is an inline note, not a crash', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('check').locator('summary').click();
  await page.getByTestId('check-text').fill('\u0000 <<< not a log >>> \u{1F600}'.repeat(50));
  await page.getByTestId('check-read').click();
  await expect(page.getByTestId('check-kind')).toBeVisible();
  await expect(page.getByTestId('verdict')).toBeVisible();
  expect(errors).toEqual([]);
});

test('a vLLM log dropped on the box is read, and its KV cache answers which utilisation holds the context', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('check').locator('summary').click();
  const text = readFileSync(resolve(DATA, 'logs', 'vllm', 'v0-qwen25-1.5b-int8-issue12529.log'), 'utf8');
  // A real drop: a DataTransfer holding the file, dispatched on the box.
  const drop = await page.evaluateHandle((t) => {
    const dt = new DataTransfer();
    dt.items.add(new File([t], 'vllm.log', { type: 'text/plain' }));
    return dt;
  }, text);
  await page.getByTestId('check-text').dispatchEvent('drop', { dataTransfer: drop });
  await expect(page.getByTestId('check-kind')).toContainText('vLLM');
  const whatIf = page.getByTestId('what-if');
  await expect(whatIf).toContainText('82368 tokens');
  await expect(whatIf).toContainText('--gpu-memory-utilization 0.63');
  await page.screenshot({ path: 'out/check-vllm-drop.png', fullPage: true });
  // The what-if that follows: the suggested utilisation in the form; the
  // logged figures stay.
  await page.getByTestId('vllm-options').locator('summary').click();
  const util = page.getByLabel('GPU memory utilisation');
  await expect(util).toHaveValue('0.9');
  await util.fill('0.63');
  await expect(page.getByTestId('verdict')).toBeVisible();
  await expect(whatIf).toContainText('82368 tokens');
  expect(errors).toEqual([]);
});

test('vramfit.check answers a Promise of the CLI check --json from the worker, and rejects text-less input', async ({ page }) => {
  await page.goto('/');
  await page.waitForFunction(() => window.vramfit);
  const result = await page.evaluate(async (log) => {
    const command = await vramfit.check({ text: 'llama-server -m Qwen3-30B-A3B-Q4_K_M.gguf -c 32768 -ngl 99', gpus: 'rtx-4090' });
    const logged = await vramfit.check({ log });
    let error = null;
    try { await vramfit.check({ gpus: 'rtx-4090' }); } catch (e) { error = e.message; }
    return {
      promise: vramfit.check({ text: 'nvidia-smi' }) instanceof Promise,
      kind: command.kind,
      ctx: command.n_ctx,
      gpus: command.request.gpus,
      logKind: logged.kind,
      devices: logged.logged.devices.length,
      diff: typeof logged.diff,
      error,
    };
  }, LOG);
  expect(result).toEqual({
    promise: true, kind: 'command', ctx: 32768, gpus: 'rtx-4090',
    logKind: 'llama_log', devices: 1, diff: 'object', error: expect.stringContaining('check: give {text}'),
  });
});
