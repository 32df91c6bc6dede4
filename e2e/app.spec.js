// End-to-end: the release build in headless chromium, as a person uses it.
import { test, expect } from '@playwright/test';

/** Collects console errors and page errors (a wasm panic shows up as one). */
function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  page.on('pageerror', (err) => errors.push(String(err)));
  return errors;
}

test('first load shows a real plan for the default setup', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  const verdict = page.getByTestId('verdict');
  await expect(verdict).toContainText('Fits on 2 GPUs');
  await expect(page.getByTestId('params')).toContainText('8,030,261,248');
  await expect(page.getByTestId('command')).toContainText('llama-server');
  await expect(page.getByTestId('command')).toContainText('-ts ');
  await page.screenshot({ path: 'out/default.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('bad GPU input shows an inline error, keeps other input, and recovers', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.getByTestId('verdict')).toBeVisible();
  const gpus = page.getByLabel('GPUs');
  for (const [text, message] of [
    ['', 'add at least one GPU'],
    ['0', 'greater than zero'],
    ['-8', 'must not be negative'],
    ['1e30', 'too large'],
    ['abc', 'neither a size nor a known card'],
  ]) {
    await gpus.fill(text);
    await expect(page.locator('.vf-field__error').first()).toContainText(message);
    await expect(gpus).toHaveAttribute('aria-invalid', 'true');
  }
  await expect(page.getByLabel('Context (tokens per sequence)')).toHaveValue('8192');
  await page.screenshot({ path: 'out/bad-input.png', fullPage: true });
  await gpus.fill('24GB');
  await expect(page.getByTestId('verdict')).toContainText('Fits on 1 GPU');
  expect(errors).toEqual([]);
});

test('a model that does not fit says by how much', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Model').selectOption('llama-3.1-70b');
  await page.getByLabel('Weights').selectOption('q8_0');
  await expect(page.getByTestId('verdict')).toContainText('Does not fit: short by');
  await expect(page.locator('.vf-bar--over')).toHaveCount(2);
  await page.getByLabel('Weights').selectOption('q4_0');
  await page.getByLabel('GPUs').fill('2x24GB, 12GB');
  await expect(page.getByTestId('verdict')).toContainText('Fits on 3 GPUs');
  await page.screenshot({ path: 'out/70b-q4_0.png', fullPage: true });
});

test('switching engine offers that engine\'s formats and updates the numbers', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.getByTestId('types')).toContainText('Q4_K');
  await page.getByLabel('Engine').selectOption('vllm');
  await expect(page.getByLabel('Weights')).toHaveValue('bf16');
  await expect(page.getByTestId('types')).toContainText('BF16');
  await expect(page.getByTestId('command')).toContainText('vllm serve meta-llama/Llama-3.1-8B');
  await page.getByLabel('Weights').selectOption('fp8');
  await expect(page.getByTestId('types')).toContainText('FP8 e4m3');
  await page.screenshot({ path: 'out/vllm-fp8.png', fullPage: true });
  expect(errors).toEqual([]);
});
