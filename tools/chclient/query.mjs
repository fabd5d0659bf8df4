#!/usr/bin/env node
// node tools/chclient/query.mjs < request.json
//
// Runs SQL statements through ClickHouse's official JS client, @clickhouse/client, over the
// server's HTTP interface: the way the HTTP drivers of BI tools (Metabase's JDBC driver,
// Superset's clickhouse-connect) reach ClickHouse, and unlike the Go tests' own connections,
// which are native. The Go tests call it through testsupport.ClickHouseJS.
//
// stdin is a JSON object:
//   {"url": "http://127.0.0.1:8123", "username": "...", "password": "...", "database": "...",
//    "settings": {"max_execution_time": 60}, "statements": ["SELECT ...", {"command": "..."}]}
// settings are sent with every statement, as BI drivers send theirs (a readonly=1 user cannot
// change any; readonly=2 can). stdout is a JSON array with one element per statement:
// {"rows": [...]} with the rows as ClickHouse wrote them in JSONEachRow (passed through as text:
// JSON.parse would round 64-bit integers), or {"error": "..."} when the server refused it. A
// statement given as {"command": "..."} (DDL, INSERT) goes through client.command and returns
// no rows.
// The client pings the server first; a failed ping, like bad input, is exit status 1 with the
// reason on stderr.
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { readFileSync } from 'node:fs';

async function main() {
  let req;
  try {
    req = JSON.parse(readFileSync(0, 'utf8'));
  } catch (err) {
    throw new Error(`stdin must be a JSON object: ${err.message}`);
  }
  if (!req || typeof req.url !== 'string' || !Array.isArray(req.statements) ||
      req.statements.some((s) => typeof s !== 'string' && typeof (s && s.command) !== 'string')) {
    throw new Error('stdin must be {"url": "...", "statements": ["..." or {"command": "..."}, ...], ...}');
  }
  const client = createClient({
    url: req.url,
    username: req.username || 'default',
    password: req.password || '',
    database: req.database || 'default',
    request_timeout: 120_000,
    clickhouse_settings: req.settings || {},
    // A refused statement is reported in the output; the client's own log would repeat it.
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const ping = await client.ping();
    if (!ping.success) {
      throw new Error(`ping ${req.url}: ${ping.error && ping.error.message ? ping.error.message : 'failed'}`);
    }
    const results = [];
    for (const sql of req.statements) {
      try {
        if (typeof sql !== 'string') {
          await client.command({ query: sql.command });
          results.push('{"rows":[]}');
          continue;
        }
        const rs = await client.query({ query: sql, format: 'JSONEachRow' });
        const rows = (await rs.text()).split('\n').filter((line) => line.trim() !== '');
        results.push(`{"rows":[${rows.join(',')}]}`);
      } catch (err) {
        results.push(JSON.stringify({ error: err && err.message ? err.message : String(err) }));
      }
    }
    process.stdout.write(`[${results.join(',')}]\n`);
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  process.stderr.write(`chclient: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
