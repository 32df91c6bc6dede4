// vramfit service worker: the app keeps working offline after one visit.
// Pages and unhashed files (the worker module, api.js) are network-first (so
// a new build is picked up when online) with the cached copy as fallback;
// hashed JS, wasm and CSS are cache-first, since a hashed file never changes.
const CACHE = 'vramfit-v3';
// The worker module is loaded on first use (check my setup, file drops, the
// searches), not by the first render; kept at install so those work offline
// after one visit even if they were never used online.
const WORKER = ['vramfit-worker.js', 'vramfit-worker_bg.wasm'];

self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(WORKER.map((f) => new URL(f, self.registration.scope).href)))
      .catch(() => {}),
  );
});
self.addEventListener('activate', (event) =>
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  ),
);

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      if (request.mode === 'navigate') {
        const page = new URL('./', self.registration.scope).href;
        try {
          const fresh = await fetch(request);
          if (fresh.ok) cache.put(page, fresh.clone());
          return fresh;
        } catch {
          return (await cache.match(page)) || Response.error();
        }
      }
      if (!/-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/.test(url.pathname)) {
        try {
          const fresh = await fetch(request);
          if (fresh.ok) cache.put(request, fresh.clone());
          return fresh;
        } catch {
          return (await cache.match(request)) || Response.error();
        }
      }
      const hit = await cache.match(request);
      if (hit) return hit;
      const fresh = await fetch(request);
      if (fresh.ok) cache.put(request, fresh.clone());
      return fresh;
    })(),
  );
});
