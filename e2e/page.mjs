// What the specs share about a page: its errors and axe's findings.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Collects console errors and page errors (a wasm panic shows up as one). */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  page.on('pageerror', (err) => errors.push(String(err)));
  return errors;
}

/** axe's violations as `rule: targets`; `rules` switches on rules that are
 * off by default (e.g. label-content-name-mismatch). */
export async function axeViolations(page, rules = {}) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(
    async (rules) => await window.axe.run(document, { resultTypes: ['violations'], rules }),
    rules,
  );
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
