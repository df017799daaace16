// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Selects marked data-autosubmit submit their form when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Formsets: the "add" button clones the empty form template and bumps TOTAL_FORMS.
  document.querySelectorAll("[data-formset]").forEach(function (container) {
    var prefix = container.dataset.formset;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty-form");
    var list = container.querySelector("[data-formset-list]");
    var add = container.querySelector("[data-formset-add]");
    if (!total || !template || !list || !add) { return; }
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = list.lastElementChild.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });
})();
