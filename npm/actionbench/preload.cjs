// ActionBench's preload: your app's unchanged code, on the official Wix SDK, reaches a running
// ActionBench instead of Wix while you develop. Add it to the command that starts your app:
//
//   node --require actionbench/preload.cjs app.js        (or --import actionbench/preload.cjs)
//   NODE_OPTIONS="--require actionbench/preload.cjs" npm run dev
//
// The SDK sends every call to https://www.wixapis.com (the access token first, then Report or
// Cancel Event, the completion report…) with the global fetch. This wraps fetch: a request to
// www.wixapis.com (or wixapis.com) goes to ActionBench's inbox, same path, query, method,
// headers and body; every other request is left alone. It says so once on stderr.
//
// Where: ACTIONBENCH_URL (default http://127.0.0.1:4010, the inbox's default port), read at
// each call, so an app that loads its environment after start-up (dotenv) is followed too.
'use strict';

const WIX_HOSTS = new Set(['www.wixapis.com', 'wixapis.com']);
let said = null;

// ActionBench's base URL now.
function target() {
  const t = new URL(process.env.ACTIONBENCH_URL || 'http://127.0.0.1:4010');
  if (!/^https?:$/.test(t.protocol)) {
    throw new Error(`actionbench preload: ACTIONBENCH_URL ${t.href} must be an http(s) URL`);
  }
  const base = t.origin + t.pathname.replace(/\/$/, '');
  if (said !== base) {
    said = base;
    process.stderr.write(
      `actionbench: calls to www.wixapis.com go to ${base} (ActionBench's stand-ins); other requests are unchanged\n`,
    );
  }
  return t;
}

const original = globalThis.fetch;
if (typeof original !== 'function') {
  throw new Error('actionbench preload: this Node has no global fetch (Node 18 or later has)');
}

// The URL a request for `url` goes to: ActionBench's for Wix's API hosts, else null.
function rerouted(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!WIX_HOSTS.has(u.hostname)) {
    return null;
  }
  const to = target();
  // A base path in ACTIONBENCH_URL (a tunnel's prefix) stays in front.
  to.pathname = to.pathname.replace(/\/$/, '') + u.pathname;
  to.search = u.search;
  return to;
}

if (!original.actionbench) {
  const wrapped = async function fetch(input, init) {
    const url = typeof input === 'string' || input instanceof URL ? String(input) : input && input.url;
    const to = url ? rerouted(url) : null;
    if (!to) {
      return original(input, init);
    }
    if (typeof input === 'string' || input instanceof URL) {
      return original(to, init);
    }
    // A Request: the same request, at the new URL.
    return original(new Request(to, input), init);
  };
  wrapped.actionbench = true;
  globalThis.fetch = wrapped;
}
