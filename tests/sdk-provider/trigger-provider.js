// A trigger provider built on the official Wix SDK (@wix/sdk AppStrategy + @wix/automations
// triggerProvider.provideHandlers): what `actionbench check --trigger` plays Wix against
// (tests/trigger_provider.rs).
// Usage: node trigger-provider.js PUBLIC_KEY_PEM_FILE APP_ID [fixed|buggy|cancel]
//   fixed  (the default): each method answers as the SDK's types and the trigger's schema say.
//   buggy: one planted bug in each method: Validate Configuration answers `isValid` instead of
//          `valid`; Get Dynamic Schema answers a schema whose key has a dash and whose field has
//          no title nor examples; Refresh Payload answers `seats` as a string (the schema says
//          integer) and drops the required `contactId`.
//   cancel: Refresh Payload answers cancelActivation: true (the class was cancelled).
// The same process is an action provider too (the SDK routes each call by its envelope's
// appExtensionType): Invoke answers at once, and prints a line
// {"invoked": actionKey, "payload": activationContext.payload} so a test sees what the step got.
// Prints "listening PORT" once it listens on 127.0.0.1 (a free port); answers each POST with
// the SDK's result as JSON (200), or, when the SDK throws, 404 with {"sdkError": message}.
'use strict';
const serve = require('./serve');
const fs = require('fs');
const { createClient, AppStrategy } = require('@wix/sdk');
const { triggerProvider, actionProvider } = require('@wix/automations/service-plugins');

const [publicKeyFile, appId, mode = 'fixed'] = process.argv.slice(2);
const publicKey = fs.readFileSync(publicKeyFile, 'utf8');
const client = createClient({
  auth: AppStrategy({ appId, publicKey }),
  modules: { triggerProvider, actionProvider },
});
client.actionProvider.provideHandlers({
  invoke: async ({ request }) => {
    const payload = (request.activationContext && request.activationContext.payload) || {};
    console.log(JSON.stringify({ invoked: request.actionKey, payload }));
    return { result: { sent: true, messageId: `msg-${payload.seats}` } };
  },
  validateConfiguration: async () => ({ valid: true, configurationErrors: [] }),
  getQuotaInfo: async () => ({ actionQuotaInfo: { enforced: false, quotaInfo: [] } }),
});
const buggy = mode === 'buggy';
client.triggerProvider.provideHandlers({
  validateConfiguration: async ({ request }) => {
    const chosen = (request.selectedFilterOptions || []).map((o) => o.fieldKey);
    if (buggy) {
      return { isValid: true, chosen };
    }
    return { valid: true, configurationErrors: [] };
  },
  getDynamicSchema: async () => {
    if (buggy) {
      return {
        dynamicSchema: {
          type: 'object',
          properties: { 'room-name': { type: 'string' } },
        },
      };
    }
    return {
      dynamicSchema: {
        type: 'object',
        properties: {
          roomName: { type: 'string', title: 'Room', examples: ['Studio A'] },
        },
      },
    };
  },
  refreshPayload: async ({ request }) => {
    const payload = { ...request.payload };
    if (mode === 'cancel') {
      return { cancelActivation: true };
    }
    if (buggy) {
      delete payload.contactId;
      return { payload: { ...payload, seats: String(payload.seats || 1) } };
    }
    return { payload: { ...payload, seats: (payload.seats || 1) + 1 }, cancelActivation: false };
  },
});

serve(client, 404);
