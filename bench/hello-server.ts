import { createServer } from 'node:http';

// The ceiling: the smallest JSON answer node:http can give, on the loopback port given as argv[2].
const body = JSON.stringify({ kind: 'user', name: 'bench-user', admin: false });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
