#!/usr/bin/env node
// node tools/chdb/query.mjs < statements.json
//
// Runs SQL statements, in order, in one chdb session (ClickHouse embedded, a current
// release) on a temp directory that is removed afterwards. stdin is a JSON array of
// statement strings; stdout is a JSON array with one element per statement: the rows it
// returned as an array of objects (empty for DDL). chdb is the proof that the DDL and the
// views the project writes for ClickHouse 18.16 also run on current ClickHouse; the Go
// tests call it through testsupport.ChDB.
//
// Exit status 1, with "statement N: <error>" on stderr, at the first statement that fails.
//
// Values are ClickHouse's JSONEachRow output with 64-bit integers unquoted: Date as
// "YYYY-MM-DD", DateTime as "YYYY-MM-DD hh:mm:ss" (the session runs in UTC), Nullable NULL
// as null, Array as a JSON array.
import { Session } from 'chdb';
import { readFileSync } from 'node:fs';

function main() {
  const input = readFileSync(0, 'utf8');
  let statements;
  try {
    statements = JSON.parse(input);
  } catch (err) {
    throw new Error(`stdin must be a JSON array of SQL statements: ${err.message}`);
  }
  if (!Array.isArray(statements) || statements.some((s) => typeof s !== 'string')) {
    throw new Error('stdin must be a JSON array of SQL statement strings');
  }
  const session = new Session();
  const results = [];
  try {
    // Session settings, not a SETTINGS clause: a clause would end up inside CREATE VIEW.
    session.query('SET output_format_json_quote_64bit_integers = 0');
    session.query("SET session_timezone = 'UTC'");
    for (const [i, sql] of statements.entries()) {
      let out;
      try {
        out = session.query(sql, 'JSONEachRow');
      } catch (err) {
        throw new Error(`statement ${i + 1}: ${err && err.message ? err.message : String(err)}\n${sql}`);
      }
      // Rows are passed through as ClickHouse wrote them: JSON.parse would round
      // 64-bit integers to doubles.
      const rows = (out || '').split('\n').filter((line) => line.trim() !== '');
      results.push(`[${rows.join(',')}]`);
    }
  } finally {
    session.cleanup();
  }
  process.stdout.write(`[${results.join(',')}]\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`chdb: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
