/* Every page: the service worker, the outbox badge, the signed-in user's working set, and sending
   what waits whenever the connection is there. Reads its settings and words from the JSON that
   base.html writes (visits/templatetags/offline_tags.py). */
(function () {
  "use strict";

  var Outbox = window.TownAidOutbox;
  var element = document.getElementById("townaid-offline");
  if (!Outbox || !element || !window.indexedDB) { return; }
  var config = JSON.parse(element.textContent);
  var words = config.words;
  var user = config.user;  // null on the pages shown before login
  Outbox.configure({ syncUrl: config.sync_url });
  var WORKING_SET_MAX_AGE_MS = 30 * 60 * 1000;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.service_worker, { scope: "/" }).catch(function () { /* plain pages still work */ });
  }

  // ------------------------------------------------------------------ the badge: visits waiting on this phone

  function showCount(count) {
    document.querySelectorAll("[data-outbox-badge]").forEach(function (badge) {
      badge.hidden = count === 0;
      var number = badge.querySelector("[data-outbox-count]");
      if (number) { number.textContent = String(count); }
      badge.setAttribute("title", words.waiting_count.replace("%(count)s", String(count)));
    });
  }

  function refreshCount() {
    if (!user) { return Promise.resolve(); }
    return Outbox.count(user).then(showCount, function () { /* private mode without IndexedDB */ });
  }

  // ------------------------------------------------------------------ a word carried to the next page

  function flash() {
    var text = sessionStorage.getItem("townaid-flash");
    if (!text) { return; }
    sessionStorage.removeItem("townaid-flash");
    var message = JSON.parse(text);
    var main = document.querySelector("main");
    if (!main) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-" + (message.level || "success");
    alert.setAttribute("role", "status");
    alert.textContent = message.text;
    main.insertBefore(alert, main.firstChild);
  }

  // ------------------------------------------------------------------ whose phone it is now

  async function checkUser() {
    var previous = await Outbox.meta("user");
    if (user && previous && previous !== user) { await Outbox.wipeWorkingSet(); }
    if (user) { await Outbox.setMeta("user", user); }
  }

  // Logging out takes the user's households, kept pages, drafts and sent visits off the phone. Visits not yet
  // sent stay, for their writer only, and go when that person logs in again: the logout says so first.
  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var waiting = 0;
      try { waiting = user ? await Outbox.count(user) : 0; } catch (error) { /* no storage: nothing waits */ }
      if (waiting && !window.confirm(words.logout_waiting.replace("%(count)s", String(waiting)))) { return; }
      try { await Outbox.forget(user); } catch (error) { /* nothing kept to forget */ }
      form.submit();
    });
  });

  // ------------------------------------------------------------------ the working set, for writing visits offline

  async function keepPages() {
    if (!window.caches) { return; }
    var cache = await caches.open(Outbox.PAGES_CACHE);
    await Promise.all(config.pages.map(async function (url) {
      var response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.ok && !response.redirected) { await cache.put(url, response); }
    }));
  }

  async function refreshWorkingSet(force) {
    if (!user || !navigator.onLine) { return; }
    var kept = await Outbox.meta("workingSet");
    var fresh = kept && kept.user === user && Date.now() - Date.parse(kept.at) < WORKING_SET_MAX_AGE_MS;
    if (fresh && !force) { return; }
    var response = await fetch(config.working_set, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    if (!response.ok) { return; }
    var set = await response.json();
    if (set.user.id !== user) { return; }
    // The pages first: the set's time is written last, so a page left halfway has it all fetched again next time.
    await keepPages();
    await Outbox.keepWorkingSet(set);
  }

  // ------------------------------------------------------------------ sending

  var sending = false;
  async function send() {
    if (!user || sending) { return; }
    sending = true;
    try {
      var waiting = await Outbox.count(user);
      if (!waiting) { return; }
      var run = await Outbox.sendAll();
      if (run.stopped === "network") { Outbox.askForSync(); }
      if (run.sent) {
        var text = words.sent_count.replace("%(count)s", String(run.sent));
        document.dispatchEvent(new CustomEvent("townaid:sent", { detail: { text: text } }));
      }
    } finally {
      sending = false;
      refreshCount();
    }
  }

  Outbox.listen(function () { refreshCount(); });
  window.addEventListener("online", function () { send(); refreshWorkingSet(false).catch(function () {}); });
  // A page left open sends what waits now and then, in case no "online" event ever came.
  setInterval(function () { if (navigator.onLine) { send(); } }, 60 * 1000);

  window.TownAidOffline = { config: config, words: words, user: user, send: send, refreshCount: refreshCount, refreshWorkingSet: refreshWorkingSet };

  // The working set and the kept pages are fetched once the page itself has loaded, and a moment later:
  // on one bar of signal the page the cadre opened comes first.
  function afterLoad() {
    return new Promise(function (resolve) {
      function later() { setTimeout(resolve, 1500); }
      if (document.readyState === "complete") { later(); } else { window.addEventListener("load", later); }
    });
  }

  flash();
  checkUser()
    .then(refreshCount)
    .then(function () { return user ? Outbox.prune(user) : null; })
    .then(function () { return navigator.onLine ? send() : null; })
    .then(afterLoad)
    .then(function () { return refreshWorkingSet(false); })
    .catch(function () { /* the page works without the phone's storage */ });
})();
