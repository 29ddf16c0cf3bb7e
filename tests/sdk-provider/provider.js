// An action provider built on the official Wix SDK (@wix/sdk AppStrategy + @wix/automations
// actionProvider), the oracle for the inbox's JWT verdicts (tests/interop.rs).
// Usage: node provider.js PUBLIC_KEY_PEM_FILE APP_ID [REPORT_URL]
// With REPORT_URL, Invoke answers "wait up to 60 minutes" and reports completion a moment later
// to REPORT_URL (a completion API), as an action's own code would.
// Prints "listening PORT" once it listens on 127.0.0.1 (a free port); answers each POST with
// the SDK's result as JSON (200) or, when the SDK throws, 401 with {"sdkError": message}.
'use strict';
const serve = require('./serve');
const fs = require('fs');
const { createClient, AppStrategy } = require('@wix/sdk');
const { actionProvider } = require('@wix/automations/service-plugins');

const [publicKeyFile, appId, reportUrl] = process.argv.slice(2);
const publicKey = fs.readFileSync(publicKeyFile, 'utf8');
const client = createClient({
  auth: AppStrategy({ appId, publicKey }),
  modules: { actionProvider },
});
client.actionProvider.provideHandlers({
  invoke: async ({ request }) => {
    if (!reportUrl) {
      return { result: { seen: request.actionKey } };
    }
    const token = request.activationContext && request.activationContext.invocationToken;
    setTimeout(() => {
      fetch(reportUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'app-token' },
        body: JSON.stringify({
          invocationToken: token,
          status: 'SUCCESS',
          successInfo: { result: { seen: request.actionKey } },
        }),
      }).catch((e) => console.error(`report failed: ${e}`));
    }, 300);
    return { invokeTimeoutType: 'TIMEOUT_LENGTH', timeoutLengthOptions: { timeoutInMinutes: 60 } };
  },
  validateConfiguration: async () => ({ valid: true, configurationErrors: [] }),
  getQuotaInfo: async () => ({ actionQuotaInfo: { enforced: false, quotaInfo: [] } }),
});

serve(client, 401);
