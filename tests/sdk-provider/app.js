// An app on the official Wix SDK (@wix/sdk AppStrategy + @wix/automations activations) that
// reports and cancels trigger events, and an action whose completion reports go through the
// client's fetchWithAuth, as Wix documents them: the app's code is written for Wix
// (https://www.wixapis.com); ActionBench's preload (npm/actionbench/preload.cjs) sends it to
// ActionBench. Used by tests/automations.rs.
// Usage: node --require ../../npm/actionbench/preload.cjs app.js APP_ID INSTANCE_ID
// Prints {"listening": PORT} once its action listens on 127.0.0.1 (plain JSON envelopes at
// /v1/invoke); then reads one JSON command per line on stdin and prints one JSON line each:
//   {"op":"connect","url":U}   ActionBench's URL (ACTIONBENCH_URL, read by the preload per call)
//   {"op":"report","triggerKey":K,"payload":P,"externalEntityId":E,"idempotency":{"key":I}}
//   {"op":"cancel","triggerKey":K,"externalEntityId":E}
// and a line {"invoked": {actionKey, actionParams, activationContext}} for each Invoke, and
// {"reported": {status, body}} for each completion report it made.
'use strict';
const http = require('http');
const readline = require('readline');
const { createClient, AppStrategy } = require('@wix/sdk');
const { activations } = require('@wix/automations');

const [appId, instanceId] = process.argv.slice(2);
const client = createClient({
  auth: AppStrategy({ appId, appSecret: 'app-secret-for-tests', instanceId }),
  modules: { activations },
});
const say = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);

async function report(invocationToken, result) {
  const res = await client.fetchWithAuth(
    'https://www.wixapis.com/automations_runtime/v1/report-action-invocation-completed',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invocationToken, status: 'SUCCESS', successInfo: { result } }),
    },
  );
  say({ reported: { status: res.status, body: await res.text() } });
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    let answer = { result: {} };
    try {
      const env = JSON.parse(body);
      const request = env.request || (env.data && env.data.request) || env;
      say({ invoked: request });
      const token = request.activationContext && request.activationContext.invocationToken;
      if (request.actionKey === 'await-approval') {
        answer = { invokeTimeoutType: 'TIMEOUT_LENGTH', timeoutLengthOptions: { timeoutInMinutes: 60 } };
        setTimeout(() => {
          report(token, { decision: 'APPROVED' }).catch((e) => say({ reportFailed: String(e) }));
        }, 300);
      } else {
        answer = { invokeTimeoutType: 'IMMEDIATE', result: { messageId: `msg-${Date.now()}` } };
      }
    } catch (e) {
      say({ badInvoke: String(e) });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
});

server.listen(0, '127.0.0.1', () => {
  say({ listening: server.address().port });
  const lines = readline.createInterface({ input: process.stdin });
  // One command at a time, in order; at the end of stdin, once the last is done, it exits.
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(() => run(JSON.parse(line)));
  });
  lines.on('close', () => queue.then(() => setTimeout(() => process.exit(0), 1000)));
});

async function run(c) {
  {
    try {
      if (c.op === 'connect') {
        process.env.ACTIONBENCH_URL = c.url;
        say({ op: 'connect' });
      } else if (c.op === 'report') {
        const options = {};
        for (const k of ['payload', 'externalEntityId', 'idempotency']) {
          if (c[k] !== undefined) options[k] = c[k];
        }
        say({ op: 'report', result: await client.activations.reportEvent(c.triggerKey, options) });
      } else if (c.op === 'cancel') {
        say({ op: 'cancel', result: (await client.activations.cancelEvent(c.triggerKey, c.externalEntityId)) || null });
      }
    } catch (e) {
      say({ op: c.op, error: String(e && e.message ? e.message : e), details: e && e.details ? e.details : null });
    }
  }
}
