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

  // The terminal: execd's PTY WebSocket on this origin (the session cookie authenticates it). Binary frames
  // from the server start with a channel byte (1 stdout, 2 stderr, 3 replay + 8-byte offset); stdin goes
  // out as a binary frame on channel 0.
  var term = document.getElementById('terminal');
  if (term && window.WebSocket) {
    var tstatus = document.getElementById('terminal-status');
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + term.getAttribute('data-ws'));
    ws.binaryType = 'arraybuffer';
    var decoder = new TextDecoder();
    var ansi = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007|\r/g;
    function show(bytes) { term.textContent += decoder.decode(bytes, { stream: true }).replace(ansi, ''); term.scrollTop = term.scrollHeight; }
    ws.onopen = function () { tstatus.textContent = 'connected'; };
    ws.onclose = function () { tstatus.textContent = 'closed'; };
    ws.onmessage = function (m) {
      if (typeof m.data === 'string') {
        try { var f = JSON.parse(m.data); if (f.type === 'exit') tstatus.textContent = 'exited ' + f.exit_code; } catch (e) {}
        return;
      }
      var b = new Uint8Array(m.data);
      if (b[0] === 1 || b[0] === 2) show(b.subarray(1)); else if (b[0] === 3) show(b.subarray(9));
    };
    function send(text) {
      var data = new TextEncoder().encode(text); var frame = new Uint8Array(data.length + 1); frame.set(data, 1); ws.send(frame);
    }
    var tform = document.getElementById('terminal-input');
    tform.addEventListener('submit', function (e) { e.preventDefault(); var input = tform.elements.line; send(input.value + '\n'); input.value = ''; });
    tform.elements.line.addEventListener('keydown', function (e) {
      if (e.ctrlKey && e.key === 'c') { e.preventDefault(); ws.send(JSON.stringify({ type: 'signal', signal: 'SIGINT' })); }
    });
  }

  // Uploads build execd's multipart shape (a metadata part naming the target path, then the file), so the
  // CSRF token travels in a header instead of a form field.
  var upload = document.getElementById('upload-form');
  if (upload && window.fetch) {
    upload.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = upload.elements.file.files[0]; if (!file) return;
      var dir = upload.getAttribute('data-dir'); var target = (dir === '/' ? '' : dir) + '/' + file.name;
      var ustatus = document.getElementById('upload-status');
      // The server refuses it too (413); saying so before sending spares a long upload that cannot succeed.
      var max = Number(upload.getAttribute('data-max'));
      if (max && file.size > max) {
        ustatus.textContent = 'upload refused: ' + file.name + ' is ' + file.size + ' bytes; the limit is ' + max + ' bytes.';
        return;
      }
      var body = new FormData();
      body.append('metadata', new Blob([JSON.stringify({ path: target, mode: 644 })], { type: 'application/json' }), 'metadata');
      body.append('file', file, file.name);
      ustatus.textContent = 'uploading…';
      var headers = { 'x-berth-csrf': upload.elements._csrf.value };
      fetch(upload.getAttribute('data-upload'), { method: 'POST', body: body, credentials: 'same-origin', headers: headers })
        .then(function (r) { if (r.ok) location.reload(); else return r.text().then(function (t) { ustatus.textContent = 'upload failed: ' + t; }); })
        .catch(function () { ustatus.textContent = 'upload failed'; });
    });
  }

  // Container logs: their own SSE stream (the engine's log stream), appended as text.
  var logs = document.getElementById('container-logs');
  if (logs && window.EventSource) {
    var logSource = new EventSource(logs.getAttribute('data-logs'));
    logSource.onopen = function () { logs.textContent = ''; }; // a reconnect starts again from the tail
    logSource.onmessage = function (m) {
      try { logs.textContent += JSON.parse(m.data).text; } catch (e) { return; }
      if (logs.textContent.length > 200000) logs.textContent = logs.textContent.slice(-150000);
      logs.scrollTop = logs.scrollHeight;
    };
    logSource.addEventListener('end', function () { logSource.close(); });
  }

  if (streamUrl && window.EventSource) {
    var source = new EventSource(streamUrl);
    source.onopen = function () { setStatus('live'); };
    // EventSource gives up (CLOSED) on an answer that is not a stream, e.g. the 401 of a session signed out
    // elsewhere: reloading shows the sign-in page instead of a page that silently stopped updating.
    source.onerror = function () { if (source.readyState === 2) location.reload(); else setStatus('reconnecting\u2026'); };
    source.onmessage = function (m) {
      var ev; try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (tail) appendEvent(ev);
      if (document.querySelector('[data-live]')) refreshLive();
    };
  }
})();
`;
