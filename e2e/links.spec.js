// End-to-end: links as people write and reopen them, the phone layout's
// verdict line, and the accessible names axe checks beyond its defaults.
import { test, expect } from '@playwright/test';
import { watchErrors, axeViolations } from './page.mjs';

const verdict = (page) => page.getByTestId('verdict');

test('every accessible name holds its visible text, before and after copying', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/');
  await expect(verdict(page)).toContainText('Fits on 2 GPUs');
  expect(await axeViolations(page, { 'label-content-name-mismatch': { enabled: true } })).toEqual([]);
  await page.getByRole('button', { name: 'Copy link to this setup' }).click();
  await expect(page.getByRole('button', { name: 'Copied link to this setup' })).toHaveText('Copied');
  expect(await axeViolations(page, { 'label-content-name-mismatch': { enabled: true } })).toEqual([]);
});

test('reopening a shared link keeps the model line under the picker', async ({ page, context }) => {
  await page.goto('/?v=1&m=llama-3.1-8b&g=rtx-4090');
  await expect(page.getByTestId('model-summary')).toHaveText('Llama 3.1 8B: 8.03B parameters');
  const link = page.url();
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByTestId('model-summary')).toHaveText('Llama 3.1 8B: 8.03B parameters');
  // A link with a field to fix still names its model.
  await other.goto('/?v=1&m=llama-3.1-70b&c=oops');
  await expect(other.locator('#vf-ctx')).toHaveAttribute('aria-invalid', 'true');
  await expect(other.getByTestId('model-summary')).toHaveText('Llama 3.1 70B: 70.55B parameters');
});

test('a hand-written link with an engine and no weights plans the engine\'s default', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/?v=1&m=llama-3.1-70b&g=1x24GB&e=vllm');
  await expect(verdict(page)).toContainText('Does not fit');
  await expect(verdict(page)).toContainText('Llama 3.1 70B · vLLM · BF16');
  await expect(page.locator('#vf-engine')).toHaveValue('vllm');
  await expect(page.locator('#vf-weights')).toHaveValue('bf16');
  await expect(page.getByText('Fix the highlighted input')).toHaveCount(0);
  await expect(page.getByTestId('model-summary')).toHaveText('Llama 3.1 70B: 70.55B parameters');
  // The address bar's link is the same setup, written short.
  await expect(page).toHaveURL(/\?v=1&m=llama-3\.1-70b&g=1x24GB&e=vllm$/);
  expect(errors).toEqual([]);
});

test('a link\'s weights alias shows selected in the Weights menu', async ({ page }) => {
  await page.goto('/?v=1&m=llama-3.1-70b&g=1x24GB&e=vllm&w=awq');
  await expect(verdict(page)).toContainText('AWQ 4-bit, group 128');
  const weights = page.locator('#vf-weights');
  await expect(weights).toHaveValue('awq');
  await expect(weights.locator('option:checked')).toHaveText('AWQ 4-bit, group 128');
  // Choosing another format from the menu still works.
  await weights.selectOption('fp8');
  await expect(verdict(page)).toContainText('FP8');
  await expect(weights).toHaveValue('fp8');
});

test('on a 360 px phone the verdict stays in a line at the top while editing', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/?v=1&m=llama-3.1-70b&g=rtx-4090');
  const glance = page.getByTestId('glance');
  await expect(glance).toBeVisible();
  await expect(glance).toContainText('Short by');
  await expect(glance).toContainText('8,192 tok × 1');
  // Scrolled down to the settings, the line is still on screen.
  const ctx = page.locator('#vf-ctx');
  await ctx.scrollIntoViewIfNeeded();
  await ctx.fill('4096');
  await expect(glance).toContainText('4,096 tok × 1');
  await expect(glance).toBeInViewport();
  const box = await glance.boundingBox();
  expect(box.y).toBeLessThan(2);
  expect(box.height).toBeLessThan(60);
  await page.screenshot({ path: 'out/phone-glance.png' });
  await page.getByLabel('GPU row 1: card name or size (24GB, 80GiB)').fill('h100-sxm');
  await expect(glance).toContainText('Fits on');
  await expect(glance).toContainText('tok/s');
  expect(await axeViolations(page, { 'label-content-name-mismatch': { enabled: true } })).toEqual([]);
  // On a wide screen the full verdict is beside the form: no bar.
  await page.setViewportSize({ width: 1280, height: 900 });
  await expect(glance).toBeHidden();
});
