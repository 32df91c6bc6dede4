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
  // Its list price is the catalog's; a size-only GPU has none.
  await expect(table.locator('tr[data-field="price_usd"] td')).toHaveText(['—', '$1,599']);
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

test('what runs here lists catalog models best first, from the worker, and opens a plan', async ({ page }) => {
  const errors = watchErrors(page);
  const loaded = [];
  page.on('request', (r) => loaded.push(new URL(r.url()).pathname));
  await page.goto('/?v=1&g=rtx-4090');
  await expect(page.getByTestId('verdict')).toContainText('Fits');
  // The searches' module is not loaded for the first render.
  expect(loaded.some((p) => p.includes('vramfit-worker'))).toBe(false);
  await page.getByRole('button', { name: 'What runs here' }).click();
  await expect(page.getByTestId('fit-count')).toContainText('fit, best first');
  expect(loaded.some((p) => p.endsWith('vramfit-worker_bg.wasm'))).toBe(true);
  await expect(page.getByTestId('fit-status')).toContainText('planned');
  const first = page.getByTestId('fit-table').first().locator('tbody tr').first();
  await expect(first.locator('td').nth(1)).not.toHaveText('—');
  await expect(page).toHaveURL(/mode=fit/);
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: 'out/fit.png', fullPage: false });
  // A filter narrows the list and travels in the link.
  await page.locator('#vf-s-moe').selectOption('moe');
  await expect(page).toHaveURL(/fm=moe/);
  await expect(page.getByTestId('fit-status')).not.toContainText('updating');
  const text = await page.getByTestId('fit').textContent();
  expect(text).not.toContain('Llama 3.1 8B');
  console.log(`fit, second search: ${await page.getByTestId('fit-status').textContent()}`);
  // Opening an entry plans it in the Run view.
  const row = page.getByTestId('fit-table').first().locator('tbody tr').first();
  const name = (await row.locator('th').textContent()).trim();
  await row.getByRole('button').click();
  await expect(page.getByTestId('verdict')).toContainText('Fits');
  expect(name.length).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test('a fit link reopens the search with its filters', async ({ page }) => {
  await page.goto('/?v=1&g=2x24GB&e=vllm&mode=fit&ff=Qwen&fo=all');
  await expect(page.getByTestId('fit-count')).toContainText('fit, best first');
  await expect(page.locator('#vf-s-family')).toHaveValue('Qwen');
  await expect(page.locator('#vf-s-formats')).toHaveValue('all');
  const groups = await page.locator('.vf-search__group').allTextContents();
  expect(groups).toEqual(['Qwen']);
  // Every format that fits: one row per model, the others a click away.
  const also = page.getByRole('button', { name: /^Open the plan of Qwen3 8B in / });
  expect(await also.count()).toBeGreaterThan(3);
});

test('what to buy lists the cheapest GPU sets and the rented instances', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/?v=1&m=llama-3.1-70b&mode=buy');
  await expect(page.getByTestId('buy-count')).toContainText('cheapest');
  const prices = await page.getByTestId('buy-table').locator('tbody tr td:nth-child(2)').allTextContents();
  const dollars = prices.map((p) => Number(p.replace(/[$,]/g, '')));
  expect(dollars.length).toBeGreaterThan(1);
  expect([...dollars].sort((a, b) => a - b)).toEqual(dollars);
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: 'out/buy.png', fullPage: false });
  await page.locator('#vf-s-mode').selectOption('rent');
  await expect(page).toHaveURL(/bw=rent/);
  await expect(page.getByTestId('buy-table').locator('tbody tr td:nth-child(2)').first()).toContainText('/h');
  // Opening a set plans it in the Run view with those GPUs.
  await page.getByTestId('buy-table').locator('tbody tr').first().getByRole('button').click();
  await expect(page.getByTestId('verdict')).toContainText('Fits');
  expect(errors).toEqual([]);
});

test('the JS API compares setups and answers both searches as Promises, also from the module entry', async ({ page }) => {
  await page.goto('/icon.svg');
  const result = await page.evaluate(async () => {
    const { load } = await import('/api.js');
    const vramfit = await load();
    const compared = vramfit.compare([{ model: 'llama-3.1-8b', gpus: '24GB' }, { model: 'llama-3.1-8b', gpus: 'rtx-4090' }]);
    const fit = await vramfit.fit({ gpus: 'rtx-4090', family: 'Llama' });
    const buy = await vramfit.buy({ model: 'llama-3.1-8b', max_gpus: 2, top: 3 });
    let error = null;
    try { await vramfit.fit({ gpus: '-8' }); } catch (e) { error = e.message; }
    return {
      differs: compared.differs.includes('gpus'),
      fitted: fit.entries.some((e) => e.model === 'llama-3.1-8b'),
      options: buy.options.length,
      cheapest: buy.options[0].price <= buy.options[1].price,
      error,
    };
  });
  expect(result).toEqual({ differs: true, fitted: true, options: 3, cheapest: true, error: expect.stringContaining('gpus:') });
});

test('the searches and the comparison work at 360 px wide without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const query of ['?v=1&g=rtx-4090&mode=fit', '?v=1&m=llama-3.1-70b&mode=buy', `?v=1&a=${a}&b=${b}`]) {
    await page.goto(`/${query}`);
    await expect(page.locator('[data-testid=fit-count], [data-testid=buy-count], [data-testid=compare-table]').first()).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, query).toBeLessThanOrEqual(360);
  }
  await page.screenshot({ path: 'out/compare-phone.png', fullPage: false });
});

test('on a 360 px phone each mode keeps its answer in a line at the top', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  const glance = page.getByTestId('glance');
  await page.goto('/?v=1&g=rtx-4090&mode=fit');
  await expect(glance).toContainText(/^\d+ fit · best .+ · [\d,]+ tok/);
  // Editing the filters lower down, the line stays on screen and follows.
  const family = page.getByTestId('fit-settings').getByLabel('Family');
  await family.scrollIntoViewIfNeeded();
  await family.selectOption('Qwen');
  await expect(glance).toContainText('best Qwen');
  await expect(glance).toBeInViewport();
  await page.goto('/?v=1&m=llama-3.1-70b&mode=buy');
  await expect(glance).toContainText(/^Cheapest \$[\d,]+ · .+ · [\d,]+ tok/);
  await expect(glance).toHaveClass(/vf-glance--fits/);
  await page.goto('/?v=1&m=llama-3.1-8b&g=rtx-4090&mode=train');
  await expect(glance).toContainText(/^Fits on 1 GPU · max [\d,]+ tok/);
  await page.screenshot({ path: 'out/phone-glance-train.png' });
  await page.goto(`/?v=1&a=${a}&b=${b}`);
  await expect(page.getByTestId('compare')).toBeVisible();
  await expect(glance).toHaveCount(0);
  expect(await axeViolations(page)).toEqual([]);
});
