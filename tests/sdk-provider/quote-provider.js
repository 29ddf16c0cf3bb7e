// A shipping-quote action on the official Wix SDK (@wix/sdk AppStrategy + @wix/automations
// actionProvider): the SDK verifies every Invoke (signed with the public key it trusts,
// addressed to its app ID) before the handler runs. The handler is the app's own code, in
// HANDLER_FILE (a CommonJS module exporting quote(actionParams) → result), read again on every
// call: an agent that fixes that file fixes the action, as an edit and a reload would. Used by
// tests/mcp_sdk.rs (the agent loop: check fails naming the bug → fixed → check passes).
// Usage: node quote-provider.js PUBLIC_KEY_PEM_FILE APP_ID HANDLER_FILE
// Prints "listening PORT" once it listens on 127.0.0.1 (a free port).
'use strict';
const serve = require('./serve');
const fs = require('fs');
const path = require('path');
const { createClient, AppStrategy } = require('@wix/sdk');
const { actionProvider } = require('@wix/automations/service-plugins');

const [publicKeyFile, appId, handlerFile] = process.argv.slice(2);
const handler = path.resolve(handlerFile);
const client = createClient({
  auth: AppStrategy({ appId, publicKey: fs.readFileSync(publicKeyFile, 'utf8') }),
  modules: { actionProvider },
});
client.actionProvider.provideHandlers({
  invoke: async ({ request }) => {
    delete require.cache[handler];
    const { quote } = require(handler);
    return { invokeTimeoutType: 'IMMEDIATE', result: quote(request.actionParams || {}) };
  },
  validateConfiguration: async () => ({ valid: true, configurationErrors: [] }),
  getQuotaInfo: async () => ({ actionQuotaInfo: { enforced: false, quotaInfo: [] } }),
});

serve(client, 401);
