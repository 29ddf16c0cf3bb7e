// Serves an SDK client's service plugins over HTTP on 127.0.0.1 (a free port), as an app's
// backend would: each POST goes to client.servicePlugins.process({url, body}); the SDK's result
// is answered as JSON (200), or, when the SDK throws, `errorStatus` with {"sdkError": message}.
// Prints "listening PORT" once it listens.
'use strict';
const http = require('http');

module.exports = function serve(client, errorStatus) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = `http://${req.headers.host}${req.url}`;
      let status = 200;
      let out;
      try {
        out = await client.servicePlugins.process({ url, body });
      } catch (e) {
        status = errorStatus;
        out = { sdkError: String((e && e.message) || e) };
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out === undefined ? {} : out));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening ${server.address().port}`);
  });
};
