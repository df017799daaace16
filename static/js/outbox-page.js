/* The outbox page: every visit on this phone with its state, what the server said, and the choices it leaves. */
(function () {
  "use strict";

  var root = document.querySelector("[data-outbox]");
  var Offline = window.TownAidOffline;
  var Outbox = window.TownAidOutbox;
  if (!root || !Offline || !Outbox || !Offline.user) { return; }
  var words = Offline.words;
  var user = Offline.user;
  var list = root.querySelector("[data-outbox-list]");
  var template = root.querySelector("[data-outbox-row]");
  var empty = root.querySelector("[data-outbox-empty]");
  var status = root.querySelector("[data-outbox-status]");
  var sendNow = root.querySelector("[data-send-now]");
  var BADGES = { draft: "text-bg-light", waiting: "text-bg-warning", sending: "text-bg-info", sent: "text-bg-success", attention: "text-bg-danger" };

  function say(text, level) {
    status.hidden = !text;
    status.className = "alert alert-" + (level || "info");
    status.textContent = text || "";
  }

  function when(iso) {
    return iso ? new Date(iso).toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" }) : "";
  }

  function button(text, classes, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm " + classes;
    b.textContent = text;
    b.addEventListener("click", action);
    return b;
  }

  function anchor(text, classes, href) {
    var a = document.createElement("a");
    a.className = "btn btn-sm " + classes;
    a.textContent = text;
    a.href = href;
    return a;
  }

  function formUrl(record) {
    return Offline.config.log_url + "?household=" + record.household + "&draft=" + record.key;
  }

  function reasonText(record) {
    if (record.state === "sent") { return record.message; }
    if (record.state === "waiting") { return words["reason_" + record.reason] || record.message || ""; }
    if (record.reason === "conflict") { return words.conflict; }
    if (record.reason === "invalid") {
      var errors = record.errors || {};
      return [words.invalid].concat(Object.keys(errors).map(function (name) { return errors[name].join(" "); })).join(" ");
    }
    return record.message || words["reason_" + record.reason] || words.reason_refused;
  }

  // A field's value as the server showed it: the 2W3G verdicts as "item ✓/✗: note", the rest as text.
  function shown(value) {
    if (value === undefined || value === null) { return ""; }
    if (Array.isArray(value)) {
      return value.map(function (verdict) {
        return verdict.label + " " + (verdict.passes ? "✓" : "✗") + (verdict.note ? ": " + verdict.note : "");
      }).join("; ");
    }
    return String(value);
  }

  function conflictRows(table, conflict) {
    var body = table.querySelector("tbody");
    var labels = conflict.labels || {};
    Object.keys(Object.assign({}, conflict.stored, conflict.sent)).forEach(function (name) {
      var stored = conflict.stored[name];
      var sent = conflict.sent[name];
      if (JSON.stringify(stored) === JSON.stringify(sent)) { return; }
      var row = body.insertRow();
      var head = document.createElement("th");
      head.scope = "row";
      head.textContent = labels[name] || name;
      row.appendChild(head);
      row.insertCell().textContent = shown(stored);
      row.insertCell().textContent = shown(sent);
    });
  }

  async function choose(record, extra) {
    say("", null);
    var result = await Outbox.sendOne(record.key, { extra: extra });
    if (result.outcome === "network") { say(words.reason_network, "warning"); }
    render();
  }

  function row(record) {
    var view = template.content.cloneNode(true);
    var item = view.querySelector("li");
    item.dataset.key = record.key;
    item.dataset.state = record.state;
    view.querySelector("[data-row=label]").textContent = record.label || words.household.replace("%(number)s", "#" + record.household);
    var badge = view.querySelector("[data-row=state]");
    badge.textContent = words["state_" + record.state];
    badge.classList.add(BADGES[record.state]);
    var dates = [];
    if (record.fields.visited_on) { dates.push(words.visited_on.replace("%(date)s", record.fields.visited_on)); }
    if (record.madeAt) { dates.push(words.written_at.replace("%(when)s", when(record.madeAt))); }
    view.querySelector("[data-row=when]").textContent = dates.join(" · ");
    view.querySelector("[data-row=message]").textContent = reasonText(record);
    var actions = view.querySelector("[data-row=actions]");
    if (record.state === "sent" && record.visit) {
      actions.appendChild(anchor(words.view_visit, "btn-outline-secondary", record.visit.url));
    }
    if (record.state === "draft" || record.state === "waiting") {
      actions.appendChild(anchor(words.open, "btn-outline-primary", formUrl(record)));
    }
    if (record.state === "attention" && record.reason === "conflict" && record.conflict) {
      var table = view.querySelector("[data-row=conflict]");
      table.hidden = false;
      conflictRows(table, record.conflict);
      actions.appendChild(button(words.keep_stored, "btn-outline-primary", function () { choose(record, { resolve: "keep" }); }));
      actions.appendChild(button(words.use_mine, "btn-outline-danger", function () {
        choose(record, { resolve: "replace", replaces: record.conflict.storedDigest || "" });
      }));
    } else if (record.state === "attention") {
      actions.appendChild(anchor(words.correct, "btn-outline-primary", formUrl(record)));
    }
    if (record.state !== "sent" && record.state !== "sending") {
      actions.appendChild(button(words.discard, "btn-outline-secondary", function () {
        if (window.confirm(words.discard_confirm)) { Outbox.remove(record.key).then(render); }
      }));
    }
    return view;
  }

  function worthShowing(record) {
    // An untouched draft (a form opened and left) is not worth a line.
    return record.state !== "draft" || Object.keys(record.fields).some(function (name) {
      return name !== "visited_on" && name !== "method" && record.fields[name];
    }) || record.photos.length > 0;
  }

  async function render() {
    var records = (await Outbox.records(user)).filter(worthShowing);
    list.textContent = "";
    records.forEach(function (record) { list.appendChild(row(record)); });
    empty.hidden = records.length > 0;
    sendNow.disabled = !records.some(function (r) { return r.state === "waiting" || r.state === "sending"; });
  }

  Outbox.listen(function (message) {
    if (message.progress !== undefined) {
      var item = list.querySelector("[data-key='" + message.key + "'] [data-row=progress]");
      if (item) {
        item.hidden = false;
        item.querySelector(".progress-bar").style.width = Math.round(message.progress * 100) + "%";
        item.setAttribute("aria-valuenow", String(Math.round(message.progress * 100)));
      }
      return;
    }
    render();
  });

  sendNow.addEventListener("click", async function () {
    sendNow.disabled = true;
    say("", null);
    await Offline.send();
    var left = (await Outbox.records(user)).filter(function (r) { return r.state === "waiting"; });
    if (left.length) { say(words["reason_" + left[0].reason] || words.reason_network, "warning"); }
    render();
  });
  document.addEventListener("townaid:sent", function (event) { say(event.detail.text, "success"); render(); });
  render();
})();
