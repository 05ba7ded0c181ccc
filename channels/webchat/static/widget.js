/*
 * journeybot web chat widget. Embed with:
 *   <script src="https://HOST/widget.js" data-title="Support" defer></script>
 * The server is the script's own origin. Plain JavaScript, no build step, no dependencies. It renders inside a
 * Shadow DOM so the host page's CSS cannot break it, and speaks docs/webchat-protocol.md over /chat/ws.
 * Every text from the network is set with textContent: nothing is ever parsed as HTML.
 *
 * The host page tells who its visitor is with JourneybotChat.identify({id, email, phone, name, hash}) and forgets
 * them (logout) with JourneybotChat.reset(); calls made before this script ran can be queued in
 * window.journeybotQueue as [method, argument] pairs. See docs/webchat-protocol.md, "Identifying the visitor".
 */
(function () {
  "use strict";
  if (window.__journeybotWidget) return;
  window.__journeybotWidget = true;

  var script = document.currentScript || findScript();
  var base = new URL(script && script.src ? script.src : location.href, location.href);
  var wsURL = new URL("/chat/ws", base);
  wsURL.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  var title = (script && script.getAttribute("data-title")) || "Chat with us";
  var prefix = "journeybot:" + base.origin + ":";
  var AUTHORS = { customer: "You", bot: "Assistant", agent: "Agent", system: "System" };
  // Notices that say the agent is gone: the assistant (or nobody, in a queue) answers from then on.
  var AGENT_GONE = { agent_left: true, bot_back: true, closed: true };
  // An agent's typing shows at most this long without a new typing frame: an agent whose console went away never
  // says that they stopped.
  var AGENT_TYPING_MAX = 30000;
  // Size limits of what the widget sends: the server's defaults until its welcome says otherwise.
  var maxChars = 4000, maxFrameBytes = 16384;
  // A citation's site-relative path is on the page's own site only when this script came from the page's origin.
  var sameOrigin = base.origin === location.origin;
  var BACKOFF_BASE = 1000;
  var BACKOFF_CAP = 30000;

  function findScript() {
    var all = document.querySelectorAll("script[src]");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(all[i].src)) return all[i];
    }
    return null;
  }

  // Storage that survives a browser refusing localStorage (private modes, blocked cookies).
  var memory = {};
  function load(key) {
    try { return window.localStorage.getItem(prefix + key); } catch (e) { return memory[key] || null; }
  }
  function save(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(prefix + key);
      else window.localStorage.setItem(prefix + key, value);
    } catch (e) { memory[key] = value; }
  }

  // State. The outbox holds messages not yet acknowledged: they are resent after every welcome, and kept in
  // localStorage so that a reload does not lose them either.
  var visitorId = load("visitor") || "";
  var outbox = readOutbox();
  var ws = null, welcomed = false, attempt = 0, reconnectTimer = 0, resendTimer = 0, resyncing = false;
  var convId = "", lastSeq = 0;
  var seen = {};     // seq → true, for messages shown
  var byId = {};     // server message id → element
  var byClient = {}; // client id (own messages, streamed replies) → element
  var open = false, unread = 0;
  // The seq of the newest agent message or notice: the header shows who answers as it says.
  var ownerSeq = 0;
  // Who is typing: the bot (botTyping), an agent (agentTyping: their name, "" without one; null when none).
  var botTyping = false, agentTyping = null, agentTypingTimer = 0;
  // The visitor's identity from JourneybotChat.identify: the identify frame, sent on every new socket. Kept in
  // memory only, never in localStorage: its hash is a credential.
  var identity = null;
  var identifiedOn = null;  // the socket identity was sent on
  var identifyWaiters = []; // {resolve, reject} of identify calls not answered yet
  var identifyTimer = 0;

  function readOutbox() {
    try {
      var list = JSON.parse(load("outbox") || "[]");
      return Array.isArray(list) ? list.filter(function (m) {
        return m && typeof m.id === "string" && typeof m.text === "string";
      }) : [];
    } catch (e) { return []; }
  }
  function saveOutbox() { save("outbox", outbox.length ? JSON.stringify(outbox) : null); }
  function dropFromOutbox(id) {
    outbox = outbox.filter(function (m) { return m.id !== id; });
    saveOutbox();
  }

  // ---- DOM -------------------------------------------------------------------------------------------------
  var ui = {};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    if (text) node.textContent = text;
    return node;
  }

  function svg(path) {
    var ns = "http://www.w3.org/2000/svg";
    var s = document.createElementNS(ns, "svg");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    s.appendChild(p);
    return s;
  }

  function build() {
    var host = el("div", { id: "journeybot-widget" });
    var root = host.attachShadow({ mode: "open" });
    var style = el("style", {});
    style.textContent = CSS;
    root.appendChild(style);

    var wrap = el("div", { class: "jb" });
    var panel = el("section", { class: "panel", id: "jb-panel", role: "region", "aria-label": title });
    panel.hidden = true;

    var header = el("header", {});
    var heading = el("div", { class: "heading" });
    var titleEl = el("h2", {}, title);
    heading.appendChild(titleEl);
    heading.appendChild(el("p", {}, "We usually answer right away"));
    var close = el("button", { type: "button", class: "close", "aria-label": "Close chat" });
    close.appendChild(svg("M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"));
    header.appendChild(heading);
    header.appendChild(close);

    var status = el("div", { class: "status", role: "status" });
    var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
    var typing = el("div", { class: "typing", "aria-live": "polite" });
    var typingText = el("span", { class: "typing-text" });
    typing.appendChild(el("span", { class: "dots", "aria-hidden": "true" }, "\u2022\u2022\u2022"));
    typing.appendChild(typingText);
    typing.hidden = true;

    var form = el("form", { class: "composer", novalidate: "" });
    var input = el("textarea", {
      "aria-label": "Message", rows: "1", placeholder: "Type your message\u2026", maxlength: String(maxChars),
      autocomplete: "off"
    });
    var send = el("button", { type: "submit", class: "send" });
    send.appendChild(svg("M3 20.5 21 12 3 3.5v6.6l12.3 1.9L3 13.9z"));
    send.appendChild(el("span", {}, "Send"));
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(status);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(form);

    var launcher = el("button", {
      type: "button", class: "launcher", "aria-label": "Open chat", "aria-expanded": "false", "aria-controls": "jb-panel"
    });
    launcher.appendChild(svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"));
    var badge = el("span", { class: "badge", "aria-hidden": "true" });
    badge.hidden = true;
    launcher.appendChild(badge);

    wrap.appendChild(panel);
    wrap.appendChild(launcher);
    root.appendChild(wrap);
    document.body.appendChild(host);

    ui = { panel: panel, title: titleEl, status: status, log: log, typing: typing, typingText: typingText, form: form,
      input: input, launcher: launcher, badge: badge };

    launcher.addEventListener("click", function () { setOpen(!open); });
    close.addEventListener("click", function () { setOpen(false); });
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); setOpen(false); }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    });
    input.addEventListener("input", autosize);
  }

  function setOpen(value) {
    open = value;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    ui.launcher.classList.toggle("is-open", open);
    if (open) {
      unread = 0;
      ui.badge.hidden = true;
      connect();
      scrollDown(true);
      ui.input.focus();
    } else {
      ui.launcher.focus();
    }
  }

  function autosize() {
    var input = ui.input;
    input.style.height = "auto";
    var full = input.scrollHeight + 2; // + the borders: the box is border-box
    input.style.height = Math.max(40, Math.min(full, 120)) + "px";
    input.style.overflowY = full > 120 ? "auto" : "hidden";
  }

  function setStatus(text) {
    ui.status.textContent = text;
    ui.status.hidden = !text;
  }

  // setTyping shows or hides that the bot is writing.
  function setTyping(on) {
    botTyping = on;
    showTyping();
  }

  // setAgentTyping shows that an agent is writing (name: theirs, "" without one) or, with null, hides it.
  function setAgentTyping(name) {
    if (agentTypingTimer) { clearTimeout(agentTypingTimer); agentTypingTimer = 0; }
    agentTyping = name;
    if (name !== null) {
      agentTypingTimer = setTimeout(function () { agentTypingTimer = 0; setAgentTyping(null); }, AGENT_TYPING_MAX);
    }
    showTyping();
  }

  // showTyping shows who is writing; the agent, who owns the conversation, before the bot.
  function showTyping() {
    var text = agentTyping !== null ? (agentTyping || "An agent") + " is typing\u2026"
      : botTyping ? "Assistant is typing\u2026" : "";
    ui.typing.hidden = !text;
    ui.typingText.textContent = text;
    if (text) scrollDown(false);
  }

  function clearTyping() {
    setTyping(false);
    setAgentTyping(null);
  }

  // setOwner shows in the header who answers the conversation: name for an agent ("" for one without a name), null
  // for the assistant.
  function setOwner(name) {
    ui.title.textContent = name === null ? title : name ? name + " from support" : "Our support team";
  }

  // noteOwner follows who answers from a message: an agent's message or a notice newer than the last one seen.
  function noteOwner(m, seq) {
    var name;
    if (m.author === "agent") name = agentName(m);
    else if (m.author === "system" && m.notice === "agent_joined") name = agentName(m);
    else if (m.author === "system" && AGENT_GONE[m.notice]) name = null;
    else return;
    if (seq && seq < ownerSeq) return; // an older message, shown late (history after a live frame)
    if (seq) ownerSeq = seq;
    setOwner(name);
  }

  function agentName(m) {
    return typeof m.agent_name === "string" ? m.agent_name.trim() : "";
  }

  function scrollDown(force) {
    var log = ui.log;
    if (force || log.scrollHeight - log.scrollTop - log.clientHeight < 120) log.scrollTop = log.scrollHeight;
  }

  // ---- messages --------------------------------------------------------------------------------------------

  // messageElement makes the element of one message: the author label, the text, citations and a note line. A
  // notice (a system message saying what happened: an agent joined, the assistant is back) is a status line of its
  // own kind instead, with no author label: it is nobody's words. It stays in the log, whose live region announces
  // it; it is not a live region of its own, which would have it announced twice.
  function messageElement(author, notice) {
    if (!AUTHORS[author]) author = "system";
    var node = el("div", { class: notice ? "msg event" : "msg", "data-author": author });
    if (notice) node.setAttribute("data-notice", notice);
    else node.appendChild(el("span", { class: "who" }, AUTHORS[author]));
    node.appendChild(el("div", { class: "bubble" }));
    return node;
  }

  // setAgentLabel labels an agent's message with the agent's name: "Sam (agent)".
  function setAgentLabel(node, m) {
    var who = node.querySelector(".who");
    var name = agentName(m);
    if (who) who.textContent = name ? name + " (agent)" : AUTHORS.agent;
  }

  function setText(node, text) { node.querySelector(".bubble").textContent = text; }

  function setNote(node, status, text, isError) {
    node.setAttribute("data-status", status);
    var note = node.querySelector(".note");
    if (!text) { if (note) note.remove(); return; }
    if (!note) { note = el("p", { class: "note" }); node.appendChild(note); }
    note.classList.toggle("error", !!isError);
    note.textContent = text;
  }

  // safeHref returns a link target for absolute http(s) URLs, and for site-relative paths when the page is on the
  // script's own site (elsewhere such a path would point into the host page's site); else "".
  function safeHref(url) {
    if (typeof url !== "string" || !url || /[\u0000-\u001f\u007f]/.test(url)) return "";
    try {
      if (/^\/(?![\/\\])/.test(url)) {
        if (!sameOrigin) return "";
        var rel = new URL(url, location.href);
        return rel.origin === location.origin ? rel.href : "";
      }
      var u = new URL(url);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : "";
    } catch (e) { return ""; }
  }

  function setCitations(node, citations) {
    var old = node.querySelector(".cites");
    if (old) old.remove();
    if (!Array.isArray(citations) || !citations.length) return;
    var list = el("ul", { class: "cites", "aria-label": "Sources" });
    citations.forEach(function (c) {
      if (!c) return;
      var label = String(c.title || c.source || "Source");
      var href = safeHref(c.url);
      var item = el("li", {});
      item.appendChild(href ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, label)
        : el("span", {}, label));
      list.appendChild(item);
    });
    var bubble = node.querySelector(".bubble");
    bubble.parentNode.insertBefore(list, bubble.nextSibling);
  }

  // place puts a message element in seq order; messages without a seq (not yet stored) stay at the end.
  function place(node, seq) {
    var log = ui.log;
    if (node.parentNode === log && !seq) return;
    if (seq) {
      node.setAttribute("data-seq", String(seq));
      var kids = log.children;
      for (var i = 0; i < kids.length; i++) {
        var other = kids[i];
        if (other === node || !other.classList.contains("msg")) continue;
        var s = Number(other.getAttribute("data-seq") || 0);
        if (!s || s > seq) { log.insertBefore(node, other); return; }
      }
    }
    log.appendChild(node);
  }

  // showMessage shows a stored message (MESSAGE of the protocol), merging it into the element of the same message
  // (by id, or by client id for own messages and streamed replies).
  function showMessage(m) {
    if (!m || typeof m !== "object") return;
    var node = byId[m.id] || (m.client_id && byClient[m.client_id]);
    var fresh = !node;
    var notice = m.author === "system" && typeof m.notice === "string" ? m.notice : "";
    if (fresh) node = messageElement(m.author, notice);
    if (m.author === "agent") setAgentLabel(node, m);
    if (fresh && notice === "closed" && /rate|number from 1/i.test(String(m.text || ""))) ratingButtons(node);
    node.setAttribute("data-id", m.id || "");
    if (m.id) byId[m.id] = node;
    if (m.client_id) byClient[m.client_id] = node;
    setText(node, String(m.text || ""));
    setCitations(node, m.citations);
    // It is stored, whatever was said of it before. A bot reply that the offline responder gave in place of a
    // failed or slow model says so.
    setNote(node, "sent", m.source === "fallback" ? "Answered from our help pages: our assistant is busy right now." : "");
    if (m.source) node.setAttribute("data-source", String(m.source));
    if (m.created_at) node.title = new Date(m.created_at).toLocaleString();
    place(node, Number(m.seq) || 0);
    noteOwner(m, Number(m.seq) || 0);
    noteSeq(Number(m.seq) || 0);
    if (m.author === "agent" || notice && AGENT_GONE[notice]) setAgentTyping(null);
    if (m.author !== "customer") {
      setTyping(false);
      if (fresh && !open) { unread++; ui.badge.textContent = String(unread); ui.badge.hidden = false; }
    }
    scrollDown(false);
  }

  // noteSeq advances lastSeq over contiguous sequence numbers; a gap asks the server for what is missing.
  function noteSeq(seq) {
    if (!seq) return;
    seen[seq] = true;
    if (!lastSeq) lastSeq = seq;
    while (seen[lastSeq + 1]) lastSeq++;
    if (seq > lastSeq + 1 && !resyncing && welcomed) {
      resyncing = true;
      sendFrame({ type: "hello", visitor_id: visitorId, last_seq: lastSeq });
    }
  }

  function showOwn(item) {
    var node = byClient[item.id];
    if (!node) {
      node = messageElement("customer");
      byClient[item.id] = node;
      setText(node, item.text);
      place(node, 0);
    }
    setNote(node, "sending", "Sending\u2026");
    scrollDown(true);
  }

  function showDelta(replyId, text) {
    if (typeof replyId !== "string" || typeof text !== "string") return;
    var node = byClient[replyId];
    if (node && node.getAttribute("data-status") !== "streaming") return; // the final reply is already here
    if (!node) {
      node = messageElement("bot");
      byClient[replyId] = node;
      node.setAttribute("data-status", "streaming");
      place(node, 0);
    }
    setTyping(false);
    node.querySelector(".bubble").appendChild(document.createTextNode(text));
    scrollDown(false);
  }

  // dropStreaming removes the bubbles of replies still being streamed: the server has said the bot stopped writing
  // without sending them finished, so the turn failed and nothing of them was stored.
  function dropStreaming() {
    for (var id in byClient) {
      if (!Object.prototype.hasOwnProperty.call(byClient, id)) continue;
      var node = byClient[id];
      if (node.getAttribute("data-status") !== "streaming") continue;
      node.remove();
      delete byClient[id];
    }
  }

  // onTyping takes a typing frame: an agent's (author "agent") or the bot's. Only the bot's going off says that a
  // reply it streamed was never finished.
  function onTyping(f) {
    var on = f.on === true;
    if (f.author === "agent") {
      setAgentTyping(on ? (typeof f.agent_name === "string" ? f.agent_name.trim() : "") : null);
      return;
    }
    setTyping(on);
    if (!on) dropStreaming();
  }

  // fail marks an own message as refused with text and forgets it: sending it again unchanged would be refused too.
  function fail(id, text) {
    dropFromOutbox(id);
    var node = byClient[id];
    if (node) setNote(node, "error", text, true);
  }

  function showNotice(text) {
    var note = el("p", { class: "notice" }, text);
    ui.log.appendChild(note);
    scrollDown(true);
  }

  // ---- connection ------------------------------------------------------------------------------------------

  function sendFrame(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    if (ws || reconnectTimer) return;
    setStatus(attempt ? "Reconnecting\u2026" : "Connecting\u2026");
    var sock;
    try { sock = new WebSocket(wsURL.href); } catch (e) { scheduleReconnect(); return; }
    ws = sock;
    welcomed = false;
    sock.onopen = function () {
      if (sock !== ws) return;
      var hello = { type: "hello", last_seq: lastSeq };
      if (visitorId) hello.visitor_id = visitorId;
      sock.send(JSON.stringify(hello));
    };
    sock.onmessage = function (ev) {
      if (sock !== ws) return;
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && typeof f === "object") handle(f);
    };
    sock.onclose = function () {
      if (sock !== ws) return;
      ws = null;
      welcomed = false;
      resyncing = false;
      clearTyping();
      scheduleReconnect();
    };
  }

  // scheduleReconnect waits with exponential backoff and full jitter (capped at BACKOFF_CAP) before reconnecting.
  function scheduleReconnect() {
    if (reconnectTimer) return;
    var cap = Math.min(BACKOFF_CAP, BACKOFF_BASE * Math.pow(2, attempt));
    var delay = cap / 2 + Math.random() * cap / 2;
    attempt++;
    setStatus("Offline. Reconnecting in " + Math.max(1, Math.round(delay / 1000)) + " s\u2026");
    reconnectTimer = setTimeout(function () { reconnectTimer = 0; connect(); }, delay);
  }

  function reconnectNow() {
    if (ws) return;
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = 0; }
    connect();
  }

  function resendOutbox() {
    if (!welcomed) return;
    outbox.slice().forEach(function (item) {
      var problem = tooLong(item);
      if (problem) { fail(item.id, problem); return; } // written offline, before the server's limits were known
      showOwn(item);
      sendFrame({ type: "message", id: item.id, text: item.text });
    });
  }

  function handle(f) {
    switch (f.type) {
      case "welcome": return onWelcome(f);
      case "ack": return onAck(f);
      case "message": return showMessage(f.message);
      case "typing": return onTyping(f);
      case "delta": return showDelta(f.reply_id, f.text);
      case "identified": return onIdentified(f);
      case "error": return f.frame === "identify" ? onIdentifyError(f) : onError(f);
    }
  }

  function onWelcome(f) {
    if (typeof f.visitor_id === "string" && f.visitor_id) {
      visitorId = f.visitor_id;
      save("visitor", visitorId);
    }
    welcomed = true;
    resyncing = false;
    attempt = 0;
    setStatus("");
    setLimits(f.limits);
    sendIdentity();
    var conv = typeof f.conversation_id === "string" ? f.conversation_id : "";
    if (conv && convId && conv !== convId && lastSeq) {
      // A new conversation began while we were away: fetch it from its start.
      newConversation(conv);
      resyncing = true;
      sendFrame({ type: "hello", visitor_id: visitorId, last_seq: 0 });
      return;
    }
    if (!conv && convId) {
      // The visitor has no conversation any more: somebody else signed in on this browser. What the last person
      // said is not theirs to see.
      clearLog();
      convId = "";
      lastSeq = 0;
    }
    if (conv) convId = conv;
    var messages = Array.isArray(f.messages) ? f.messages : [];
    if (f.truncated === true && messages.length && messages[0]) {
      // Older messages exist that the welcome left out: skip them rather than ask for them again and again.
      var first = Number(messages[0].seq) || 0;
      if (first - 1 > lastSeq) lastSeq = first - 1;
    }
    messages.forEach(showMessage);
    resendOutbox();
  }

  // setLimits takes the size limits the server announces in its welcome.
  function setLimits(limits) {
    if (!limits || typeof limits !== "object") return;
    var chars = Number(limits.max_message_chars), bytes = Number(limits.max_frame_bytes);
    if (chars > 0 && Math.floor(chars) === chars) {
      maxChars = chars;
      ui.input.setAttribute("maxlength", String(maxChars));
    }
    if (bytes > 0 && Math.floor(bytes) === bytes) maxFrameBytes = bytes;
  }

  // newConversation starts counting seq afresh; the old conversation's messages stay above the new ones.
  function newConversation(id) {
    convId = id;
    lastSeq = 0;
    seen = {};
    ownerSeq = 0;
    setOwner(null); // a conversation starts with the assistant
    var old = ui.log.querySelectorAll(".msg[data-seq]");
    for (var i = 0; i < old.length; i++) old[i].setAttribute("data-seq", "-1");
  }

  function onAck(f) {
    dropFromOutbox(f.id);
    var node = byClient[f.id];
    if (node) {
      setNote(node, "sent", "");
      place(node, Number(f.seq) || 0);
    }
    if (typeof f.conversation_id === "string" && f.conversation_id) {
      if (convId && convId !== f.conversation_id) newConversation(f.conversation_id);
      convId = f.conversation_id;
    }
    noteSeq(Number(f.seq) || 0);
  }

  function onError(f) {
    var text = typeof f.message === "string" && f.message ? f.message : "Something went wrong.";
    var node = typeof f.id === "string" && f.id ? byClient[f.id] : null;
    if (f.id && (f.code === "unavailable" || f.code === "hello_required")) {
      // Not stored but fine to send again: keep it in the outbox and retry.
      if (node) setNote(node, "retrying", "Not sent yet. Retrying\u2026", true);
      if (f.code === "hello_required" && ws) { ws.close(); return; }
      if (!resendTimer) resendTimer = setTimeout(function () { resendTimer = 0; resendOutbox(); }, 3000);
      return;
    }
    if (f.id) {
      // Refused (too_large, bad_request, bad_frame): not stored, and sending it again unchanged would be refused
      // again.
      fail(f.id, text);
      if (node) return;
    }
    if (!welcomed && ws && f.code === "bad_request" && visitorId) {
      visitorId = ""; // a stored id the server refuses: start afresh as a new visitor
      save("visitor", null);
      ws.close();
      return;
    }
    if (!welcomed && f.code === "unavailable" && ws) { ws.close(); return; } // hello failed: reconnect later
    showNotice(text);
  }

  function submit() {
    var text = ui.input.value;
    if (!text.trim()) return;
    if (sendText(text)) {
      ui.input.value = "";
      autosize();
    }
  }

  // ratingButtons offers the 1-5 rating a closed conversation asks for, as buttons that send the number as the
  // customer's message (what a customer on SMS or Slack types).
  function ratingButtons(node) {
    var group = el("div", { class: "rating", role: "group", "aria-label": "Rate this conversation" });
    for (var n = 1; n <= 5; n++) {
      (function (n) {
        var b = el("button", { type: "button", "aria-label": "Rate " + n + " out of 5" }, String(n));
        b.addEventListener("click", function () {
          if (sendText(String(n))) {
            group.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          }
        });
        group.appendChild(b);
      })(n);
    }
    node.appendChild(group);
  }

  // sendText sends text as the customer's message; false when it is refused here (too long).
  function sendText(text) {
    var item = { id: "c_" + randomId(), text: text };
    var problem = tooLong(item);
    if (problem) {
      // The server would refuse it: refuse it here, keeping the text in the box so that it can be shortened.
      showNotice(problem);
      return false;
    }
    outbox.push(item);
    saveOutbox();
    showOwn(item);
    if (welcomed) sendFrame({ type: "message", id: item.id, text: item.text });
    else reconnectNow();
    return true;
  }

  // tooLong says why the server would refuse an outbox item for its size, or "" when it would not. Characters are
  // counted as the server counts them: code points, after trimming.
  function tooLong(item) {
    if (Array.from(item.text.trim()).length > maxChars) {
      return "That message is too long (" + maxChars + " characters at most). Please shorten it.";
    }
    if (frameBytes({ type: "message", id: item.id, text: item.text }) > maxFrameBytes) {
      return "That message is too long. Please shorten it.";
    }
    return "";
  }

  function frameBytes(frame) {
    var json = JSON.stringify(frame);
    return window.TextEncoder ? new TextEncoder().encode(json).length : json.length * 3;
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---- identity ----------------------------------------------------------------------------------------------

  // identify takes the claims of the host page (see the header) and sends them now or after the next welcome. It
  // returns a Promise of {verified, customerName} from the server's answer, rejected when the server refuses the
  // claims as invalid or reset() comes first; it throws a TypeError for arguments that are not claims.
  function identify(who) {
    var frame = identifyFrame(who);
    identity = frame;
    identifiedOn = null;
    var answer = typeof Promise === "function" ? new Promise(function (resolve, reject) {
      identifyWaiters.push({ resolve: resolve, reject: reject });
    }) : undefined;
    // A page that ignores the answer (the usual call) gets no "uncaught in promise" report: a refusal is warned
    // about below, and a reset before the answer is the page's own doing.
    if (answer) answer.catch(function () {});
    sendIdentity();
    return answer;
  }

  function identifyFrame(who) {
    if (!who || typeof who !== "object") throw new TypeError("JourneybotChat.identify: pass an object of claims");
    var frame = { type: "identify" };
    var fields = { user_id: who.user_id != null ? who.user_id : who.id, email: who.email, phone: who.phone,
      name: who.name, hash: who.hash };
    var any = false;
    for (var k in fields) {
      if (!Object.prototype.hasOwnProperty.call(fields, k)) continue;
      var v = fields[k];
      if (v == null || v === "") continue;
      if (typeof v === "number" && k === "user_id") v = String(v);
      if (typeof v !== "string") throw new TypeError("JourneybotChat.identify: " + k + " must be a string");
      frame[k] = v;
      if (k !== "hash") any = true;
    }
    if (!any) throw new TypeError("JourneybotChat.identify: give an id, email, phone or name");
    return frame;
  }

  // sendIdentity sends the identity on the current socket once it is welcomed, unless it was sent there already.
  function sendIdentity() {
    if (!identity || !welcomed || identifiedOn === ws) return;
    if (sendFrame(identity)) identifiedOn = ws;
  }

  function settleIdentify(fn, value) {
    var waiters = identifyWaiters;
    identifyWaiters = [];
    waiters.forEach(function (w) { w[fn](value); });
  }

  function onIdentified(f) {
    settleIdentify("resolve", { verified: f.verified === true,
      customerName: typeof f.customer_name === "string" ? f.customer_name : "" });
  }

  // onIdentifyError handles a refused identify. It is never shown to the customer: it is about the host page.
  function onIdentifyError(f) {
    var text = typeof f.message === "string" ? f.message : "identify refused";
    if (f.code === "unavailable" || f.code === "rate_limited" || f.code === "hello_required") {
      // Fine to send again: after a pause, or on the next socket.
      identifiedOn = null;
      if (!identifyTimer) {
        identifyTimer = setTimeout(function () { identifyTimer = 0; sendIdentity(); },
          f.code === "rate_limited" ? 60000 : 5000);
      }
      return;
    }
    // Invalid claims: they would be refused again.
    identity = null;
    identifiedOn = null;
    if (window.console) console.warn("journeybot: identify refused: " + text);
    settleIdentify("reject", new Error(text));
  }

  // clearLog forgets the messages shown.
  function clearLog() {
    seen = {};
    byId = {};
    byClient = {};
    unread = 0;
    if (ui.log) {
      while (ui.log.firstChild) ui.log.removeChild(ui.log.firstChild);
      ui.badge.hidden = true;
      clearTyping();
      ownerSeq = 0;
      setOwner(null);
    }
  }

  // reset forgets the visitor (logout): the identity, the visitor id, unsent messages and what the log shows; the
  // chat goes on as a new anonymous visitor.
  function reset() {
    identity = null;
    identifiedOn = null;
    settleIdentify("reject", new Error("JourneybotChat.reset"));
    [identifyTimer, resendTimer, reconnectTimer].forEach(function (t) { if (t) clearTimeout(t); });
    identifyTimer = resendTimer = reconnectTimer = 0;
    visitorId = "";
    save("visitor", null);
    outbox = [];
    saveOutbox();
    convId = "";
    lastSeq = 0;
    clearLog();
    var old = ws;
    ws = null; // its handlers now ignore it
    welcomed = false;
    resyncing = false;
    attempt = 0;
    if (old) old.close();
    if (open) connect();
  }

  // The public API, and the calls the page queued before this script ran. Later pushes run at once.
  // openChat opens the chat panel, as the launcher does, so that a page can open it from its own "Chat with us".
  function openChat() { if (!open) setOpen(true); }

  var api = { identify: identify, reset: reset, open: openChat };
  window.JourneybotChat = api;
  function runQueued(call) {
    if (!call || typeof call.length !== "number" || !Object.prototype.hasOwnProperty.call(api, call[0])) {
      if (window.console) console.warn("journeybot: unknown queued call", call);
      return;
    }
    try {
      api[call[0]].apply(null, Array.prototype.slice.call(call, 1));
    } catch (e) {
      if (window.console) console.warn("journeybot: " + e.message);
    }
  }
  var queued = window.journeybotQueue;
  window.journeybotQueue = { push: runQueued };
  if (queued && typeof queued.length === "number") Array.prototype.forEach.call(queued, runQueued);

  function start() {
    build();
    outbox.forEach(showOwn);
    // A returning visitor reconnects at once, to get replies and send what is waiting; a new one on first open.
    if (visitorId || outbox.length) connect();
    window.addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && (visitorId || open)) reconnectNow();
    });
  }

  var CSS = [
    ":host{all:initial}",
    ".jb{--accent:#c2410c;--accent-dark:#9a3412;--ink:#1f2328;--muted:#59636e;--line:#e5e7eb;--bg:#fff;",
    "--soft:#f6f7f9;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink)}",
    ".jb *{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:58px;height:58px;border:0;",
    "border-radius:50%;background:var(--accent);color:#fff;cursor:pointer;display:grid;place-items:center;",
    "box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s ease,background .15s ease}",
    ".launcher:hover{background:var(--accent-dark);transform:translateY(-1px)}",
    ".launcher svg{width:26px;height:26px;fill:currentColor}",
    ".badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;",
    "background:#111827;color:#fff;font-size:12px;font-weight:600;line-height:20px;text-align:center}",
    ".panel{position:fixed;right:20px;bottom:90px;z-index:2147483000;width:360px;height:520px;",
    "max-width:calc(100vw - 24px);max-height:calc(100vh - 110px);display:flex;flex-direction:column;",
    "background:var(--bg);border-radius:16px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.25)}",
    "header{display:flex;align-items:center;gap:8px;padding:14px 12px 14px 18px;background:var(--accent);color:#fff}",
    ".heading{flex:1;min-width:0}",
    "h2{margin:0;font-size:16px;font-weight:650;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    "header p{margin:2px 0 0;font-size:12.5px;opacity:.9}",
    ".close{border:0;background:transparent;color:#fff;width:36px;height:36px;border-radius:8px;cursor:pointer;",
    "display:grid;place-items:center}",
    ".close:hover{background:rgba(255,255,255,.15)}",
    ".close svg{width:20px;height:20px;fill:currentColor}",
    ".status{padding:6px 14px;font-size:13px;background:#fff7ed;color:#7c2d12;border-bottom:1px solid #fed7aa}",
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;background:var(--soft)}",
    ".msg{display:flex;flex-direction:column;max-width:85%;align-self:flex-start}",
    ".msg[data-author=customer]{align-self:flex-end;align-items:flex-end}",
    ".who{font-size:11.5px;color:var(--muted);margin:0 4px 2px;overflow-wrap:anywhere}",
    ".bubble{padding:9px 12px;border-radius:14px;background:#fff;border:1px solid var(--line);white-space:pre-wrap;",
    "overflow-wrap:anywhere}",
    ".msg[data-author=customer] .bubble{background:var(--accent);border-color:var(--accent);color:#fff}",
    ".msg[data-author=agent] .bubble{border-color:#93c5fd;background:#eff6ff}",
    ".msg[data-author=system] .bubble{background:transparent;border-style:dashed;color:var(--muted);font-size:13px}",
    ".msg.event{align-self:center;align-items:center;max-width:90%;text-align:center}",
    ".msg.event .bubble{border:0;padding:2px 8px;background:transparent;color:var(--muted);font-size:12.5px}",
    ".msg[data-status=sending] .bubble,.msg[data-status=retrying] .bubble{opacity:.75}",
    ".msg[data-status=error] .bubble{background:#fff;color:var(--ink);border-color:#dc2626}",
    ".note{margin:3px 4px 0;font-size:12px;color:var(--muted)}",
    ".note.error{color:#b91c1c;font-weight:550}",
    ".cites{list-style:none;margin:6px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:6px}",
    ".cites li{font-size:12px;background:#fff;border:1px solid var(--line);border-radius:999px;padding:2px 9px}",
    ".cites a{color:var(--accent-dark)}",
    ".rating{display:flex;gap:6px;justify-content:center;margin-top:6px}",
    ".rating button{min-width:32px;min-height:32px;border-radius:16px;border:1px solid #c2410c;background:#fff;color:#9a3412;cursor:pointer;font:inherit}",
    ".rating button:disabled{opacity:.5;cursor:default}",
    ".notice{align-self:center;margin:0;font-size:12.5px;color:#b91c1c;text-align:center}",
    ".typing{padding:4px 16px 6px;font-size:12.5px;color:var(--muted);background:var(--soft);display:flex;gap:8px}",
    ".dots{letter-spacing:2px;animation:jb-pulse 1.2s infinite}",
    "@keyframes jb-pulse{50%{opacity:.3}}",
    ".composer{display:flex;gap:8px;align-items:flex-end;padding:10px;border-top:1px solid var(--line);background:#fff}",
    "textarea{flex:1;resize:none;height:40px;max-height:120px;padding:9px 11px;border:1px solid #cbd5e1;",
    "border-radius:10px;font:inherit;line-height:20px;color:inherit;background:#fff;overflow-y:hidden}",
    ".send{display:flex;align-items:center;gap:6px;height:40px;padding:0 14px;border:0;border-radius:10px;",
    "background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}",
    ".send:hover{background:var(--accent-dark)}",
    ".send svg{width:16px;height:16px;fill:currentColor}",
    "button:focus-visible,textarea:focus-visible,a:focus-visible,.log:focus-visible{outline:3px solid #2563eb;",
    "outline-offset:2px}",
    "textarea:focus{border-color:#2563eb}",
    "@media (max-width:480px){.panel{right:8px;left:8px;bottom:84px;width:auto;height:calc(100vh - 100px)}}",
    "@media (prefers-reduced-motion:reduce){.dots{animation:none}.launcher{transition:none}}"
  ].join("");

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
