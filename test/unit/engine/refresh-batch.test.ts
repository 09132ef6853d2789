import { describe, expect, it } from 'vitest';
import { splitAtMarkers } from '../../../src/engine/refresh.js';
import { parseRefresh } from '../../../src/kinds/database.js';

describe('database reads joined in one mysql run', () => {
  it('splits the output at the marker rows, each part to its query', () => {
    const out = [
      'kolla-read\t0',
      'schema\tkeystone',
      'account\tmysql_native_password\t*ABC',
      'priv\tSELECT',
      'kolla-read\t1',
      'kolla-read\t2',
      'schema\tglance',
      'kolla-read\t3',
      '',
    ].join('\n');
    const parts = splitAtMarkers(out, 3);
    expect(parts).toHaveLength(3);
    expect(parseRefresh(parts![0]!)).toEqual({
      schemaExists: true,
      account: { plugin: 'mysql_native_password', authenticationString: '*ABC' },
      privileges: ['SELECT'],
    });
    // Nothing between two markers: no schema, no account.
    expect(parseRefresh(parts![1]!)).toEqual({ schemaExists: false, privileges: [] });
    expect(parseRefresh(parts![2]!).schemaExists).toBe(true);
    expect(parseRefresh(parts![2]!).account).toBeUndefined();
  });

  it('a schema named like the marker is not a marker (its row has another first field)', () => {
    const parts = splitAtMarkers('kolla-read\t0\nschema\tkolla-read\nkolla-read\t1\nkolla-read\t2\n', 2);
    expect(parseRefresh(parts![0]!).schemaExists).toBe(true);
    expect(parseRefresh(parts![1]!).schemaExists).toBe(false);
  });

  it('output cut short, or markers out of order, is no answer (each query then runs alone)', () => {
    // The end marker missing: the last database's rows may be cut off.
    expect(splitAtMarkers('kolla-read\t0\nschema\tnova\nkolla-read\t1\n', 2)).toBeUndefined();
    expect(splitAtMarkers('kolla-read\t0\nschema\tnova\n', 2)).toBeUndefined();
    expect(splitAtMarkers('', 1)).toBeUndefined();
    expect(splitAtMarkers('kolla-read\t1\nkolla-read\t0\nkolla-read\t2\n', 2)).toBeUndefined();
    expect(splitAtMarkers('kolla-read\t0\nkolla-read\t1\nkolla-read\t2\nkolla-read\t3\n', 2)).toBeUndefined();
  });
});
