/**
 * An http.Agent whose connections are streams from a function instead of TCP sockets:
 * dockerode speaks HTTP to the remote engine over SSH channels forwarded to the host's
 * Docker socket (`direct-streamlocal@openssh.com`), so nothing but sshd is needed there.
 * Each request gets its own channel (no keep-alive): opening one costs a round trip on an
 * existing connection, and a channel that Docker hijacks (attach, logs --follow) is never
 * handed to another request.
 */
import http from 'node:http';
import type { ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';

type SocketLike = Duplex & {
  setTimeout?: (ms: number, cb?: () => void) => unknown;
  setNoDelay?: (v?: boolean) => unknown;
  setKeepAlive?: (v?: boolean, ms?: number) => unknown;
  ref?: () => unknown;
  unref?: () => unknown;
};

export class StreamAgent extends http.Agent {
  constructor(private readonly openStream: () => Promise<Duplex>) {
    // A bounded number of channels at once keeps a big parallel refresh from opening
    // hundreds of them on one connection.
    // No TLS server name to work out per request (see local.ts socketAgent).
    super({ keepAlive: false, maxSockets: 32, servername: '' } as http.AgentOptions);
  }

  override createConnection(
    _options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.openStream().then(
      (s) => callback?.(null, socketLike(s)),
      (err: unknown) => callback?.(err instanceof Error ? err : new Error(String(err)), undefined as never),
    );
    return undefined;
  }

  /**
   * docker-modem formats every request's options with util.inspect (showHidden, no depth
   * limit) for its debug log, even with debugging off; our agent is in those options, and
   * inspecting it would walk every open channel and the whole SSH connection (seconds of
   * CPU with a few dozen requests in flight).
   */
  [inspect.custom](): string {
    return 'StreamAgent';
  }
}

/** node:http calls a few net.Socket methods that an SSH channel does not have. */
function socketLike(s: Duplex): Duplex {
  const x = s as SocketLike;
  x.setTimeout ??= () => x;
  x.setNoDelay ??= () => x;
  x.setKeepAlive ??= () => x;
  x.ref ??= () => x;
  x.unref ??= () => x;
  return x;
}
