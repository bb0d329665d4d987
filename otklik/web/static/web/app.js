/* Otklik web UI behaviour. No inline scripts anywhere: everything is wired here through data attributes,
   so a strict Content-Security-Policy (script-src 'self') holds. Pages work without JavaScript too. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* ---------- selects that submit their form on change (language switch) */
  function initAutosubmit() {
    $all("[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  /* ---------- list polling: never refresh under the agent's hands */
  function initPolling() {
    function fromPoll(event) {
      var source = event.detail && event.detail.elt;
      return !!(source && source.hasAttribute("data-poll"));
    }
    function busy() {
      return document.hidden || $all("[data-bulk-check]:checked").length > 0;
    }
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (fromPoll(event) && busy()) event.preventDefault();
    });
    // A refresh sent before the agent ticked a row may answer after it: drop that answer too,
    // or the swap would wipe the ticks and move rows under the pointer.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (fromPoll(event) && busy()) event.detail.shouldSwap = false;
    });
  }

  /* ---------- bulk actions */
  function initBulk() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var counter = $("[data-bulk-count]", form);
    var initialText = counter ? counter.textContent : "";
    var action = $("[data-bulk-action]", form);
    function showValueFor() {
      $all("[data-bulk-for]", form).forEach(function (el) {
        var show = el.getAttribute("data-bulk-for") === action.value;
        el.classList.toggle("d-none", !show);
        el.disabled = !show;
      });
    }
    function count() {
      var n = $all("[data-bulk-check]:checked").length;
      if (counter) counter.textContent = n ? (n + " ✓") : initialText;
    }
    if (action) { action.addEventListener("change", showValueFor); showValueFor(); }
    document.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches && target.matches("[data-bulk-all]")) {
        $all("[data-bulk-check]").forEach(function (box) { box.checked = target.checked; });
      }
      if (target.matches && (target.matches("[data-bulk-check]") || target.matches("[data-bulk-all]"))) count();
    });
  }

  /* ---------- attachments: drag and drop, pasted screenshots */
  function addFiles(input, files) {
    if (!files || !files.length || typeof DataTransfer === "undefined") return;
    var transfer = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { transfer.items.add(f); });
    Array.prototype.forEach.call(files, function (f, i) {
      if (!f.name || f.name === "image.png") {
        var stamp = new Date().toISOString().replace(/[:.]/g, "-");
        f = new File([f], "screenshot-" + stamp + "-" + i + ".png", { type: f.type || "image/png" });
      }
      transfer.items.add(f);
    });
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function listFiles(zone, input) {
    var list = $("[data-file-list]", zone);
    if (!list) return;
    list.textContent = "";
    Array.prototype.forEach.call(input.files, function (f) {
      var item = document.createElement("li");
      item.textContent = "📎 " + f.name + " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)";
      list.appendChild(item);
    });
  }
  function initDropzones() {
    $all("[data-dropzone]").forEach(function (zone) {
      var input = $("[data-files]", zone);
      if (!input) return;
      input.addEventListener("change", function () { listFiles(zone, input); });
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        addFiles(input, event.dataTransfer && event.dataTransfer.files);
      });
      var form = zone.closest("form");
      if (form) {
        form.addEventListener("paste", function (event) {
          var items = (event.clipboardData && event.clipboardData.items) || [];
          var files = [];
          Array.prototype.forEach.call(items, function (item) {
            if (item.kind === "file") { var f = item.getAsFile(); if (f) files.push(f); }
          });
          if (files.length) { event.preventDefault(); addFiles(input, files); }
        });
      }
    });
  }

  /* ---------- canned replies: fetched with placeholders filled, inserted at the cursor */
  function insertAtCursor(area, text) {
    var start = area.selectionStart || 0, end = area.selectionEnd || 0;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function initCanned() {
    // Delegated: the pickers arrive with the reply box's panel after the page (HTMX), not with it.
    document.addEventListener("change", function (event) {
      var select = event.target;
      if (!select || !select.matches || !select.matches("select[data-canned]")) return;
      var url = select.value;
      var area = document.getElementById(select.getAttribute("data-target"));
      if (!url || !area) return;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/plain" } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.text(); })
        .then(function (text) { insertAtCursor(area, text); select.value = ""; })
        .catch(function () { select.value = ""; });
    });
  }

  /* ---------- collision detection: who else views or types on this ticket */
  function initPresence() {
    var page = $("[data-ticket-page]");
    var box = $("[data-presence]");
    if (!page || !box || typeof WebSocket === "undefined") return;
    var others = {};
    var socket = null, myState = "viewing", idleTimer = null, retry = 1000;

    function render() {
      var typing = [], viewing = [];
      Object.keys(others).forEach(function (id) {
        (others[id].state === "typing" ? typing : viewing).push(others[id].name);
      });
      var lines = [];
      if (typing.length) lines.push(box.getAttribute("data-text-typing").replace("{names}", typing.join(", ")));
      if (viewing.length) lines.push(box.getAttribute("data-text-viewing").replace("{names}", viewing.join(", ")));
      box.textContent = lines.join(" · ");
      box.classList.toggle("d-none", lines.length === 0);
      box.setAttribute("data-others", Object.keys(others).length);
    }
    function send(state) {
      myState = state;
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ state: state }));
    }
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + page.getAttribute("data-presence-url"));
      socket.addEventListener("open", function () { retry = 1000; if (myState !== "viewing") send(myState); });
      socket.addEventListener("message", function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (data.state === "left") delete others[data.user_id];
        else others[data.user_id] = { name: data.name, state: data.state };
        render();
      });
      socket.addEventListener("close", function (event) {
        others = {}; render();
        if (event.code === 4403) return;  // not allowed: do not knock again
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      });
    }
    $all("[data-typing]").forEach(function (area) {
      area.addEventListener("input", function () {
        if (myState !== "typing") send("typing");
        clearTimeout(idleTimer);
        idleTimer = setTimeout(function () { send("viewing"); }, 5000);
      });
    });
    connect();
  }

  /* ---------- keyboard shortcuts for agents */
  function showTab(buttonId, areaId) {
    var button = document.getElementById(buttonId);
    if (button && window.bootstrap) window.bootstrap.Tab.getOrCreateInstance(button).show();
    var area = document.getElementById(areaId);
    if (area) setTimeout(function () { area.focus(); }, 50);
  }
  function initShortcuts() {
    if (document.body.getAttribute("data-shortcuts") !== "agent") return;
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
      if (typing) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
          event.preventDefault(); target.form.requestSubmit();
        } else if (event.key === "Escape") { target.blur(); }
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var link;
      switch (event.key) {
        case "r": if ($("#reply-body")) { event.preventDefault(); showTab("reply-tab", "reply-body"); } break;
        case "n": if ($("#note-body")) { event.preventDefault(); showTab("note-tab", "note-body"); } break;
        case "a": if ($("#assign-me-form")) { event.preventDefault(); $("#assign-me-form").submit(); } break;
        case "j": link = $("[data-next-ticket]"); if (link) { event.preventDefault(); location.href = link.href; } break;
        case "c": link = $("[data-shortcut-new]"); if (link) { event.preventDefault(); location.href = link.href; } break;
        case "/": link = $("[data-shortcut-search]"); if (link) { event.preventDefault(); link.focus(); } break;
        case "?":
          if (window.bootstrap && $("#shortcuts-help")) {
            event.preventDefault(); window.bootstrap.Modal.getOrCreateInstance($("#shortcuts-help")).show();
          }
          break;
      }
    });
  }

  /* ---------- service catalogue: filter as you type (the server filters too, without JS) */
  function initCatalogue() {
    var input = $("[data-catalogue-filter]");
    if (!input) return;
    var empty = $("[data-catalogue-empty]");
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      $all("[data-catalogue-group]").forEach(function (group) {
        var groupShown = 0;
        $all("[data-catalogue-item]", group).forEach(function (item) {
          var text = item.getAttribute("data-search");
          var match = words.every(function (w) { return text.indexOf(w) !== -1; });
          item.classList.toggle("d-none", !match);
          if (match) groupShown++;
        });
        group.classList.toggle("d-none", groupShown === 0);
        shown += groupShown;
      });
      if (empty) empty.classList.toggle("d-none", shown !== 0);
    });
  }

  /* ---------- forms that write: one submission at a time, with visible progress.
     The server also refuses a repeated form token, so a double click never sends twice. */
  function initBusyForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-busy]")) return;
      if (form.getAttribute("data-sending") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      form.setAttribute("aria-busy", "true");
      $all("button[type=submit]", form).forEach(function (button) {
        // Disabled after this event: a disabled button would not submit its own name/value.
        window.setTimeout(function () { button.disabled = true; }, 0);
        var spinner = document.createElement("span");
        spinner.className = "spinner-border spinner-border-sm ms-1";
        spinner.setAttribute("role", "status");
        spinner.setAttribute("aria-label", form.getAttribute("data-busy") || "");
        button.appendChild(spinner);
      });
    });
  }


  /* ---------- the phone form's requester look-up: type, pick a person, their email fills in.
     Without JavaScript the agent simply types the email. */
  function initPersonLookup() {
    $all("[data-person-lookup]").forEach(function (box) {
      var input = $("input[type=search]", box);
      var results = $("[data-lookup-results]", box);
      var form = box.closest("form");
      var timer = null;
      var asked = "";
      function fill(person) {
        var email = form.querySelector("[name=requester_email]");
        var name = form.querySelector("[name=requester_name]");
        var phone = form.querySelector("[name=requester_phone]");
        if (email) email.value = person.email;
        if (name) name.value = person.name || "";
        if (phone) phone.value = person.phone || "";
        results.innerHTML = "";
        input.value = "";
        var subject = form.querySelector("[name=subject]");
        if (subject) subject.focus();
      }
      function show(people) {
        results.innerHTML = "";
        if (!people.length) {
          var none = document.createElement("li");
          none.className = "list-group-item small text-body-secondary";
          none.textContent = box.getAttribute("data-text-none");
          results.appendChild(none);
          return;
        }
        people.forEach(function (person) {
          var item = document.createElement("li");
          item.className = "list-group-item p-0";
          var button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-link text-start w-100 text-decoration-none";
          button.setAttribute("data-person-pick", person.id);
          var strong = document.createElement("strong");
          strong.textContent = person.name || person.email;
          var small = document.createElement("span");
          small.className = "small text-body-secondary d-block";
          small.textContent = [person.email, person.phone, person.organization].filter(Boolean).join(" · ");
          button.appendChild(strong);
          button.appendChild(small);
          button.addEventListener("click", function () { fill(person); });
          item.appendChild(button);
          results.appendChild(item);
        });
      }
      function ask() {
        var text = input.value.trim();
        if (text.length < 2) { results.innerHTML = ""; return; }
        asked = text;
        fetch(box.getAttribute("data-person-lookup") + "?q=" + encodeURIComponent(text),
              { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
          .then(function (data) { if (asked === text) show(data.results || []); })
          .catch(function () { results.innerHTML = ""; });
      }
      input.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(ask, 250); });
      input.addEventListener("keydown", function (event) {
        // Enter would submit the whole form; Down moves into the results.
        if (event.key === "Enter") { event.preventDefault(); window.clearTimeout(timer); ask(); }
        if (event.key === "ArrowDown") {
          var first = $("button", results);
          if (first) { event.preventDefault(); first.focus(); }
        }
      });
      results.addEventListener("keydown", function (event) {
        var buttons = $all("button", results);
        var index = buttons.indexOf(document.activeElement);
        if (event.key === "ArrowDown" && index < buttons.length - 1) { event.preventDefault(); buttons[index + 1].focus(); }
        if (event.key === "ArrowUp") { event.preventDefault(); (index > 0 ? buttons[index - 1] : input).focus(); }
        if (event.key === "Escape") { results.innerHTML = ""; input.focus(); }
      });
    });
  }

  /* ---------- searchable multi-selects (tom-select, vendored). A plain <select multiple> without it. */
  function initMultiSelects(root) {
    if (!$("select[data-multiselect]", root)) return;
    if (typeof window.TomSelect !== "function") {
      // The page's own deferred script runs after this one: try again once everything has loaded.
      if (!initMultiSelects.waiting) {
        initMultiSelects.waiting = true;
        window.addEventListener("load", function () { if (typeof window.TomSelect === "function") initMultiSelects(root); });
      }
      return;
    }
    $all("select[data-multiselect]", root).forEach(function (select) {
      if (select.tomselect) return;
      new window.TomSelect(select, {
        plugins: ["remove_button", "checkbox_options"],
        hidePlaceholder: true,
        maxOptions: null,
        placeholder: select.getAttribute("data-placeholder") || "",
        render: {
          no_results: function (data, escape) {
            return "<div class=\"no-results\">" + escape(select.getAttribute("data-text-none") || "—") + "</div>";
          }
        }
      });
    });
  }

  ready(function () {
    initBusyForms();
    initPersonLookup();
    initMultiSelects(document);
    initAutosubmit();
    initPolling();
    initBulk();
    initDropzones();
    initCanned();
    initPresence();
    initShortcuts();
    initCatalogue();
  });
})();
