// End-to-end: the compare view and the catalog searches (what runs here,
// what to buy), their links, and that the searches' module loads only
// when a search is first used.
import { test, expect } from '@playwright/test';
import { watchErrors, axeViolations } from './page.mjs';

const a = encodeURIComponent('v=1&m=llama-3.1-8b&g=2x24GB');
const b = encodeURIComponent('v=1&m=llama-3.1-8b&g=rtx-4090&e=vllm&w=awq');

test('a compare link shows both setups side by side with the differences highlighted', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`/?v=1&a=${a}&b=${b}`);
  const table = page.getByTestId('compare-table');
  await expect(table).toBeVisible();
  await expect(table.locator('thead th')).toHaveCount(3);
  await expect(table.locator('thead')).toContainText('GGUF Q4_K_M · llama.cpp on 2x24GB');
  await expect(table.locator('thead')).toContainText('AWQ');
  // Rows that differ are marked; the model is the same on both sides.
  await expect(table.locator('tr[data-field="engine"]')).toHaveClass(/vf-compare__differs/);
  await expect(table.locator('tr[data-field="model"]')).not.toHaveClass(/vf-compare__differs/);
  await expect(table.locator('tr[data-field="fits"] td')).toHaveText(['yes', 'yes']);
  // The RTX 4090 is a catalog card, so its side has a decode speed.
  await expect(table.locator('tr[data-field="decode_tokens_per_s"] td').nth(1)).toContainText('tok/s');
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: 'out/compare.png', fullPage: true });
  // The address bar keeps the compare link.
  await expect(page).toHaveURL(/\?v=1&a=v%3D1.*&b=v%3D1/);
  // Opening B puts it in the Run view.
  await page.getByRole('button', { name: 'Open setup B in the Run view' }).click();
  await expect(page.getByTestId('verdict')).toContainText('vLLM');
  await expect(page.getByTestId('verdict')).toContainText('AWQ');
  expect(errors).toEqual([]);
});

test('setups added from the Run view appear in the comparison and its link', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/?v=1&m=llama-3.1-8b&g=2x24GB');
  await page.getByTestId('add-to-comparison').click();
  await page.locator('#vf-ctx').fill('65536');
  await page.getByTestId('add-to-comparison').click();
  await page.getByRole('button', { name: 'Compare (2)' }).click();
  const table = page.getByTestId('compare-table');
  await expect(table.locator('tr[data-field="n_ctx"] td')).toHaveText(['8,192', '65,536']);
  await expect(table.locator('tr[data-field="n_ctx"]')).toHaveClass(/vf-compare__differs/);
  // The link reopens the same comparison.
  const link = page.url();
  const other = await page.context().newPage();
  await other.goto(link);
  await expect(other.getByTestId('compare-table').locator('tr[data-field="n_ctx"] td')).toHaveText(['8,192', '65,536']);
  // Removing a setup updates the table.
  await page.getByRole('button', { name: 'Remove setup A' }).click();
  await expect(table.locator('tr[data-field="n_ctx"] td')).toHaveText(['65,536']);
  expect(errors).toEqual([]);
});
