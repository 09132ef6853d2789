import { describe, expect, it } from 'vitest';
import {
  chooseBootstrapNode,
  findGaleraContainers,
  parsePosition,
} from '../../../src/engine/mariadb-recovery.js';
import type { ContainerInstance } from '../../../src/expand/instances.js';
import { KollaError } from '../../../src/diags/kolla-error.js';

const U = '7e4f6a0c-1b2d-11ef-9a3b-0242ac120002';
const V = '0c1d2e3f-4a5b-11ef-8c7d-0242ac120003';

describe('parsePosition (kolla_mariadb_recover output)', () => {
  it('reads uuid:seqno', () => {
    expect(parsePosition(`${U}:42\n`)).toEqual({ uuid: U, seqno: 42 });
  });
  it('takes the last position line and ignores other lines', () => {
    expect(parsePosition(`noise\n${U}:1\nkolla_mariadb_recover: safe_to_bootstrap: 1\n${U}:7`)).toEqual({
      uuid: U,
      seqno: 7,
    });
  });
  it('keeps seqno -1 (unknown) and lower-cases the uuid', () => {
    expect(parsePosition(`${U.toUpperCase()}:-1`)).toEqual({ uuid: U, seqno: -1 });
  });
  it('gives nothing for output without a position', () => {
    expect(parsePosition('')).toBeUndefined();
    expect(parsePosition('ERROR: no grastate.dat')).toBeUndefined();
    expect(parsePosition(`${U}:`)).toBeUndefined();
    expect(parsePosition('not-a-uuid:12')).toBeUndefined();
  });
});

describe('chooseBootstrapNode', () => {
  const n = (host: string, seqno: number, uuid = U) => ({ host, position: { uuid, seqno } });
  it('picks the highest seqno', () => {
    expect(chooseBootstrapNode([n('tb1', 10), n('tb2', 12), n('tb3', 3)])).toBe('tb2');
  });
  it('on a tie, the first in hosts order', () => {
    expect(chooseBootstrapNode([n('tb3', 5), n('tb1', 12), n('tb2', 12)])).toBe('tb1');
  });
  it('leaves out nodes that do not know their position (-1)', () => {
    expect(chooseBootstrapNode([n('tb1', -1), n('tb2', 0), n('tb3', -1)])).toBe('tb2');
  });
  it('refuses when no node knows its position', () => {
    expect(() => chooseBootstrapNode([n('tb1', -1), n('tb2', -1)])).toThrow(KollaError);
  });
  it('refuses nodes of different cluster histories', () => {
    expect(() => chooseBootstrapNode([n('tb1', 10), n('tb2', 12, V)])).toThrow(/different cluster histories/);
  });
});

describe('findGaleraContainers', () => {
  const c = (service: string, name: string, host: string) =>
    ({ kind: 'container', service, host, spec: { name } }) as unknown as ContainerInstance;
  const all = [
    c('module.db.service.mariadb', 'mariadb', 'tb1'),
    c('module.db.service.mariadb', 'mariadb', 'tb2'),
    c('service.keystone', 'keystone', 'tb1'),
  ];
  it("the service's containers of that name, in the order given (hosts order)", () => {
    expect(findGaleraContainers(all, 'mariadb', undefined).map((i) => i.host)).toEqual(['tb1', 'tb2']);
  });
  it('an unknown name: did you mean', () => {
    expect(() => findGaleraContainers(all, 'mariadbb', undefined)).toThrow(/did you mean "mariadb"/);
  });
  it('a name in two services needs --service; a wrong --service: did you mean', () => {
    const two = [...all, c('service.other', 'mariadb', 'tb3')];
    expect(() => findGaleraContainers(two, 'mariadb', undefined)).toThrow(/more than one service/);
    expect(findGaleraContainers(two, 'mariadb', 'service.other').map((i) => i.host)).toEqual(['tb3']);
    expect(() => findGaleraContainers(two, 'mariadb', 'service.othr')).toThrow(
      /did you mean "service.other"/,
    );
  });
});
