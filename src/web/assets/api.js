// vramfit as an ES module for docs sites, from wherever the app is hosted:
//
//   import { load } from 'https://example.org/vramfit/api.js';
//   const vramfit = await load();
//   const plan = vramfit.plan({ model: 'llama-3.1-8b', gpus: '2x24GB', ctx: 32768 });
//
// It loads the app's WebAssembly without mounting the page (the hashed file
// names are read from the app's index.html) and returns window.vramfit.
export async function load() {
  if (window.vramfit) return window.vramfit;
  const base = new URL('./', import.meta.url);
  const html = await (await fetch(new URL('index.html', base))).text();
  const js = html.match(/from\s+'([^']+\.js)'/);
  const wasm = html.match(/module_or_path:\s*'([^']+\.wasm)'/);
  if (!js || !wasm) throw new Error('vramfit: could not find the app module in index.html');
  window.vramfitApiOnly = true;
  // The searches (fit, buy) run in a worker whose files sit beside this one.
  window.vramfitBase = base.href;
  const module = await import(new URL(js[1], base).href);
  await module.default({ module_or_path: new URL(wasm[1], base).href });
  return window.vramfit;
}
