/* The phone's outbox: visits written on the phone, kept in IndexedDB until the server has them.

   Loaded by every page (after vendor/idb/umd.js) and by the service worker (importScripts), so it
   touches no DOM. One record per visit, named by its client key, made once when the draft is
   created: however often a record is sent (a retry after a lost reply, Back, a double tap, a resend
   after a new login), the server stores one visit (visits:sync is idempotent on the key).

   A record's state: draft (being written) -> waiting (saved, not yet sent) -> sending -> sent, or
   attention (the server refused it and said why: the visitor decides). Records belong to the
   user who wrote them; another user signed in on the same phone never sees or sends them. */
(function (root) {
  "use strict";

  var STATE = { DRAFT: "draft", WAITING: "waiting", SENDING: "sending", SENT: "sent", ATTENTION: "attention" };
  var SYNC_TAG = "townaid-outbox";
  var PAGES_CACHE = "townaid-pages";
  var LOCK = "townaid-outbox";
  var config = { syncUrl: "/visits/sync/" };
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("townaid-outbox") : null;
  var database = null;

  function configure(options) { Object.assign(config, options); }

  function db() {
    if (!database) {
      database = root.idb.openDB("townaid", 1, {
        upgrade: function (upgrade) {
          upgrade.createObjectStore("visits", { keyPath: "key" }).createIndex("user", "user");
          upgrade.createObjectStore("households", { keyPath: "id" });
          upgrade.createObjectStore("meta");
        }
      });
    }
    return database;
  }

  function now() { return new Date().toISOString(); }

  // Every page showing the outbox (and the badge) listens; progress is told without a write.
  function announce(message) { if (channel) { channel.postMessage(message); } }
  function listen(callback) {
    if (!channel) { return; }
    var incoming = new BroadcastChannel("townaid-outbox");
    incoming.onmessage = function (event) { callback(event.data); };
  }

  // ------------------------------------------------------------------ records

  function newKey() {
    if (root.crypto && typeof root.crypto.randomUUID === "function") { return root.crypto.randomUUID(); }
    // Pages served over plain http (a phone on the office network) have no randomUUID: a version-4 UUID by hand.
    var bytes = root.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function draft(user, household) {
    return {
      key: newKey(), user: user, household: household.id, village: household.village || null,
      label: household.label || "", fields: {}, photos: [], state: STATE.DRAFT, createdAt: now(),
      madeAt: null, offline: false, latitude: null, longitude: null, attempts: 0,
      reason: "", message: "", errors: null, conflict: null, visit: null
    };
  }

  async function get(key) { return (await db()).get("visits", key); }

  async function put(record) {
    record.updatedAt = now();
    await (await db()).put("visits", record);
    announce({ key: record.key, state: record.state });
    return record;
  }

  async function remove(key) {
    await (await db()).delete("visits", key);
    announce({ key: key, state: null });
  }

  function oldestFirst(a, b) { return (a.madeAt || a.createdAt).localeCompare(b.madeAt || b.createdAt); }

  async function records(user) {
    var all = await (await db()).getAllFromIndex("visits", "user", user);
    return all.sort(oldestFirst);
  }

  function outstanding(record) {
    return record.state === STATE.WAITING || record.state === STATE.SENDING || record.state === STATE.ATTENTION;
  }

  async function count(user) { return (await records(user)).filter(outstanding).length; }

  // Sent records are kept a week to show in the outbox (without their photos), then dropped.
  async function prune(user) {
    var week = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
    var stale = (await records(user)).filter(function (r) { return r.state === STATE.SENT && (r.sentAt || "") < week; });
    for (var i = 0; i < stale.length; i += 1) { await remove(stale[i].key); }
  }

  // ------------------------------------------------------------------ the user's working set

  async function meta(name) { return (await db()).get("meta", name); }
  async function setMeta(name, value) { return (await db()).put("meta", value, name); }

  async function household(id) { return (await db()).get("households", Number(id)); }

  async function keepWorkingSet(set) {
    var tx = (await db()).transaction(["households", "meta"], "readwrite");
    var households = tx.objectStore("households");
    await households.clear();
    Object.keys(set.households).forEach(function (id) { households.put(set.households[id]); });
    tx.objectStore("meta").put(set.due, "due");
    tx.objectStore("meta").put({ user: set.user.id, at: now(), today: set.today }, "workingSet");
    await tx.done;
  }

  // The households' details and the kept pages go at logout and when someone else signs in; visits
  // not yet sent stay (they are their writer's, and sent when that person signs in again).
  async function wipeWorkingSet() {
    var tx = (await db()).transaction(["households", "meta"], "readwrite");
    tx.objectStore("households").clear();
    tx.objectStore("meta").delete("due");
    tx.objectStore("meta").delete("workingSet");
    await tx.done;
    if (root.caches) { await root.caches.delete(PAGES_CACHE); }
  }

  // At logout: the working set, and every record of the user but the visits still to be sent.
  async function forget(user) {
    await wipeWorkingSet();
    var mine = await records(user);
    for (var i = 0; i < mine.length; i += 1) {
      if (!outstanding(mine[i])) { await remove(mine[i].key); }
    }
  }

  // ------------------------------------------------------------------ sending

  function parse(text) {
    try { return JSON.parse(text); } catch (error) { return {}; }
  }

  function body(record, extra) {
    var data = new FormData();
    Object.keys(record.fields).forEach(function (name) {
      [].concat(record.fields[name]).forEach(function (value) { data.append(name, value); });
    });
    data.set("client_key", record.key);
    data.set("household", record.household);
    if (record.village) { data.set("village", record.village); }
    if (record.madeAt) { data.set("made_at", record.madeAt); }
    data.set("offline", record.offline ? "1" : "0");
    if (record.latitude !== null && record.longitude !== null) {
      data.set("latitude", record.latitude);
      data.set("longitude", record.longitude);
    }
    record.photos.forEach(function (photo, index) { data.append("photos", photo.blob, "photo-" + (index + 1) + ".jpg"); });
    Object.keys(extra || {}).forEach(function (name) { data.set(name, extra[name]); });
    return data;
  }

  // Long enough for the photos at 2 kB/s (one bar of signal), never less than 30 s.
  function patience(record) {
    var bytes = record.photos.reduce(function (sum, photo) { return sum + photo.blob.size; }, 0);
    return 30000 + bytes / 2;
  }

  function post(record, token, extra, onProgress) {
    var data = body(record, extra);
    var timeout = patience(record);
    if (typeof XMLHttpRequest === "function") {  // a page: upload progress can be shown
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        xhr.open("POST", config.syncUrl);
        xhr.setRequestHeader("X-CSRFToken", token);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.timeout = timeout;
        xhr.upload.onprogress = function (event) {
          if (event.lengthComputable && onProgress) { onProgress(event.loaded / event.total); }
        };
        xhr.onload = function () { resolve({ status: xhr.status, body: parse(xhr.responseText) }); };
        xhr.onerror = xhr.ontimeout = xhr.onabort = function () { reject(new Error("network")); };
        xhr.send(data);
      });
    }
    var controller = new AbortController();  // the service worker: fetch, given up after the same time
    var timer = setTimeout(function () { controller.abort(); }, timeout);
    return fetch(config.syncUrl, {
      method: "POST", body: data, credentials: "same-origin", signal: controller.signal,
      headers: { "X-CSRFToken": token, Accept: "application/json" }
    }).then(function (response) {
      clearTimeout(timer);
      return response.text().then(function (text) { return { status: response.status, body: parse(text) }; });
    }, function () { clearTimeout(timer); throw new Error("network"); });
  }

  // Who is signed in, and a fresh CSRF token: asked before each round of sending.
  async function session() {
    var response;
    try {
      response = await fetch(config.syncUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
    } catch (error) {
      return { network: true };
    }
    var answer = parse(await response.text());
    if (response.status === 401) { return { login: true, message: answer.message || "", loginUrl: answer.login_url }; }
    if (!response.ok || !answer.csrf_token) { return { server: true }; }
    return { user: answer.user, token: answer.csrf_token };
  }

  async function settle(record, result) {
    var answer = result.body || {};
    var status = result.status;
    record.progress = null;
    record.errors = null;
    record.message = answer.message || "";
    if (status === 200 || status === 201) {
      record.state = STATE.SENT;
      record.reason = answer.status || "created";
      record.visit = answer.visit || null;
      record.conflict = null;
      record.sentAt = now();
      record.photos = [];  // the server has them now
      await put(record);
      return "sent";
    }
    if (status === 401) {
      record.state = STATE.WAITING;
      record.reason = "login";
      await put(record);
      return "login";
    }
    if (status === 403 && answer.status === "csrf") {
      record.state = STATE.WAITING;
      record.reason = "csrf";
      await put(record);
      return "csrf";
    }
    if (status === 409) {
      record.state = STATE.ATTENTION;
      record.reason = "conflict";
      record.conflict = {
        stored: answer.stored || {}, sent: answer.sent || {}, labels: answer.labels || {},
        storedDigest: answer.stored_digest, visit: answer.visit
      };
      await put(record);
      return "attention";
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      record.state = STATE.ATTENTION;
      record.reason = status === 413 ? "too_large" : (answer.reason || answer.status || "refused");
      record.errors = answer.errors || null;
      await put(record);
      return "attention";
    }
    record.state = STATE.WAITING;  // 5xx, a proxy's page, too many requests: try again later
    record.reason = "server";
    await put(record);
    return "server";
  }

  async function deliver(record, open, options) {
    record.state = STATE.SENDING;
    record.attempts += 1;
    record.lastAttemptAt = now();
    await put(record);
    var result;
    try {
      result = await post(record, open.token, options.extra, function (fraction) {
        announce({ key: record.key, state: STATE.SENDING, progress: fraction });
        if (options.onProgress) { options.onProgress(fraction); }
      });
    } catch (error) {
      record.state = STATE.WAITING;
      record.reason = "network";
      record.offline = true;  // it waits on the phone for a signal: logged offline
      await put(record);
      return "network";
    }
    var outcome = await settle(record, result);
    if (outcome === "csrf" && !options.retried) {  // the token went with an old session: once more with a fresh one
      var again = await session();
      if (!again.token) { return again.login ? "login" : "network"; }
      open.token = again.token;
      return deliver(record, open, Object.assign({}, options, { retried: true }));
    }
    return outcome;
  }

  function locked(work) {
    var locks = root.navigator && root.navigator.locks;
    return locks ? locks.request(LOCK, work) : work();
  }

  // Send one record now (the form's own save, a choice made in the outbox); `extra` adds fields.
  function sendOne(key, options) {
    options = options || {};
    return locked(async function () {
      var record = await get(key);
      if (!record || record.state === STATE.SENT) { return { outcome: "sent", record: record }; }
      var open = await session();
      if (open.network || open.server) {
        record.state = STATE.WAITING;
        record.reason = open.network ? "network" : "server";
        record.offline = record.offline || Boolean(open.network);
        await put(record);
        return { outcome: record.reason, record: record };
      }
      if (open.login) {
        record.state = STATE.WAITING;
        record.reason = "login";
        record.message = open.message;
        await put(record);
        return { outcome: "login", record: record, loginUrl: open.loginUrl };
      }
      if (open.user !== record.user) { return { outcome: "other-user", record: record }; }
      var outcome = await deliver(record, open, options);
      return { outcome: outcome, record: record };
    });
  }

  // Send every waiting record of the signed-in user, oldest first; stop at the first sign that the
  // connection, the session or the server is not there (the rest would fail the same way).
  function sendAll(options) {
    options = options || {};
    return locked(async function () {
      var all = await (await db()).getAll("visits");
      // Under the lock nobody else is sending: a record left "sending" was cut off (page closed, phone asleep).
      var due = all.filter(function (r) { return r.state === STATE.WAITING || r.state === STATE.SENDING; }).sort(oldestFirst);
      if (!due.length) { return { stopped: null, sent: 0 }; }
      var open = await session();
      if (open.network || open.server) { return { stopped: open.network ? "network" : "server", sent: 0 }; }
      if (open.login) {
        for (var i = 0; i < due.length; i += 1) {
          if (due[i].reason !== "login" || due[i].state !== STATE.WAITING) {
            due[i].state = STATE.WAITING;
            due[i].reason = "login";
            due[i].message = open.message;
            await put(due[i]);
          }
        }
        return { stopped: "login", loginUrl: open.loginUrl, sent: 0 };
      }
      var sent = 0;
      var mine = due.filter(function (r) { return r.user === open.user; });
      for (var j = 0; j < mine.length; j += 1) {
        var outcome = await deliver(mine[j], open, { onProgress: options.onProgress });
        if (outcome === "sent") { sent += 1; }
        if (outcome === "network" || outcome === "login" || outcome === "server") { return { stopped: outcome, sent: sent }; }
      }
      return { stopped: null, sent: sent };
    });
  }

  // Ask the browser to wake the service worker when the connection returns (where it can).
  async function askForSync() {
    try {
      var registration = await root.navigator.serviceWorker.ready;
      if (registration.sync) { await registration.sync.register(SYNC_TAG); }
    } catch (error) { /* no Background Sync here: the online event and the pages send instead */ }
  }

  root.TownAidOutbox = {
    STATE: STATE, SYNC_TAG: SYNC_TAG, PAGES_CACHE: PAGES_CACHE,
    configure: configure, listen: listen, newKey: newKey, draft: draft, get: get, put: put, remove: remove,
    records: records, outstanding: outstanding, count: count, prune: prune, meta: meta, setMeta: setMeta,
    household: household, keepWorkingSet: keepWorkingSet, wipeWorkingSet: wipeWorkingSet, forget: forget,
    session: session, sendOne: sendOne, sendAll: sendAll, askForSync: askForSync
  };
})(self);
