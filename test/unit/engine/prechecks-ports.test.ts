/**
 * The ports precheck knows addresses: a service bound to 127.0.0.2:5000 is not in the way of
 * a listener on 127.0.0.1:5000 (an all-in-one beside a registry on 127.0.0.1:5000), while a
 * wildcard listener, a wildcard bind or a bind of unknown address still is.
 */
import { describe, expect, it } from 'vitest';
import { healthcheckEndpoints, inTheWay, parseProcNetSockets } from '../../../src/engine/prechecks.js';

describe('ports precheck with addresses', () => {
  it('reads the address of each listener from /proc/net', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '   2: 0200007F:2406 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 3 1',
    ].join('\n');
    expect(parseProcNetSockets(tcp, '0A')).toEqual([
      { port: 5000, address: '127.0.0.1' },
      { port: 8080, address: '0.0.0.0' },
    ]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st',
      '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A',
      '   1: 00000000000000000000000001000000:0CEA 00000000000000000000000000000000:0000 0A',
    ].join('\n');
    expect(parseProcNetSockets(tcp6, '0A')).toEqual([
      { port: 8080, address: '::' },
      { port: 3306, address: '00000000000000000000000001000000' },
    ]);
  });

  it('takes the address from a healthcheck URL when it is an IPv4 literal', () => {
    expect(healthcheckEndpoints(['CMD-SHELL', 'healthcheck_curl http://127.0.0.2:5000/v3'])).toEqual([
      { port: 5000, address: '127.0.0.2' },
    ]);
    expect(healthcheckEndpoints(['CMD-SHELL', 'nc -z localhost:11211'])).toEqual([{ port: 11211 }]);
    expect(healthcheckEndpoints(['CMD-SHELL', 'healthcheck_listen mariadbd 3306'])).toEqual([{ port: 3306 }]);
  });

  it('a listener is in the way on the same or a wildcard address, or when the bind is unknown', () => {
    const registry = new Set(['127.0.0.1']);
    expect(inTheWay('127.0.0.2', registry)).toBe(false);
    expect(inTheWay('127.0.0.1', registry)).toBe(true);
    expect(inTheWay(undefined, registry)).toBe(true);
    expect(inTheWay('0.0.0.0', registry)).toBe(true);
    expect(inTheWay('127.0.0.2', new Set(['0.0.0.0']))).toBe(true);
    expect(inTheWay('127.0.0.2', new Set(['::']))).toBe(true);
    expect(inTheWay('127.0.0.2', new Set(['127.0.0.1', '127.0.0.2']))).toBe(true);
  });
});
