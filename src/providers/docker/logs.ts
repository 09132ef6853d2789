/**
 * The last lines of a container's output, for error messages. A failed start is only
 * actionable when the user sees why, so every failure path quotes these.
 */
import type Dockerode from 'dockerode';

export const DEFAULT_LOG_LINES = 20;

/**
 * The last `lines` lines of stdout+stderr, interleaved as the container wrote them.
 * Never throws: a missing container or a log driver without read support gives a note
 * instead, because this runs while reporting another error.
 */
export async function logTail(docker: Dockerode, id: string, lines = DEFAULT_LOG_LINES): Promise<string> {
  try {
    const buf = await docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, tail: lines, follow: false });
    const text = demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    return text.replace(/\s+$/, '');
  } catch (err) {
    return `(logs unavailable: ${(err as Error).message})`;
  }
}

/**
 * Non-TTY containers' logs come in Docker's multiplexed framing: an 8-byte header
 * (stream type, 3 zero bytes, big-endian length) before each chunk. TTY containers'
 * logs are raw. Detect the framing instead of inspecting the container for Tty.
 */
export function demuxLogs(buf: Buffer): string {
  if (!looksMultiplexed(buf)) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off + 4);
    parts.push(buf.subarray(off + 8, Math.min(off + 8 + len, buf.length)));
    off += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

function looksMultiplexed(buf: Buffer): boolean {
  if (buf.length < 8) return false;
  const t = buf[0];
  return (t === 0 || t === 1 || t === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
}
