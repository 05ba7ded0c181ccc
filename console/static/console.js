// journeybot console: the little the pages need beyond htmx. No inline script runs on the console (CSP), and nothing
// here builds HTML from text: customer and agent text goes into the page only as text (value, textContent).
(function () {
  'use strict';

  // csrf is the session's CSRF token, which the layout gives htmx in <body hx-headers>.
  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
    } catch (e) {
      return '';
    }
  }

  // Canned replies: a button with data-canned puts its text into the reply box, for the agent to edit and send.
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('button[data-canned]');
    if (!btn) return;
    var box = document.getElementById('reply-text');
    if (!box) return;
    var text = btn.getAttribute('data-canned');
    var start = box.selectionStart, end = box.selectionEnd;
    if (typeof start === 'number' && document.activeElement === box) {
      box.value = box.value.slice(0, start) + text + box.value.slice(end);
    } else {
      box.value = box.value ? box.value.replace(/\s*$/, '\n') + text : text;
    }
    box.focus();
    box.dispatchEvent(new Event('input', { bubbles: true }));
  });

  // Typing: while the owner writes a reply, the customer sees that an agent is typing. One "on" when typing
  // starts, one "off" after a pause or when the reply is sent; never a request per key.
  var typingOn = false, typingTimer = null, pause = 4000;
  function postTyping(url, on) {
    typingOn = on;
    var body = new URLSearchParams({ on: on ? '1' : '0' });
    fetch(url, { method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } })
      .catch(function () {}); // typing is a courtesy: a failure changes nothing
  }
  document.addEventListener('input', function (ev) {
    var box = ev.target;
    if (!box.matches || !box.matches('textarea[data-typing-url]')) return;
    var url = box.getAttribute('data-typing-url');
    if (!typingOn && box.value.trim() !== '') postTyping(url, true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { if (typingOn) postTyping(url, false); }, pause);
  });
  document.addEventListener('submit', function (ev) {
    var box = ev.target.querySelector && ev.target.querySelector('textarea[data-typing-url]');
    if (box && typingOn) {
      clearTimeout(typingTimer);
      postTyping(box.getAttribute('data-typing-url'), false);
    }
  }, true);

  // Keep the transcript scrolled to the newest message when it reloads, unless the agent scrolled up to read.
  function stick(log) { log.scrollTop = log.scrollHeight; }
  var atBottom = true;
  document.addEventListener('scroll', function (ev) {
    var log = ev.target;
    if (log.id === 'transcript') atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }, true);
  document.addEventListener('htmx:afterSettle', function (ev) {
    var log = document.getElementById('transcript');
    if (log && ev.target === log && atBottom) stick(log);
  });
  // After a reply is sent, the fresh form comes back and the agent goes on writing in it.
  document.addEventListener('htmx:afterRequest', function (ev) {
    if (ev.detail.successful && ev.detail.elt && ev.detail.elt.id === 'reply-form') {
      setTimeout(function () {
        var box = document.getElementById('reply-text');
        if (box) box.focus();
      }, 0);
    }
  });
  document.addEventListener('DOMContentLoaded', function () {
    var log = document.getElementById('transcript');
    if (log) stick(log);
  });
})();
