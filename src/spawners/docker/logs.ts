/**
 * The text of a container's log as the engine sends it for a container without a TTY: frames of an
 * 8-byte header (stream, 3 zero bytes, big-endian length) and a payload, stdout and stderr interleaved.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The message of a dockerode error: the engine's own words when it sent some. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } }).json;
  return typeof json?.message === 'string' ? json.message : (err as Error).message;
}

export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}
