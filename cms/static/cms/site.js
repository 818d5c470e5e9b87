/* 一门 — small enhancements of a point's public site. Everything works without
   this file: buttons that need JavaScript are hidden until it runs. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // 输入提示: while the citizen types, suggestions from /api/search/suggest
  // appear under the box as an ARIA combobox (arrow keys, Enter, Escape; a
  // click or Enter on a suggestion opens its guide). Without this script the
  // box is a plain search field and the form still works.
  var suggestCount = 0;
  function suggest(input) {
    if (!window.fetch) { return; }
    var id = "suggest-" + (++suggestCount);
    var list = document.createElement("ul");
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "输入提示");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.form.appendChild(list);
    input.form.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", id);
    input.setAttribute("aria-expanded", "false");
    var timer = null, items = [], active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(index) {
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) { input.setAttribute("aria-activedescendant", items[index].id); }
    }
    function show(suggestions) {
      list.textContent = "";
      items = suggestions.map(function (s, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = s.name;
        li.dataset.url = s.url;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); window.location.assign(s.url); });
        list.appendChild(li);
        return li;
      });
      status.textContent = items.length ? "有 " + items.length + " 条输入提示，可用上下键选择" : "";
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        mark(-1);
      } else {
        close();
      }
    }
    input.addEventListener("input", function () {
      var prefix = input.value.trim();
      clearTimeout(timer);
      if (!prefix) { close(); return; }
      timer = setTimeout(function () {
        fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(prefix), {headers: {Accept: "application/json"}})
          .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
          .then(function (body) { if (input.value.trim() === prefix) { show(body.suggestions); } })
          .catch(function () { close(); });
      }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || !items.length) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        // -1 is the box itself: down from the last suggestion goes back to it.
        var next = active + (event.key === "ArrowDown" ? 1 : -1);
        if (next >= items.length) { next = -1; } else if (next < -1) { next = items.length - 1; }
        mark(next);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(items[active].dataset.url);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
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
