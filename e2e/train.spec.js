// End-to-end: Fine-tune mode in the release build, as a person uses it.
import { test, expect } from '@playwright/test';
import { watchErrors, axeViolations } from './page.mjs';

const verdict = (page) => page.getByTestId('verdict');
const fineTune = (page) => page.getByRole('button', { name: 'Fine-tune' });

/** Fine-tune mode with `method` for llama-3.1-8b on one RTX 4090. */
async function oneRtx4090(page, method) {
  await page.goto('/');
  await fineTune(page).click();
  await expect(fineTune(page)).toHaveAttribute('aria-pressed', 'true');
  await page.getByLabel('Catalog model (type to search)').fill('llama-3.1-8b');
  await page.getByLabel('GPU row 1: count').fill('1');
  await page.getByLabel('GPU row 1: card name or size (24GB, 80GiB)').fill('rtx-4090');
  await page.getByLabel('Method', { exact: true }).selectOption(method);
}

test('QLoRA of an 8B model fits one RTX 4090; full fine-tuning with AdamW does not', async ({ page }) => {
  const errors = watchErrors(page);
  await oneRtx4090(page, 'qlora');
  await expect(verdict(page)).toContainText('Fits on 1 GPU');
  await expect(verdict(page)).toContainText('QLoRA');
  await expect(page.getByTestId('max-seq')).toContainText(/^[\d,]+ tokens$/);
  await expect(page.getByTestId('train-table')).toContainText('NVIDIA GeForce RTX 4090');
  await expect(page.getByTestId('trainable')).not.toHaveText('');
  // Launch configs, when there are any, each come with a copy button.
  const configs = await page.getByTestId('launch').count();
  await expect(page.getByRole('button', { name: /^Copy the .+ config$/ })).toHaveCount(configs);
  await page.screenshot({ path: 'out/train.png', fullPage: true });
  expect(await axeViolations(page)).toEqual([]);

  await page.getByLabel('Method', { exact: true }).selectOption('full');
  await page.getByLabel('Optimizer', { exact: true }).selectOption('adamw');
  await expect(verdict(page)).toContainText(/Does not fit: short by [\d.]+ GiB/);
  await expect(page.getByLabel('LoRA rank')).toBeHidden();
  await expect(page).toHaveURL(/mode=train/);
  await expect(page).toHaveURL(/tm=full/);
  await page.screenshot({ path: 'out/train-full.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a Fine-tune link reopens the mode, the model, the GPUs and the training fields', async ({ page, context }) => {
  await oneRtx4090(page, 'full');
  await page.getByLabel('Sequence length (tokens)').fill('1024');
  await expect(verdict(page)).toContainText('Does not fit');
  const url = page.url();
  expect(url).toMatch(/mode=train.*sq=1024/);
  const other = await context.newPage();
  await other.goto(url);
  await expect(fineTune(other)).toHaveAttribute('aria-pressed', 'true');
  await expect(other.getByLabel('Method', { exact: true })).toHaveValue('full');
  await expect(other.getByLabel('Sequence length (tokens)')).toHaveValue('1024');
  await expect(other.getByLabel('GPU row 1: card name or size (24GB, 80GiB)')).toHaveValue('rtx-4090');
  await expect(verdict(other)).toHaveText(await verdict(page).textContent());
  // Back to Run: the same model and GPUs, and a link without the training fields.
  await other.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(other.getByTestId('device-table')).toContainText('NVIDIA GeForce RTX 4090');
  await expect(other).not.toHaveURL(/mode=train/);
});

test('vramfit.train takes plain objects and throws on bad fields', async ({ page }) => {
  await page.goto('/');
  await expect(verdict(page)).toBeVisible();
  const result = await page.evaluate(() => {
    const report = window.vramfit.train({ model: 'llama-3.1-8b', gpus: 'rtx-4090', method: 'qlora', seq: 2048 });
    let error = null;
    try { window.vramfit.train({ micro_batch: 'abc', method: 'sideways' }); } catch (e) { error = e.message; }
    return { peak: report.devices[0].peak_bytes, fits: report.fits, error };
  });
  expect(result.peak).toBeGreaterThan(0);
  expect(result.fits).toBe(true);
  expect(result.error).toContain('micro_batch:');
  expect(result.error).toContain('method:');
});

test('a bad micro-batch shows an inline error, keeps the other fields and recovers', async ({ page }) => {
  const errors = watchErrors(page);
  await oneRtx4090(page, 'qlora');
  await expect(verdict(page)).toContainText('Fits');
  const micro = page.getByLabel('Micro-batch (sequences per GPU)');
  await micro.fill('abc');
  await expect(micro).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#vf-t-micro_batch ~ .vf-field__error')).toContainText('abc');
  await expect(page.locator('.vf-results--stale')).toHaveCount(1);
  await expect(verdict(page)).toContainText('Fits');
  await expect(page.getByLabel('Method', { exact: true })).toHaveValue('qlora');
  await page.screenshot({ path: 'out/train-bad-input.png', fullPage: true });
  await micro.fill('2');
  await expect(micro).toHaveAttribute('aria-invalid', 'false');
  await expect(page.locator('.vf-results--stale')).toHaveCount(0);
  await expect(verdict(page)).toContainText('2 × 2,048 tokens');
  expect(errors).toEqual([]);
});
