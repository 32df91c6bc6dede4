// Speed as a user meets it: a catalog GPU gives decode and prefill in the
// verdict, the facts and each GPU's share of a decode step; a way out that
// offloads to the CPU shows what it costs; a GPU given by size says why
// there is no speed instead of guessing.
import { test, expect } from '@playwright/test';

test('a plan on catalog GPUs shows its speed, and a way out its cost', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // A shared link, as a docs author writes it: 70B on one RTX 4090 does not fit.
  await page.goto('/?v=1&m=llama-3.1-70b&g=rtx-4090');
  await expect(page.getByTestId('decode-speed')).toHaveText('—');
  await expect(page.getByTestId('speed')).toContainText('each way out');
  const ways = page.getByTestId('ways');
  await expect(ways).toContainText('Offload');
  await expect(ways).toContainText('tok/s');
  await page.screenshot({ path: 'out/speed.png', fullPage: true });
  // Two of them: it fits, and the speed follows.
  await page.goto('/?v=1&m=llama-3.1-70b&g=2xrtx-4090');
  await expect(page.getByTestId('verdict')).toContainText('Fits');
  await expect(page.getByTestId('verdict')).toContainText('tok/s decode');
  await expect(page.getByTestId('decode-speed')).toContainText('tok/s');
  await expect(page.getByTestId('speed')).toContainText('fitted to published llama-bench results');
  await expect(page.getByTestId('speed')).toContainText('slowest: GPU');
  await expect(page.getByTestId('device-table')).toContainText(' ms');
  await page.screenshot({ path: 'out/speed-fits.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a GPU given by size has no speed, and says why', async ({ page }) => {
  await page.goto('/?v=1&g=24GB');
  await expect(page.getByTestId('decode-speed')).toHaveText('—');
  await expect(page.getByTestId('speed')).toContainText('no known bandwidth');
  // …and names cards of that size to pick from.
  await expect(page.getByTestId('speed')).toContainText('RTX 3090');
});

test('vLLM on H100s shows decode at its own fitted fractions', async ({ page }) => {
  await page.goto('/?v=1&m=llama-3.1-70b&g=8xh100-sxm&e=vllm&w=fp8&tp=8');
  await expect(page.getByTestId('decode-speed')).toContainText('tok/s');
  await expect(page.getByTestId('speed')).toContainText("vLLM's own fractions");
});
