// A merchant's webhook receiver in Node, verifying with exactly the seed README's snippet.
// express.json() is JSON.parse of the raw body; this uses node's http module so no npm is needed.
// Usage: SECRET=... node node_receiver.js  -> prints the port; GET /results lists what arrived.
const http = require('http');
const crypto = require('crypto');
const SECRET = process.env.SECRET;
const results = [];

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/results') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(results));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    req.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    // --- the seed README snippet, verbatim ---
    const signature = req.headers['x-webhook-signature'];
    const expected = crypto.createHmac('sha256', SECRET).update(JSON.stringify(req.body)).digest('hex');
    let verified = false;
    if (signature === expected) { /* Verified */ verified = true; }
    // -----------------------------------------
    results.push({ id: req.body.id, event: req.body.event, verified, data: req.body.data });
    res.writeHead(verified ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ verified }));
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(server.address().port);
});
