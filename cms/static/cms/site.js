/* 一门 — small enhancements of a point's public site. Everything works without
   this file: buttons that need JavaScript are hidden until it runs. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
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
