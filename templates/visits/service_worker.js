{% autoescape off %}/* TownAid's service worker (rendered by visits/views_offline.py; served from /sw.js).

   It keeps the app shell (our static files and the offline page) with Workbox's precaching, answers
   a page it cannot fetch with the copy the signed-in user's phone keeps of it (the due list, the visit
   form's shell, the outbox: static/js/offline.js fills and wipes that cache), and sends the outbox
   when the browser says the connection is back (Background Sync). Nothing here holds personal data. */
"use strict";
importScripts(...{{ scripts }});

const PAGES_CACHE = "townaid-pages";
const PAGES = {{ pages }};
const OFFLINE_PAGE = {{ offline }};
const VISIT_FORM = {{ log_url }};  // any household's visit form: the phone shows the form's shell
// A page that the phone keeps waits this long for the network before the kept copy is shown.
const PAGE_TIMEOUT_MS = 8000;

TownAidOutbox.configure({ syncUrl: {{ sync_url }} });

workbox.core.setCacheNameDetails({ prefix: "townaid" });
workbox.precaching.precacheAndRoute({{ precache }});
workbox.precaching.cleanupOutdatedCaches();

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// Which kept page stands in for a page asked for: the visit form of any household is the form's shell.
function keptPageFor(url) {
  if (url.pathname === PAGES.due || url.pathname === PAGES.outbox) { return url.pathname; }
  if (url.pathname === VISIT_FORM) { return PAGES.form; }
  return null;
}

function within(promise, ms) {
  return new Promise(function (resolve, reject) {
    const timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

async function keptOrOffline(kept) {
  const copy = kept && await caches.open(PAGES_CACHE).then(function (cache) { return cache.match(kept); });
  return copy || await workbox.precaching.matchPrecache(OFFLINE_PAGE) || Response.error();
}

workbox.routing.registerRoute(
  function (options) { return options.request.mode === "navigate"; },
  async function (options) {
    const kept = keptPageFor(options.url);
    try {
      const response = await (kept ? within(fetch(options.request), PAGE_TIMEOUT_MS) : fetch(options.request));
      // The latest due list and outbox seen online are the ones shown offline; only for a signed-in
      // user (a signed-out one is redirected to the login page), and only while the phone keeps pages.
      if (kept && kept !== PAGES.form && response.ok && !response.redirected && await caches.has(PAGES_CACHE)) {
        const copy = response.clone();
        caches.open(PAGES_CACHE).then(function (cache) { return cache.put(kept, copy); });
      }
      return response;
    } catch (error) {
      return keptOrOffline(kept);
    }
  }
);

// The browser wakes the worker when the connection is back: send what waits. A rejection asks it to try again later.
self.addEventListener("sync", function (event) {
  if (event.tag === TownAidOutbox.SYNC_TAG) {
    event.waitUntil(TownAidOutbox.sendAll().then(function (run) {
      if (run.stopped === "network") { throw new Error("still offline"); }
    }));
  }
});
{% endautoescape %}
