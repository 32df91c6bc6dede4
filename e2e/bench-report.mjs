// Assembles docs/BENCHMARKS.md from what ./bench measured (target/bench/*
// and target/measurements.json). Run by ./bench.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const read = (name) => readFileSync(join(root, 'target', name), 'utf8').trim();
const m = JSON.parse(read('measurements.json'));
const w = m.page_weight_bytes;
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

// criterion: "group/name\n time: [low mid high]" → a table.
const criterion = [];
let name = null;
for (const line of read('bench/plan.txt').split('\n')) {
  const bench = line.match(/^((?:full recompute|catalog search)[^\s].*?)\s*$/) || line.match(/^((?:full recompute|catalog search).*)$/);
  if (bench && !line.includes('time:')) name = bench[1].trim();
  const t = line.match(/time:\s+\[([^\]]+)\]/);
  if (t) {
    const [low, mid, high] = t[1].split(/\s+(?=\d)/);
    criterion.push(`| ${name ?? '?'} | ${mid} | ${low} – ${high} |`);
  }
}
const estimate = read('bench/estimate.txt').split('\n');
const slowest = estimate.find((l) => l.startsWith('slowest estimate')) ?? '';

const overBudget = `Already off the critical path, in the worker module (the last row above:
loaded on first use, or by the service worker after the first render): the
catalog searches with their price and cloud catalogs, "check my setup"'s
log, command and inventory readers, and the GGUF, safetensors and projector
file readers. What stays is the planner the first render runs, the UI,
share links and the JS API. The planner alone — \`report()\` over the
catalog with no UI and no JS API (\`tests/bench/core-probe\`), built and
optimised like the page — is measured on every run:

${read('bench/core.md')}

So the planner by itself already takes more than the 250 KB budget leaves
for a whole page. Fine-tuning stays in the page: its code (\`report::train\`
in the table above, and the \`train\` module it calls) is a few tens of KB
raw, and moving it
would make the JS API's \`train\` a Promise and send its report back to the
form. Reaching the budget takes a smaller planner (its largest part is the
per-family config readers, \`import::arch\`), not another split.
`;

const doc = `# vramfit benchmarks

Regenerate with \`./bench\` (about 5 minutes after the first build). Last run:
${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}.
Every number below was measured by that command, except the two "measured"
tables in section 1: those come from real llama.cpp and transformers runs
whose results are committed as JSON (\`tests/data/measured/\`, each with the
date, versions and hardware) and are rerun by the opt-in heavy parts,
\`./bench --llama-cpp\` (CPU, builds llama-cpp-python once) and
\`./bench --gpu\` (needs a CUDA GPU with torch and transformers). The exact
cases, and the measured ones within stated bands, are also tests in
\`./test\` (\`tests/measured.rs\`).

## 1. Accuracy against facts no one here chose

${read('bench/accuracy.md')}

vLLM's and ExLlamaV2's compute buffers are derived from their source, not
measured here: no GPU run of either was possible from this machine.

## 2. Split quality

The longest context for one sequence, and the most parallel sequences of
8192 tokens, that each split holds (llama.cpp, 500 MiB overhead per GPU,
searched past each model's trained length so capacity shows). "llama.cpp default" is \`-ts\` proportional to free memory;
"accelerate balanced" is \`device_map="balanced"\`. \`tests/split.rs\` also
checks the optimal split against brute force over every partition on small
models.

${read('bench/split.md')}

## 3. Speed and size

Full recompute (what the page does on every input: validate, estimate,
optimal split, longest context, most sequences, the sweep, commands) and the
two catalog searches (\`search::fit\` over every catalog model × format,
\`search::buy\` over every priced card), native, criterion
(\`cargo bench --bench plan\`):

| case | median | 95 % interval |
|---|---:|---:|
${criterion.join('\n')}

The same inside the browser (wasm, headless Chromium, 40 runs after warm-up,
\`e2e/bench-wasm.mjs\`); goal: under 5 ms:

${read('bench/wasm.md')}

The searches inside the browser, asked through \`vramfit.fit\` / \`vramfit.buy\`
and answered by the worker module (the round trip, JSON both ways; 10 runs
after 2 warm-ups); goal: well under 100 ms:

${read('bench/wasm-search.md')}

Estimating one catalog model (tensor list → weights, KV, compute), native:
${slowest.replace('slowest estimate:', 'the slowest is')} (\`cargo bench --bench estimate\` lists all 46).

Page weight on the first render's critical path (release build, \`dist/\`;
budget 250 KB gzip):

| asset | raw | gzip |
|---|---:|---:|
${['wasm', 'js', 'css', 'html', 'total'].map((k) => `| ${k} | ${kb(w[k].raw)} | ${kb(w[k].gzip)} |`).join('\n')}
${w.deferred ? `| loaded after the first render: ${w.deferred.files.join(', ')} | ${kb(w.deferred.raw)} | ${kb(w.deferred.gzip)} |` : ''}

${w.total.gzip > 250000 ? `**Over budget by ${kb(w.total.gzip - 250000)}.**` : 'Within budget.'} Where the wasm's code goes
(\`e2e/wasm-size.mjs\`: the release module optimised with names kept,
functions charged to the crate that names them):

${read('bench/wasm-size.md')}

${w.total.gzip > 250000 ? overBudget : ''}
First rendered result after navigation: median ${m.first_result_ms.median_ms} ms
over ${m.first_result_ms.loads.length} cold loads (budget 300 ms). Input to
updated result: median ${m.input_to_update_ms.median_ms} ms, max
${m.input_to_update_ms.max_ms} ms over ${m.input_to_update_ms.edits} edits of the
context field.
`;
writeFileSync(join(root, 'docs', 'BENCHMARKS.md'), doc);
console.log('wrote docs/BENCHMARKS.md');
