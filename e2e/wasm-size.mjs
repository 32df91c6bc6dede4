// Where the wasm's bytes go: code size per crate of the release build,
// optimised like Trunk does (wasm-opt -Oz) but keeping the name section.
// Run by ./bench after the release build; prints a Markdown table.
//
// usage: node e2e/wasm-size.mjs target/wasm32-unknown-unknown/release/vramfit-web.wasm
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const input = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'vramfit-size-'));
execFileSync('wasm-bindgen', ['--keep-debug', '--target', 'web', '--no-typescript', '--out-dir', dir, input]);
const bound = join(dir, 'vramfit-web_bg.wasm');
const optimised = join(dir, 'opt.wasm');
execFileSync('wasm-opt', ['-Oz', '-g', bound, '-o', optimised]);
const bytes = readFileSync(optimised);

// The wasm binary format: LEB128 numbers, sections of (id, size, body).
let at = 0;
const leb = () => {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return result;
  }
};
const name = () => {
  const length = leb();
  const text = bytes.subarray(at, at + length).toString('utf8');
  at += length;
  return text;
};

at = 8;
let imported = 0;
const bodies = [];
const names = new Map();
let dataBytes = 0;
while (at < bytes.length) {
  const id = bytes[at++];
  const size = leb();
  const end = at + size;
  if (id === 2) {
    for (let n = leb(); n > 0; n--) {
      name();
      name();
      const kind = bytes[at++];
      if (kind === 0) {
        leb();
        imported++;
      } else if (kind === 1) {
        at++;
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 2) {
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 3) {
        at += 2;
      }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) {
      const start = at;
      const length = leb();
      at += length;
      bodies.push(at - start);
    }
  } else if (id === 11) {
    dataBytes += size;
  } else if (id === 0 && name() === 'name') {
    while (at < end) {
      const sub = bytes[at++];
      const subSize = leb();
      const subEnd = at + subSize;
      if (sub === 1) {
        for (let n = leb(); n > 0; n--) {
          const index = leb();
          names.set(index, name());
        }
      }
      at = subEnd;
    }
  }
  at = end;
}

// A demangled Rust name starts with its crate, or with `<Type as Trait>`:
// charge trait impls to the crate of the implementing type.
const crateOf = (fn) => {
  const plain = fn.replace(/^<+/, '').replace(/^&(mut )?/, '').replace(/^\[|^\(/, '');
  const match = plain.match(/^([a-z_][a-z0-9_]*)/);
  if (!match) return 'generic trait impls (`<T as …>`)';
  const crate = match[1];
  const std = ['core', 'alloc', 'std', 'str', 'f64', 'f32', 'u8', 'u64', 'usize', 'char', 'i64'];
  return std.includes(crate) ? 'core, alloc (with drop glue and std generics for all types)' : crate;
};
const total = bodies.reduce((a, b) => a + b, 0);
const byCrate = new Map();
bodies.forEach((size, i) => {
  const crate = crateOf(names.get(imported + i) ?? '');
  byCrate.set(crate, (byCrate.get(crate) ?? 0) + size);
});
const rows = [...byCrate.entries()].sort((a, b) => b[1] - a[1]);
const shown = rows.slice(0, 12);
const rest = rows.slice(12).reduce((a, [, s]) => a + s, 0);
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
console.log('| part | raw bytes | share |');
console.log('|---|---:|---:|');
for (const [crate, size] of shown) {
  console.log(`| ${crate} | ${kb(size)} | ${((100 * size) / total).toFixed(1)} % |`);
}
console.log(`| ${rows.length - shown.length} other crates | ${kb(rest)} | ${((100 * rest) / total).toFixed(1)} % |`);
console.log(`| **code** | ${kb(total)} | |`);
console.log(`| data (strings, catalog JSON, tables) | ${kb(dataBytes)} | |`);
// vramfit's own code by module (two levels: `report::train`, `import::arch`).
const byModule = new Map();
bodies.forEach((size, i) => {
  const fn = (names.get(imported + i) ?? '').replace(/^<+/, '');
  const match = fn.match(/^vramfit::([a-z_0-9]+)(::([a-z_0-9]+))?/);
  if (!match) return;
  const module = match[3] && !/^[A-Z]/.test(match[3]) ? `${match[1]}::${match[3]}` : match[1];
  byModule.set(module, (byModule.get(module) ?? 0) + size);
});
const modules = [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
console.log('\nvramfit by path, two levels deep (a module, or a function of a top-level module), the largest 12:\n');
console.log('| path | raw bytes |');
console.log('|---|---:|');
for (const [module, size] of modules) console.log(`| \`${module}\` | ${kb(size)} |`);
console.log(`\nThe whole optimised module gzips to ${kb(gzipSync(bytes, { level: 9 }).length)} with names kept.`);
