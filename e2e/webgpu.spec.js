// The WebGPU hint in a Chromium that exposes a (software) adapter.
import { test, expect } from '@playwright/test';
import { CHROMIUM } from './chromium.mjs';

test.use({ launchOptions: { ...CHROMIUM, args: [...CHROMIUM.args, '--enable-unsafe-webgpu'] } });

test('a fallback adapter is shown and flagged', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Detect with WebGPU' }).click();
  await expect(page.getByTestId('webgpu')).toContainText('fallback (software) adapter');
  await expect(page.getByTestId('webgpu')).toContainText('Browsers never reveal how much memory');
  await page.screenshot({ path: 'out/webgpu.png', fullPage: true });
});
