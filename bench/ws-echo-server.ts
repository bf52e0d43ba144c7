import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';

// A WebSocket echo backend for the proxy memory figures, on the loopback port given as argv[2]:
// plain HTTP requests get a small answer, upgrades get the handshake and every frame sent back.
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Echoes client frames (masked, payload under 64 KiB) back unmasked, as a server must send them. */
function echo(socket: Duplex): void {
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      if (buf.length < 2) return;
      const short = buf[1]! & 0x7f;
      const lenBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
      const maskAt = 2 + lenBytes;
      if (buf.length < maskAt + 4) return;
      const len = short === 126 ? buf.readUInt16BE(2) : short === 127 ? Number(buf.readBigUInt64BE(2)) : short;
      const end = maskAt + 4 + len;
      if (buf.length < end) return;
      const mask = buf.subarray(maskAt, maskAt + 4);
      const payload = Buffer.from(buf.subarray(maskAt + 4, end));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      const head = len < 126 ? Buffer.from([buf[0]!, len]) : Buffer.from([buf[0]!, 126, len >> 8, len & 0xff]);
      socket.write(Buffer.concat([head, payload]));
      buf = buf.subarray(end);
    }
  });
  socket.on('error', () => socket.destroy());
}

const server = createServer((_req, res) => res.end('ok'));
server.on('upgrade', (req, socket: Duplex) => {
  const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  echo(socket);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
