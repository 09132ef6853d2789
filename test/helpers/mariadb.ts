/**
 * A real MariaDB for the database tests: the catalogue's image (kolla/mariadb:zed, built here
 * as the all-in-one builds it when missing) and a server command that makes its data
 * directory on first start and gives root the password in $ROOT_PW (and the unix socket).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { expect } from 'vitest';
import { imageId } from '../../src/providers/docker/image-ops.js';
import { ROOT, buildOnce, kolla } from './kolla.js';

export const MARIADB_IMAGE = 'kolla/mariadb:zed';

/** The server's command (sh -c): data directory, root's password from $ROOT_PW, bound to loopback. */
export const MARIADB_SERVER_SCRIPT = [
  'set -e',
  'if [ ! -d /var/lib/mysql/mysql ]; then mysql_install_db --datadir=/var/lib/mysql --auth-root-authentication-method=socket >/tmp/install.log 2>&1; fi',
  `printf "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('%s') OR unix_socket;\\nDELETE FROM mysql.global_priv WHERE User = '';\\nFLUSH PRIVILEGES;\\n" "$ROOT_PW" > /tmp/init.sql`,
  'exec mysqld --datadir=/var/lib/mysql --bind-address=127.0.0.1 --skip-log-bin --init-file=/tmp/init.sql',
].join('\n');

/** Builds kolla/mariadb:zed (debian:bookworm first) when this engine does not have it. */
export async function ensureMariadbImage(docker: Dockerode): Promise<void> {
  if ((await imageId(docker, MARIADB_IMAGE)) !== undefined) return;
  execFileSync('bash', [path.join(ROOT, 'scripts/debian-base.sh')], { stdio: 'ignore', timeout: 900_000 });
  buildOnce();
  const r = await kolla(['build', 'mariadb', '--no-color'], { cwd: path.join(ROOT, 'examples/all-in-one') });
  expect(r.code, r.stderr).toBe(0);
}
