// Dropping real model files: the sample GGUF (with its vision projector) and
// safetensors files that `vramfit sample` writes (the same ones the Rust
// tests read).
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '..', 'target', 'debug', 'vramfit');
const dir = mkdtempSync(join(tmpdir(), 'vramfit-e2e-'));
execFileSync(BIN, ['sample', dir]);

test('a dropped GGUF is read by its header and planned with its exact sizes', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(join(dir, 'sample-Q4_K_M.gguf'));
  await expect(page.getByText(/Read \d+ KB of headers \(1 GGUF file\(s\), 39 tensors\)/)).toBeVisible();
  await expect(page.getByTestId('verdict')).toContainText('sample-Q4_K_M.gguf (gguf)');
  await expect(page.getByTestId('verdict')).toContainText('GGUF Q4_K_M (from the file)');
  await expect(page.getByTestId('params')).toContainText('2,885,888');
  await expect(page.getByTestId('command')).toContainText('llama-server -m sample-Q4_K_M.gguf -c 8192');
  await page.screenshot({ path: 'out/gguf-drop.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a GGUF dropped with its mmproj plans the image side from the projector file', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles([join(dir, 'mmproj-sample-F16.gguf'), join(dir, 'sample-Q4_K_M.gguf')]);
  await expect(page.getByText(/Read \d+ KB of headers \(2 GGUF file\(s\), 80 tensors \+ vision projector: 2M params, 3\.7 MiB\)/)).toBeVisible();
  await expect(page.getByTestId('verdict')).toContainText('sample-Q4_K_M.gguf (gguf)');
  await expect(page.getByTestId('command')).toContainText('llama-server -m sample-Q4_K_M.gguf --mmproj mmproj-sample-F16.gguf -c 8192');
  await expect(page.getByText('vision', { exact: true }).first()).toBeVisible();
  await page.screenshot({ path: 'out/gguf-mmproj-drop.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a projector dropped after its model joins it; alone it asks for the model', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(join(dir, 'mmproj-sample-F16.gguf'));
  await expect(page.getByText('mmproj-sample-F16.gguf: this is a vision projector (mmproj) file; add the model GGUF too')).toBeVisible();
  await page.getByTestId('file-input').setInputFiles(join(dir, 'sample-Q4_K_M.gguf'));
  await expect(page.getByTestId('command')).toContainText('llama-server -m sample-Q4_K_M.gguf -c 8192');
  await page.getByTestId('file-input').setInputFiles(join(dir, 'mmproj-sample-F16.gguf'));
  await expect(page.getByText(/mmproj-sample-F16\.gguf added to the imported model \+ vision projector: 2M params, 3\.7 MiB/)).toBeVisible();
  await expect(page.getByTestId('command')).toContainText('llama-server -m sample-Q4_K_M.gguf --mmproj mmproj-sample-F16.gguf -c 8192');
  expect(errors).toEqual([]);
});

test('safetensors with their config.json are planned on vLLM', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles([join(dir, 'model.safetensors'), join(dir, 'config.json')]);
  await expect(page.getByTestId('verdict')).toContainText('model.safetensors (safetensors)');
  await expect(page.getByLabel('Engine', { exact: true })).toHaveValue('vllm');
  await expect(page.getByTestId('types')).toContainText('BF16');
});

test('a broken file is an inline message, not a crash', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles({ name: 'junk.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('GGUF\x09\x00\x00\x00') });
  await expect(page.getByText('junk.gguf: GGUF version 9 is not supported')).toBeVisible();
  await expect(page.getByTestId('verdict')).toContainText('Fits');
  expect(errors).toEqual([]);
});
