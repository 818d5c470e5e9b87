// Starts Wagtail's date and time choosers without inline script, so the admin
// runs under the content security policy (script-src 'self'). Wagtail's own
// widget templates call initDateChooser & co. from an inline <script>; ours
// (ops/templates/wagtailadmin/widgets/) load this file with the same arguments
// as data attributes. It runs where the inline script would have run.
(function () {
  "use strict";
  var script = document.currentScript;
  var init = {
    date: window.initDateChooser,
    time: window.initTimeChooser,
    datetime: window.initDateTimeChooser,
  }[script.dataset.kind];
  if (typeof init === "function") {
    init(script.dataset.id, JSON.parse(script.dataset.config));
  }
})();
