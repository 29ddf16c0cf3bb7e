// An MCP client on the official TypeScript SDK (@modelcontextprotocol/sdk), driving ActionBench's
// MCP server as an agent would. The SDK's Client checks every tool result against the tool's
// declared outputSchema (with ajv) and refuses one that breaks it, so every call here is also a
// check of the schemas ActionBench declares. Used by tests/mcp_sdk.rs.
// Usage: node client.js stdio ACTIONBENCH_BIN [ARGS…]   (starts `actionbench mcp ARGS…`)
//        node client.js http URL                          (Streamable HTTP, e.g. …/mcp)
// Prints one JSON line per step: {"step": NAME, "result": …} or {"step": NAME, "error": …},
// then {"done": true}; exits 1 on a step that should not fail.
'use strict';
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const [mode, where, ...rest] = process.argv.slice(2);
const say = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);

function transport() {
  if (mode === 'stdio') {
    return new StdioClientTransport({ command: where, args: ['mcp', ...rest], stderr: 'ignore' });
  }
  return new StreamableHTTPClientTransport(new URL(where));
}

async function step(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) {
    throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  }
  say({ step: name, result: r.structuredContent });
  return r.structuredContent;
}

async function main() {
  const client = new Client({ name: 'actionbench-test-agent', version: '1.0.0' });
  await client.connect(transport());
  say({ step: 'server', result: client.getServerVersion() });
  const { tools } = await client.listTools();
  say({
    step: 'tools',
    result: tools.map((t) => ({ name: t.name, hasOutputSchema: !!t.outputSchema, annotations: t.annotations })),
  });
  await step(client, 'get_status', {});
  await step(client, 'set_mode', { actionKey: 'quote-shipping', mode: 'hold' });
  const before = await step(client, 'list_calls', { limit: 1 });
  const sent = await step(client, 'send_sample', { sample: 'Shipping quote (typical answer breaks the schema)' });
  const waited = await step(client, 'wait_for_call', {
    since: before.nextCursor, phase: 'held', actionKey: 'quote-shipping', timeoutSeconds: 20,
  });
  await step(client, 'get_call', { id: waited.call.id });
  await step(client, 'answer_call', { id: sent.id, result: { amount: '12.50' } });
  await step(client, 'answer_call', { id: sent.id, result: { amount: 12.5, currency: 'EUR' } });
  await step(client, 'get_call', { id: sent.id });
  await step(client, 'lint', { definition: { actionKey: 'Bad Key', displayName: 'x' } });
  await step(client, 'wait_for_call', { actionKey: 'nobody', timeoutSeconds: 1 });
  // Arguments that break the schema: a JSON-RPC error naming the field.
  try {
    await client.callTool({ name: 'get_call', arguments: { id: 'seven' } });
    say({ step: 'bad-arguments', error: null });
  } catch (e) {
    say({ step: 'bad-arguments', error: { code: e.code, message: e.message } });
  }
  try {
    await client.callTool({ name: 'no_such_tool', arguments: {} });
    say({ step: 'unknown-tool', error: null });
  } catch (e) {
    say({ step: 'unknown-tool', error: { code: e.code, message: e.message } });
  }
  const { resources } = await client.listResources();
  say({ step: 'resources', result: resources.map((r) => r.uri) });
  const { prompts } = await client.listPrompts();
  const prompt = await client.getPrompt({ name: prompts[0].name });
  say({ step: 'prompt', result: prompt.messages.map((m) => m.content.text).join('\n') });
  await client.close();
  say({ done: true });
}

main().catch((e) => {
  say({ failed: String((e && e.stack) || e) });
  process.exit(1);
});
