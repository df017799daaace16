/* The visit form, written on the phone first.

   The form is a draft in IndexedDB from the first keystroke, photos included (made small here,
   1600 px on the long side, as JPEG), named by a client key made once, when the draft is made. The
   page's address carries the draft's key (?draft=...), so Back, a reload or a new login bring back
   the same draft, and a draft already saved says so instead of being saved twice. Saving puts the
   visit in the outbox and sends it at once when there is a signal, with its upload progress; with
   no signal (or no reply) it waits in the outbox. Without this script the form posts as a plain form. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-visit-form]");
  var Offline = window.TownAidOffline;
  var Outbox = window.TownAidOutbox;
  if (!form || !Offline || !Outbox || !Offline.user || !window.indexedDB) { return; }
  var words = Offline.words;
  var user = Offline.user;
  var MAX_SIDE = 1600;
  var RECORD_FIELDS = ["household", "village", "made_at", "offline", "latitude", "longitude", "resolve", "replaces"];
  var JPEG_QUALITY = 0.82;
  var params = new URLSearchParams(location.search);
  var householdId = Number(form.dataset.household || params.get("household"));
  if (!householdId) { return; }

  var status = form.querySelector("[data-visit-status]");
  var progress = form.querySelector("[data-visit-progress]");
  var photoList = form.querySelector("[data-photo-list]");
  var photoInput = form.querySelector("input[type=file][name=photos]");
  var submit = form.querySelector("[type=submit]");
  var locationBox = form.querySelector("[data-location]");
  var locationInput = locationBox && locationBox.querySelector("input");
  var record = null;
  var saving = null;

  function say(text, level, extra) {
    status.hidden = !text;
    status.className = "alert alert-" + (level || "info");
    status.textContent = text || "";
    if (extra) { status.appendChild(extra); }
    if (text) { status.scrollIntoView({ block: "nearest" }); }
  }

  function link(href, text, classes) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    a.className = classes || "d-block mt-2";
    return a;
  }

  // ------------------------------------------------------------------ the household, from the page or the phone

  function householdOnPage() {
    return { id: householdId, village: Number(form.dataset.village) || null, label: form.dataset.label || "" };
  }

  async function fillFromWorkingSet() {
    var kept = await Outbox.household(householdId);
    var title = document.querySelector("[data-household-title]");
    if (!kept) {
      if (form.dataset.shell === "1") {
        title.textContent = words.household.replace("%(number)s", "#" + householdId);
        say(words.not_on_phone, "warning");
      }
      return null;
    }
    if (form.dataset.shell === "1") {
      title.textContent = [kept.head, kept.number, kept.village.name + (kept.group ? " " + kept.group : "")]
        .filter(Boolean).join(" · ");
      var role = form.querySelector("[data-visit-role]");
      if (role) { role.textContent = kept.role_text || ""; }
      var countsFrom = form.querySelector("[data-counts-from]");
      if (countsFrom && kept.counts_from) {
        countsFrom.textContent = countsFrom.dataset.template.replace("__DATE__", kept.counts_from);
        countsFrom.hidden = false;
      }
    }
    showGlance(kept);
    return { id: householdId, village: kept.village.id, label: [kept.head, kept.number].filter(Boolean).join(" · ") };
  }

  // The household at a glance, from the phone's working set: who lives there, the last verdicts, the last visits.
  function showGlance(kept) {
    var glance = document.querySelector("[data-household-glance]");
    if (!glance) { return; }
    var template = glance.querySelector("template");
    var view = template.content.cloneNode(true);
    function fill(name, text) { var el = view.querySelector("[data-glance=" + name + "]"); if (el) { el.textContent = text || "—"; } }
    fill("address", kept.address);
    fill("phone", kept.phone);
    fill("status", kept.status);
    var members = view.querySelector("[data-glance=members]");
    kept.members.forEach(function (member) {
      var li = document.createElement("li");
      li.textContent = [member.name, member.relation, member.sex, member.age].filter(function (x) { return x !== null && x !== ""; }).join(" · ");
      members.appendChild(li);
    });
    var items = view.querySelector("[data-glance=items]");
    ((kept.assessment && kept.assessment.items) || []).forEach(function (item) {
      var li = document.createElement("li");
      li.className = item.passes ? "text-success" : "text-danger";
      li.textContent = (item.passes ? "✓ " : "✗ ") + item.label + (item.note ? ": " + item.note : "");
      items.appendChild(li);
    });
    var visits = view.querySelector("[data-glance=visits]");
    kept.last_visits.forEach(function (visit) {
      var li = document.createElement("li");
      li.textContent = [visit.visited_on, visit.visitor, visit.method].filter(Boolean).join(" · ");
      visits.appendChild(li);
    });
    glance.appendChild(view);
    glance.hidden = false;
  }

  // ------------------------------------------------------------------ the form <-> the draft

  function fieldsOf() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken" || el.name === "client_key") { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (RECORD_FIELDS.indexOf(el.name) !== -1) { return; }  // the record's own, filled in when it is sent
      fields[el.name] = el.value;
    });
    return fields;
  }

  function fill(fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in fields) || el.type === "file" || el.type === "hidden" || el.name === "csrfmiddlewaretoken") { return; }
      if (el.type === "radio" || el.type === "checkbox") { el.checked = el.value === fields[el.name]; } else { el.value = fields[el.name]; }
    });
  }

  function remember(key) {
    params.set("household", String(householdId));
    params.set("draft", key);
    history.replaceState(history.state, "", location.pathname + "?" + params.toString());
  }

  async function ensureRecord() {
    if (record) { return record; }
    record = Outbox.draft(user, householdOnPage());
    var kept = await Outbox.household(householdId);
    if (kept) { record.village = kept.village.id; record.label = [kept.head, kept.number].filter(Boolean).join(" · "); }
    form.querySelector("[name=client_key]").value = record.key;
    record.fields = fieldsOf();
    await Outbox.put(record);
    remember(record.key);
    if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
    return record;
  }

  var timer = null;
  function saveSoon() {
    clearTimeout(timer);
    timer = setTimeout(saveDraft, 300);
  }

  function saveDraft() {
    saving = (saving || Promise.resolve()).then(async function () {
      if (record && record.state === Outbox.STATE.SENT) { return; }
      await ensureRecord();
      record.fields = fieldsOf();
      if (record.state === Outbox.STATE.ATTENTION && record.reason === "invalid") { record.state = Outbox.STATE.DRAFT; }
      await Outbox.put(record);
    });
    return saving;
  }

  // ------------------------------------------------------------------ photos, made small here

  function showPhotos() {
    photoList.textContent = "";
    ((record && record.photos) || []).forEach(function (photo, index) {
      var item = document.createElement("div");
      item.className = "position-relative";
      var img = document.createElement("img");
      img.src = URL.createObjectURL(photo.blob);
      img.alt = words.photo_alt.replace("%(number)s", String(index + 1));
      img.className = "rounded border visit-photo-thumb";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-sm btn-light position-absolute top-0 end-0";
      remove.setAttribute("aria-label", words.remove_photo);
      remove.textContent = "×";
      remove.addEventListener("click", function () {
        record.photos.splice(index, 1);
        Outbox.put(record).then(showPhotos);
      });
      item.appendChild(img);
      item.appendChild(remove);
      photoList.appendChild(item);
    });
  }

  async function smaller(file) {
    // createImageBitmap turns the photo as the camera meant it (EXIF orientation), before it is drawn.
    var bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (bitmap.close) { bitmap.close(); }
    var blob = await new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY); });
    if (!blob) { throw new Error("encode"); }
    return { blob: blob, width: canvas.width, height: canvas.height, name: file.name };
  }

  async function addPhotos(files) {
    await ensureRecord();
    var problems = [];
    for (var i = 0; i < files.length; i += 1) {
      if (record.photos.length >= Offline.config.max_photos) {
        problems.push(words.too_many_photos.replace("%(count)s", String(Offline.config.max_photos)));
        break;
      }
      try {
        record.photos.push(await smaller(files[i]));
      } catch (error) {
        problems.push(words.photo_unreadable.replace("%(name)s", files[i].name));
      }
    }
    await Outbox.put(record);
    photoInput.value = "";  // the small copies go, never the originals
    showPhotos();
    say(problems.join(" "), "warning");
  }

  // ------------------------------------------------------------------ checks that need no server

  // The later of the phone's day and the server's (Asia/Shanghai) when the page was made: a phone set to
  // another time zone must not refuse a visit of today; the server checks the date again anyway.
  function today() {
    var now = new Date();
    var phoneToday = now.getFullYear() + "-" + ("0" + (now.getMonth() + 1)).slice(-2) + "-" + ("0" + now.getDate()).slice(-2);
    return [phoneToday, form.dataset.today || ""].sort().pop();
  }

  function checkHere() {
    var problems = [];
    var date = form.querySelector("[name=visited_on]");
    var iso = today();
    if (!date.value) { problems.push([date, words.date_required]); } else if (date.value > iso) { problems.push([date, words.date_future]); }
    form.querySelectorAll("input[type=radio][name^=check_]:checked").forEach(function (radio) {
      var note = form.querySelector("[name=note_" + radio.name.slice(6) + "]");
      if (radio.value === "not_met" && note && !note.value.trim()) { problems.push([note, words.note_required]); }
    });
    return problems;
  }

  function clearErrors() {
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    form.querySelectorAll("[data-phone-error]").forEach(function (el) { el.remove(); });
  }

  function markError(field, text) {
    var target = field.closest(".mb-3") || field.parentElement;
    field.classList.add("is-invalid");
    var note = document.createElement("div");
    note.className = "invalid-feedback d-block";
    note.dataset.phoneError = "";
    note.textContent = text;
    target.appendChild(note);
    var details = field.closest("details");
    if (details) { details.open = true; }
  }

  function showServerErrors(errors) {
    Object.keys(errors || {}).forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (field && name !== "__all__") { markError(field, errors[name].join(" ")); }
    });
    var general = (errors && errors.__all__) || [];
    say([words.invalid].concat(general).join(" "), "danger");
  }

  // ------------------------------------------------------------------ where

  function position() {
    if (!locationInput || !locationInput.checked || !navigator.geolocation) { return Promise.resolve(null); }
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (where) {
        // About 100 m: three decimals of a degree. The server rounds again, whatever it is sent.
        resolve({ latitude: where.coords.latitude.toFixed(3), longitude: where.coords.longitude.toFixed(3) });
      }, function () { resolve(null); }, { enableHighAccuracy: false, timeout: 8000, maximumAge: 10 * 60 * 1000 });
    });
  }

  // ------------------------------------------------------------------ saving

  function sending(fraction) {
    progress.hidden = false;
    var percent = Math.round(fraction * 100);
    var bar = progress.querySelector(".progress-bar");
    bar.style.width = percent + "%";
    progress.setAttribute("aria-valuenow", String(percent));
    say(words.sending.replace("%(percent)s", String(percent)).replace("%%", "%"), "info");
  }

  function lock(text) {
    Array.prototype.forEach.call(form.elements, function (el) { el.disabled = true; });
    var again = document.createElement("div");
    again.appendChild(link(location.pathname + "?household=" + householdId, words.new_visit));
    if (record && record.visit) { again.appendChild(link(record.visit.url, words.view_visit)); }
    again.appendChild(link(Offline.config.outbox_url, words.state_waiting));
    say(text, "secondary", again);
  }

  async function save(event) {
    event.preventDefault();
    if (submit.disabled) { return; }
    clearErrors();
    var problems = checkHere();
    if (problems.length) {
      problems.forEach(function (problem) { markError(problem[0], problem[1]); });
      say(words.invalid, "danger");
      return;
    }
    submit.disabled = true;
    try {
      await saveDraft();
      var where = await position();
      if (locationInput && locationInput.checked && !where) { say(words.location_failed, "warning"); }
      record.latitude = where ? where.latitude : null;
      record.longitude = where ? where.longitude : null;
      record.madeAt = record.madeAt || new Date().toISOString();
      record.offline = record.offline || !navigator.onLine;
      record.state = Outbox.STATE.WAITING;
      await Outbox.put(record);
      if (!navigator.onLine) { return waiting("network"); }
      var result = await Outbox.sendOne(record.key, { onProgress: sending });
      record = result.record;
      progress.hidden = true;
      if (result.outcome === "sent") { return done(); }
      if (result.outcome === "attention") { return attention(); }
      return waiting(result.outcome);
    } finally {
      if (!record || record.state !== Outbox.STATE.SENT) { submit.disabled = false; }
      Offline.refreshCount();
    }
  }

  function done() {
    sessionStorage.setItem("townaid-flash", JSON.stringify({ level: record.visit && record.visit.late ? "warning" : "success", text: record.message }));
    location.assign(form.dataset.next || (record.visit && record.visit.url) || Offline.config.outbox_url);
  }

  function waiting(outcome) {
    Outbox.askForSync();
    var text = outcome === "login" ? words.saved_login : words.saved_offline;
    var extra = document.createElement("div");
    extra.appendChild(link(Offline.config.outbox_url, words.state_waiting));
    if (outcome === "login") { extra.appendChild(link(Offline.config.login_url + "?next=" + encodeURIComponent(Offline.config.outbox_url), words.log_in)); }
    say(text, "warning", extra);
  }

  function attention() {
    if (record.reason === "invalid") {
      record.state = Outbox.STATE.DRAFT;  // still on screen: correct it here
      Outbox.put(record);
      return showServerErrors(record.errors);
    }
    var text = record.reason === "conflict" ? words.conflict : (record.message || words["reason_" + record.reason] || words.reason_refused);
    say(text, "danger", link(Offline.config.outbox_url, words.state_attention));
  }

  // ------------------------------------------------------------------ start

  async function start() {
    var kept = await fillFromWorkingSet();
    if (kept && !form.dataset.village) { form.dataset.village = String(kept.village); }
    var key = params.get("draft");
    var existing = key ? await Outbox.get(key) : null;
    if (existing && existing.user === user && existing.household === householdId) {
      record = existing;
      form.querySelector("[name=client_key]").value = record.key;
      fill(record.fields);
      showPhotos();
      if (record.state === Outbox.STATE.SENT) {
        lock(words.sent_before);
      } else if (record.state === Outbox.STATE.WAITING || record.state === Outbox.STATE.SENDING) {
        say(words.waiting_before, "warning", link(Offline.config.outbox_url, words.state_waiting));
      } else if (record.state === Outbox.STATE.ATTENTION) {
        attention();
      }
    } else {
      if (key) {
        params.delete("draft");  // not this user's, or gone: a new draft
        history.replaceState(history.state, "", location.pathname + "?" + params.toString());
      }
      // The shell the phone kept may be days old: a new visit is of today.
      if (form.dataset.shell === "1") { form.querySelector("[name=visited_on]").value = today(); }
    }
    if (locationBox) {
      locationBox.hidden = !navigator.geolocation;
      locationInput.checked = localStorage.getItem("townaid-location-" + user) === "yes";
      locationInput.addEventListener("change", function () {
        localStorage.setItem("townaid-location-" + user, locationInput.checked ? "yes" : "no");
      });
    }
    form.addEventListener("input", function (event) { if (event.target !== photoInput) { saveSoon(); } });
    form.addEventListener("change", function (event) { if (event.target !== photoInput && event.target !== locationInput) { saveSoon(); } });
    photoInput.addEventListener("change", function () { addPhotos(Array.prototype.slice.call(photoInput.files)); });
    form.addEventListener("submit", save);
  }

  // Back to this page from the next one: the browser may show it as it was left; look at the draft again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && record) {
      Outbox.get(record.key).then(function (latest) {
        if (latest && latest.state === Outbox.STATE.SENT) { record = latest; lock(words.sent_before); }
      });
    }
  });

  start().catch(function () { /* IndexedDB refused (private mode): the plain form still posts */ });
})();
