// The planner alone (tests/bench/core-probe: report() over the catalog, no
// UI, no JS API), bound and optimised as Trunk does the app's module
// (wasm-bindgen, wasm-opt -Oz): the floor any page that computes plans in
// the browser starts from. Run by ./bench; prints a Markdown table.
//
// usage: node e2e/core-probe.mjs target/wasm32-unknown-unknown/release/vramfit-core-probe.wasm
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const input = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'vramfit-core-'));
execFileSync('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-dir', dir, input]);
const optimised = join(dir, 'opt.wasm');
execFileSync('wasm-opt', ['-Oz', join(dir, 'vramfit-core-probe_bg.wasm'), '-o', optimised]);
const core = readFileSync(optimised);
const dist = resolve(import.meta.dirname, '..', 'dist');
const page = readdirSync(dist).find((f) => f.startsWith('vramfit-web') && f.endsWith('.wasm'));
const app = readFileSync(join(dist, page));
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const row = (what, bytes) => `| ${what} | ${kb(bytes.length)} | ${kb(gzipSync(bytes).length)} |`;
console.log(`| module | raw | gzip |
|---|---:|---:|
${row('the planner alone (`report()`, no UI, no JS API)', core)}
${row("the page's module (`" + page + '`)', app)}`);
