import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { coalesceWrites } from '../../../src/transport/coalesce-writes.js';

/** A socket-like stream that records each syscall-sized write (_write or _writev). */
function recorder(): { sock: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const sock = new Writable({
    write(chunk: Buffer, _enc, cb) {
      calls.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      cb();
    },
  });
  return { sock, calls };
}

describe('coalesceWrites', () => {
  it('sends the writes of one event-loop turn in one writev, in order', async () => {
    const { sock, calls } = recorder();
    coalesceWrites(sock as never);
    sock.write('a');
    sock.write('b');
    await Promise.resolve();
    sock.write('c'); // a promise continuation of the same turn
    expect(calls).toEqual([]);
    await tick();
    expect(calls).toEqual([['a', 'b', 'c']]);
  });

  it('does not hold a write past its turn', async () => {
    const { sock, calls } = recorder();
    coalesceWrites(sock as never);
    sock.write('one');
    await tick();
    sock.write('two');
    await tick();
    expect(calls).toEqual([['one'], ['two']]);
  });

  it('without it, every write is its own call', async () => {
    const { sock, calls } = recorder();
    sock.write('a');
    sock.write('b');
    await tick();
    expect(calls.length).toBeGreaterThan(1);
  });

  it('leaves a destroyed socket alone', async () => {
    const { sock, calls } = recorder();
    coalesceWrites(sock as never);
    sock.write('x');
    sock.destroy();
    await tick();
    expect(calls).toEqual([]);
    expect(() => sock.write('y')).not.toThrow();
  });
});
