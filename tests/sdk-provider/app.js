// An app on the official Wix SDK (@wix/sdk AppStrategy + @wix/automations activations) that
// reports and cancels trigger events, and whose action is built on the SDK too
// (actionProvider.provideHandlers, AppStrategy with the public key it trusts): it verifies every
// Invoke as Wix's SDK does, so it takes only what is signed with that key and addressed to its
// app ID, and refuses plain JSON. Its completion reports go through the client's fetchWithAuth,
// as Wix documents them: the app's code is written for Wix (https://www.wixapis.com);
// ActionBench's preload (npm/actionbench/preload.cjs) sends it to ActionBench. Used by
// tests/automations.rs.
// Usage: node --require ../../npm/actionbench/preload.cjs app.js APP_ID INSTANCE_ID PUBLIC_KEY_PEM_FILE
// Prints {"listening": PORT} once its action listens on 127.0.0.1; then reads one JSON command
// per line on stdin and prints one JSON line each:
//   {"op":"connect","url":U}   ActionBench's URL (ACTIONBENCH_URL, read by the preload per call)
//   {"op":"report","triggerKey":K,"payload":P,"externalEntityId":E,"idempotency":{"key":I}}
//   {"op":"cancel","triggerKey":K,"externalEntityId":E}
// and a line {"invoked": {actionKey, actionParams, activationContext}, "metadata": M} for each
// Invoke the SDK verified and handed over, {"refused": why} (answered 401) for each one it
// refused, and {"reported": {status, body}} for each completion report it made.
'use strict';
const fs = require('fs');
const http = require('http');
const readline = require('readline');
const { createClient, AppStrategy } = require('@wix/sdk');
const { activations } = require('@wix/automations');
const { actionProvider } = require('@wix/automations/service-plugins');

const [appId, instanceId, publicKeyFile] = process.argv.slice(2);
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

// The action, as an app on the SDK writes it: the SDK verifies the JWT before the handler runs.
const action = createClient({
  auth: AppStrategy({ appId, publicKey: fs.readFileSync(publicKeyFile, 'utf8') }),
  modules: { actionProvider },
});
action.actionProvider.provideHandlers({
  invoke: async ({ request, metadata }) => {
    say({ invoked: request, metadata });
    const token = request.activationContext && request.activationContext.invocationToken;
    if (request.actionKey === 'await-approval') {
      setTimeout(() => {
        report(token, { decision: 'APPROVED' }).catch((e) => say({ reportFailed: String(e) }));
      }, 300);
      return { invokeTimeoutType: 'TIMEOUT_LENGTH', timeoutLengthOptions: { timeoutInMinutes: 1440 } };
    }
    return { invokeTimeoutType: 'IMMEDIATE', result: { messageId: `msg-${Date.now()}` } };
  },
  validateConfiguration: async () => ({ valid: true, configurationErrors: [] }),
  getQuotaInfo: async () => ({ actionQuotaInfo: { enforced: false, quotaInfo: [] } }),
});

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let status = 200;
    let out;
    try {
      out = await action.servicePlugins.process({ url: `http://${req.headers.host}${req.url}`, body });
    } catch (e) {
      status = 401;
      out = { sdkError: String((e && e.message) || e) };
      say({ refused: out.sdkError });
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out === undefined ? {} : out));
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
