/**
 * ssh2 writes every SSH packet to its socket on its own: one `write` syscall per packet, and
 * on a loopback or LAN connection the kernel hands each one to sshd inside that syscall.
 * A parallel refresh has dozens of channels open on one connection, and each Docker request
 * costs its channel several packets (open, data, EOF, close, window adjust), so at a hundred
 * hosts those syscalls were the largest item in a CPU profile (bench/RESULTS.md, "What grows
 * with hosts"). coalesceWrites() corks the socket at the first write of an event-loop turn and
 * uncorks it once the turn's I/O callbacks and their promise continuations have run
 * (setImmediate): the packets written in one turn leave in one `writev`. Nothing is held
 * longer than that turn, and the order of the bytes is unchanged.
 */
import type { Duplex } from 'node:stream';

export function coalesceWrites<T extends Duplex>(sock: T): T {
  const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
  let corked = false;
  const flush = (): void => {
    corked = false;
    if (!sock.destroyed) sock.uncork();
  };
  sock.write = ((...args: unknown[]): boolean => {
    if (!corked && !sock.destroyed) {
      corked = true;
      sock.cork();
      setImmediate(flush);
    }
    return write(...args);
  }) as T['write'];
  return sock;
}
