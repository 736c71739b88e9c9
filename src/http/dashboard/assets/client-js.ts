// The dashboard's only script, served from the package at /dashboard/assets/app-<hash>.js (never a CDN),
// so the CSP can forbid inline scripts. Plain ES2020, no build step: it subscribes to the dashboard's event
// stream (the same event log as /v1/events, authenticated by the session cookie) and, on each event,
// re-renders the page's live regions from the server, or appends to the event tail. No polling.
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var body = document.body;
  var streamUrl = body.getAttribute('data-stream');
  var status = document.getElementById('live-status');
  function setStatus(text) { if (status) status.textContent = text; }

  var pending = null;
  function refreshLive() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(location.href, { headers: { 'x-berth-fragment': '1' }, credentials: 'same-origin' })
        .then(function (r) { if (r.status === 401) { location.reload(); return null; } return r.ok ? r.text() : null; })
        .then(function (text) {
          if (!text) return;
          var doc = new DOMParser().parseFromString(text, 'text/html');
          document.querySelectorAll('[data-live]').forEach(function (el) {
            var next = el.id ? doc.getElementById(el.id) : null;
            if (next) el.replaceWith(document.importNode(next, true));
          });
          body.setAttribute('data-refreshed', String(Date.now()));
        })
        .catch(function () { /* the next event retries */ });
    }, 250);
  }

  function cell(row, text) { var td = document.createElement('td'); td.textContent = text == null ? '' : String(text); row.appendChild(td); }
  var tail = document.getElementById('event-tail');
  function appendEvent(ev) {
    var row = document.createElement('tr');
    cell(row, ev.seq); cell(row, ev.time); cell(row, ev.type); cell(row, ev.sandboxId || ev.mountId || '');
    cell(row, [ev.fromState, ev.toState].filter(Boolean).join(' \u2192 ')); cell(row, ev.reason); cell(row, ev.actor);
    tail.insertBefore(row, tail.firstChild);
    while (tail.rows.length > 500) tail.deleteRow(tail.rows.length - 1);
  }

  if (streamUrl && window.EventSource) {
    var source = new EventSource(streamUrl);
    source.onopen = function () { setStatus('live'); };
    source.onerror = function () { setStatus('reconnecting\u2026'); };
    source.onmessage = function (m) {
      var ev; try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (tail) appendEvent(ev);
      if (document.querySelector('[data-live]')) refreshLive();
    };
  }
})();
`;
