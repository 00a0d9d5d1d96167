# Shared setup for scripts/test and scripts/demo. Each function is idempotent.
BUN_PIN="1.4.5"

setup_bun() {
  if command -v bun >/dev/null 2>&1 && [ "$(bun --version 2>/dev/null)" = "$BUN_PIN" ]; then return 0; fi
  echo "installing bun@${BUN_PIN} with npm"
  npm i -g "bun@${BUN_PIN}" >/dev/null 2>&1 || { echo "npm i -g bun@${BUN_PIN} failed" >&2; return 1; }
  hash -r
  if [ "$(bun --version 2>/dev/null)" != "$BUN_PIN" ]; then
    # npm may skip install scripts; the platform package still carries the binary.
    local root; root="$(npm root -g)"
    local bin; bin="$(ls "$root"/bun/node_modules/@oven/bun-linux-*/bin/bun "$root"/@oven/bun-linux-*/bin/bun 2>/dev/null | head -1)"
    [ -n "$bin" ] && ln -sf "$bin" /usr/local/bin/bun
    hash -r
  fi
  [ "$(bun --version 2>/dev/null)" = "$BUN_PIN" ] || { echo "bun ${BUN_PIN} not usable after install" >&2; return 1; }
}

setup_deps() {
  bun install --frozen-lockfile >/dev/null || { echo "bun install --frozen-lockfile failed" >&2; return 1; }
}

mysql_ping() { # host port
  bun -e "
    const m = await import('mysql2/promise');
    const dsn = new URL(process.env.JETMON_TEST_DSN || 'mysql://root:@127.0.0.1:3306/');
    try {
      const c = await m.createConnection({host: dsn.hostname, port: Number(dsn.port||3306), user: decodeURIComponent(dsn.username||'root'), password: decodeURIComponent(dsn.password||''), connectTimeout: 3000});
      await c.query('SELECT 1'); await c.end(); process.exit(0);
    } catch (e) { process.exit(1); }
  " >/dev/null 2>&1
}

wait_mysql() {
  for _ in $(seq 1 60); do mysql_ping && return 0; sleep 1; done
  return 1
}

# The marker says this script installed the server, so it may open it for the tests.
# (The paths are variables so test/scripts/setup.test.ts can point them at a sandbox.)
JETMON_MARIADB_MARKER="${JETMON_MARIADB_MARKER:-/var/lib/mysql/.installed-by-jetmon2-setup}"
JETMON_MARIADBD="${JETMON_MARIADBD:-/usr/sbin/mariadbd}"
JETMON_MARIADB_SOCKET="${JETMON_MARIADB_SOCKET:-/run/mysqld/mysqld.sock}"

# JETMON_TEST_DSN wins; else 127.0.0.1:3306; else start mariadbd; else install mariadb-server (root only).
# A database this script did not install is never changed: it is used as found, or reported.
setup_mysql() {
  if mysql_ping; then return 0; fi
  if [ -n "${JETMON_TEST_DSN:-}" ]; then echo "JETMON_TEST_DSN=${JETMON_TEST_DSN} is not reachable" >&2; return 1; fi
  if [ ! -x "$JETMON_MARIADBD" ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "MariaDB is not installed and this is not root: set JETMON_TEST_DSN" >&2; return 1; fi
    echo "installing mariadb-server with apt"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null || { echo "apt-get install mariadb-server failed" >&2; return 1; }
    touch "$JETMON_MARIADB_MARKER"
  fi
  echo "starting mariadbd (loopback only)"
  local rundir; rundir="$(dirname "$JETMON_MARIADB_SOCKET")"
  mkdir -p "$rundir" && chown mysql:mysql "$rundir" 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec "$JETMON_MARIADBD" -- --user=mysql --bind-address=127.0.0.1 >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do [ -S "$JETMON_MARIADB_SOCKET" ] && break; sleep 1; done
  if ! mysql_ping; then
    if [ ! -f "$JETMON_MARIADB_MARKER" ]; then
      echo "MySQL on 127.0.0.1:3306 refuses root with an empty password, and this script did not install it:" >&2
      echo "  not changing its users; set JETMON_TEST_DSN=mysql://user:password@127.0.0.1:3306/" >&2
      return 1
    fi
    # Our own fresh server lets root in only over the unix socket: add a TCP root for 127.0.0.1 only
    # (root@localhost keeps its socket authentication).
    mariadb -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;" 2>/dev/null || true
  fi
  wait_mysql || { echo "MySQL is not reachable on 127.0.0.1:3306" >&2; return 1; }
}

setup_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then return 1; fi
  echo "installing chromium with apt"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}
