/* 一门 — small enhancements of a point's public site. Everything works without
   this file: buttons that need JavaScript are hidden until it runs. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // 输入提示: suggestions from /api/search/suggest fill the box's <datalist>
  // while the citizen types (the browser shows them as a native list).
  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list") || "");
    if (!list || !window.fetch) { return; }
    var timer = null, last = "";
    input.addEventListener("input", function () {
      var prefix = input.value.trim();
      clearTimeout(timer);
      if (!prefix || prefix === last) { return; }
      timer = setTimeout(function () {
        last = prefix;
        fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(prefix), {headers: {Accept: "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
          .then(function (body) {
            if (input.value.trim() !== prefix) { return; }
            list.textContent = "";
            body.suggestions.forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience: the form still works */ });
      }, 150);
    });
  }

  ready(function () {
    document.querySelectorAll("input[data-suggest]").forEach(suggest);

    // 打印: a button beside the print view's link.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });

    // 就近办: order "where else" from the citizen's own position (?lat=&lng=).
    document.querySelectorAll("[data-locate]").forEach(function (button) {
      if (!("geolocation" in navigator)) { return; }
      button.hidden = false;
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      button.addEventListener("click", function () {
        if (status) { status.textContent = "正在获取您的位置…"; }
        navigator.geolocation.getCurrentPosition(function (position) {
          var url = new URL(window.location.href);
          url.searchParams.set("lat", position.coords.latitude.toFixed(5));
          url.searchParams.set("lng", position.coords.longitude.toFixed(5));
          url.hash = "where-else";
          window.location.assign(url.toString());
        }, function () {
          if (status) { status.textContent = "未能获取位置，仍按本服务点的距离排序。"; }
        }, { timeout: 10000, maximumAge: 600000 });
      });
    });
  });
})();
