/* Otklik chat: one script for the agent console, the portal chat and the widget.
   Messages arrive over the chat socket; the client keeps the highest id it has and resumes from it after a
   reconnect, and drops any id it already shows, so nothing is missed or doubled. No inline script: the page
   passes its settings in data attributes and its labels in a JSON block. */
(function () {
  "use strict";
  var app = document.getElementById("chat-app");
  if (!app) { return; }
  var strings = JSON.parse(document.getElementById("chat-strings").textContent || "{}");
  var staff = app.dataset.staff === "1";
  var mayTicket = app.dataset.mayTicket === "1";
  var list = document.getElementById("chat-messages");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-text");
  var filesInput = document.getElementById("chat-files");
  var internal = document.getElementById("chat-internal");
  var typingBox = document.getElementById("chat-typing");
  var commandBox = document.getElementById("chat-command");
  var statusBox = document.getElementById("chat-status");
  var conversations = document.getElementById("chat-conversations");
  var messages = {};      // id -> payload
  var lastId = 0;
  var selected = null;    // staff: the conversation on screen
  var socket = null;
  var typingTimer = null;
  var lastTypingSent = 0;

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function send(data) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(data)); }
  }

  function authorName(message) {
    if (!message.from_staff && !staff) { return strings.you; }
    return message.author.name || (message.from_staff ? strings.support : "");
  }

  function renderMessage(message) {
    var box = el("div", "chat-message" + (message.from_staff ? " from-staff" : "") + (message.is_internal ? " internal" : ""));
    box.dataset.messageId = message.id;
    var head = el("div", "small text-body-secondary d-flex gap-2 align-items-center");
    head.appendChild(el("span", "", authorName(message)));
    head.appendChild(el("time", "", new Date(message.created_at).toLocaleTimeString()));
    if (message.is_internal) { head.appendChild(el("span", "badge text-bg-warning", strings.internal)); }
    if (staff && mayTicket && !message.from_staff && !message.is_internal && !message.ticket) {
      var make = el("button", "btn btn-link btn-sm p-0 ms-auto", strings.make_ticket);
      make.type = "button";
      make.dataset.makeTicket = message.id;
      head.appendChild(make);
    }
    box.appendChild(head);
    box.appendChild(el("div", "bubble", message.text));
    (message.attachments || []).forEach(function (file) {
      var link = el("a", "small d-block", file.filename);
      link.href = file.url;
      box.appendChild(link);
    });
    if (message.ticket) {
      var card = el("a", "card card-body py-1 px-2 mt-1 small chat-ticket-card", fmt(strings.ticket, message.ticket) + " · " + message.ticket.status.name);
      card.href = "/tickets/" + message.ticket.number + "/";
      card.target = "_top";
      box.appendChild(card);
    }
    return box;
  }

  function visible(message) { return !staff || message.conversation === selected; }

  function place(message) {
    var existing = list.querySelector('[data-message-id="' + message.id + '"]');
    if (!visible(message)) { if (existing) { existing.remove(); } return; }
    var node = renderMessage(message);
    if (existing) { existing.replaceWith(node); return; }
    var after = null;
    list.querySelectorAll("[data-message-id]").forEach(function (other) {
      if (Number(other.dataset.messageId) < message.id) { after = other; }
    });
    if (after) { after.after(node); } else { list.prepend(node); }
    if (!after || after === list.lastElementChild.previousElementSibling) { list.scrollTop = list.scrollHeight; }
  }

  function touchConversation(message, dialog) {
    if (!conversations) { return; }
    var row = conversations.querySelector('[data-conversation="' + message.conversation + '"]');
    if (!row) {
      var empty = conversations.querySelector("[data-empty]");
      if (empty) { empty.remove(); }
      row = el("li", "list-group-item list-group-item-action d-flex gap-2 align-items-start");
      row.setAttribute("role", "button");
      row.tabIndex = 0;
      row.dataset.conversation = message.conversation;
      var text = el("div", "me-auto text-truncate");
      text.appendChild(el("div", "fw-semibold", message.from_staff ? "" : message.author.name || message.author.email));
      text.lastChild.dataset.name = "";
      var last = el("div", "small text-body-secondary text-truncate");
      last.dataset.last = "";
      text.appendChild(last);
      row.appendChild(text);
      conversations.appendChild(row);
    }
    if (!message.is_internal) { row.querySelector("[data-last]").textContent = message.text.slice(0, 80); }
    var badge = row.querySelector("[data-wait]");
    if (dialog && !dialog.answered_at) {
      if (!badge) {
        badge = el("span", "badge text-bg-secondary", strings.waiting);
        badge.dataset.wait = "";
        row.appendChild(badge);
      }
      row.dataset.waitingSince = dialog.started_at;
      if (dialog.due_at) { row.dataset.dueAt = dialog.due_at; }
      if (dialog.warn_at) { row.dataset.warnAt = dialog.warn_at; }
      paintTargets();
      if (!row.previousElementSibling || !row.previousElementSibling.dataset.waitingSince) { conversations.prepend(row); }
    } else if (dialog && dialog.answered_at && badge) {
      badge.remove();
      delete row.dataset.waitingSince;
      delete row.dataset.dueAt;
      delete row.dataset.warnAt;
    }
  }

  function receive(data) {
    if (data.kind === "message" || data.kind === "message_changed") {
      var message = data.message;
      var known = messages[message.id];
      if (known && data.kind === "message") { return; }  // a twin from the backlog and the live group
      messages[message.id] = message;
      lastId = Math.max(lastId, message.id);
      if (staff) { touchConversation(message, data.dialog); }
      place(message);
    } else if (data.kind === "typing") {
      if (staff && data.conversation !== selected) { return; }
      typingBox.textContent = fmt(strings.typing, { name: data.name || strings.support });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingBox.textContent = ""; }, 3000);
    } else if (data.kind === "history") {
      data.messages.forEach(function (message) { messages[message.id] = message; place(message); });
    } else if (data.kind === "command") {
      showCommand(data);
    } else if (data.kind === "ticket") {
      commandBox.textContent = "";
      var done = el("a", "alert alert-success d-block py-1 small", fmt(strings.made, data));
      done.href = data.url;
      commandBox.appendChild(done);
    } else if (data.kind === "error") {
      commandBox.textContent = "";
      commandBox.appendChild(el("div", "alert alert-danger py-1 small", data.message));
    }
  }

  function showCommand(data) {
    commandBox.textContent = "";
    var box = el("div", "border rounded p-2 my-2 small");
    if (data.error) { box.appendChild(el("div", "text-danger", data.error)); }
    if (data.command === "ticket" && data.messages) {
      box.appendChild(el("div", "fw-semibold", strings.pick));
      data.messages.forEach(function (message) {
        var pick = el("button", "btn btn-sm btn-outline-secondary d-block text-start w-100 mt-1", (message.author.name || message.author.email) + ": " + message.text.slice(0, 100));
        pick.type = "button";
        pick.dataset.makeTicket = message.id;
        box.appendChild(pick);
      });
    }
    if (data.command === "my") {
      ["doing", "leading", "watching"].forEach(function (group) {
        box.appendChild(el("div", "fw-semibold mt-1", strings[group]));
        var rows = data.groups[group];
        if (!rows.length) { box.appendChild(el("div", "text-body-secondary", strings.none)); }
        rows.forEach(function (ticket) {
          var link = el("a", "d-block", "#" + ticket.number + " " + ticket.subject + " · " + ticket.status);
          link.href = ticket.url;
          link.target = "_top";
          box.appendChild(link);
        });
      });
    }
    commandBox.appendChild(box);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + app.dataset.socket + (app.dataset.guest ? "?guest=" + encodeURIComponent(app.dataset.guest) : "");
    socket = new WebSocket(url);
    socket.onopen = function () {
      statusBox.textContent = "";
      send({ type: "resume", after: lastId });
      if (form && (!staff || selected)) { setEnabled(true); }
    };
    socket.onmessage = function (event) { receive(JSON.parse(event.data)); };
    socket.onclose = function (event) {
      setEnabled(false);
      if (event.code === 4403) { return; }
      statusBox.textContent = strings.reconnecting;
      setTimeout(connect, 1000 + Math.random() * 1000);
    };
  }

  function setEnabled(on) {
    if (!form || (staff && app.dataset.mayAnswer !== "1")) { return; }
    form.querySelectorAll("input, button").forEach(function (node) { node.disabled = !on; });
  }

  function select(conversationId) {
    selected = conversationId;
    conversations.querySelectorAll("[data-conversation]").forEach(function (row) {
      row.classList.toggle("active-conversation", Number(row.dataset.conversation) === selected);
    });
    var row = conversations.querySelector('[data-conversation="' + selected + '"]');
    document.getElementById("chat-title").textContent = row ? row.querySelector("[data-name]").textContent : "";
    list.textContent = "";
    Object.keys(messages).forEach(function (id) { place(messages[id]); });
    var ids = Object.keys(messages).map(Number).filter(function (id) { return messages[id].conversation === selected; });
    var older = el("button", "btn btn-link btn-sm", strings.older);
    older.type = "button";
    older.dataset.older = "";
    list.prepend(older);
    if (ids.length < 10) { send({ type: "history", before: ids.length ? Math.min.apply(null, ids) : lastId + 1, conversation: selected }); }
    setEnabled(socket && socket.readyState === WebSocket.OPEN);
  }

  if (conversations) {
    conversations.addEventListener("click", function (event) {
      var row = event.target.closest("[data-conversation]");
      if (row) { select(Number(row.dataset.conversation)); }
    });
    conversations.addEventListener("keydown", function (event) {
      var row = event.target.closest("[data-conversation]");
      if (row && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); select(Number(row.dataset.conversation)); }
    });
  }

  document.addEventListener("click", function (event) {
    var make = event.target.closest("[data-make-ticket]");
    if (make) { send({ type: "ticket", message: Number(make.dataset.makeTicket) }); return; }
    if (event.target.closest("[data-older]")) {
      var ids = Object.keys(messages).map(Number).filter(function (id) { return visible(messages[id]); });
      if (ids.length) { send({ type: "history", before: Math.min.apply(null, ids), conversation: selected }); }
    }
  });

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (filesInput && filesInput.files.length) { upload(text); return; }
      if (!text) { return; }
      send({ type: "message", text: text, conversation: selected, internal: !!(internal && internal.checked) });
      input.value = "";
    });
    input.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSent > 2000) { lastTypingSent = now; send({ type: "typing", conversation: selected }); }
    });
  }
  // The first-line target's badge, by the sweep's rule: amber from the warning instant, red past the deadline.
  function paintTargets() {
    if (!conversations) { return; }
    var now = Date.now();
    conversations.querySelectorAll("[data-due-at]").forEach(function (row) {
      var badge = row.querySelector("[data-wait]");
      if (!badge) { return; }
      var state = Date.parse(row.dataset.dueAt) < now ? "overdue"
        : (row.dataset.warnAt && Date.parse(row.dataset.warnAt) <= now ? "due_soon" : "");
      badge.dataset.targetState = state;
      badge.className = "badge " + (state === "overdue" ? "text-bg-danger" : state === "due_soon" ? "text-bg-warning" : "text-bg-secondary");
    });
  }
  setInterval(paintTargets, 30000);

  // Files go over HTTP (the socket carries text only); the stored message then reaches every socket.
  function upload(text) {
    var data = new FormData();
    Array.prototype.forEach.call(filesInput.files, function (file) { data.append("files", file); });
    data.append("text", text);
    if (selected) { data.append("conversation", selected); }
    if (internal && internal.checked) { data.append("internal", "1"); }
    fetch(app.dataset.upload, {
      method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": app.dataset.csrf },
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      commandBox.textContent = "";
      if (!result.ok) {
        commandBox.appendChild(el("div", "alert alert-danger py-1 small", result.body.error || ""));
        return;
      }
      input.value = "";
      filesInput.value = "";  // the message itself arrives over the socket, in order with the others
    });
  }
  connect();
})();
