#!/usr/bin/env node
// node tools/duckdb/query.mjs "<SQL>"   (or "-" / no argument: the SQL is read from stdin)
//
// Runs the SQL (one or more statements; the last one's rows are printed) in an in-memory
// DuckDB and prints the rows as one JSON array of objects on stdout. Exit status 1 with
// the error on stderr when the SQL fails. The Go tests use it (testsupport.DuckDB) as an
// independent reader of the Parquet files the etl writes.
//
// Value mapping:
//   NULL                          -> null
//   BOOLEAN, VARCHAR              -> as is
//   integers (incl. BIGINT, HUGEINT) -> number when a safe integer (|n| <= 2^53-1), else string
//   FLOAT, DOUBLE                 -> number; NaN and +-Infinity as the strings "NaN", "Infinity", "-Infinity"
//   DECIMAL                       -> number when it has at most 15 significant digits, else string
//   DATE                          -> "YYYY-MM-DD"
//   TIMESTAMP[_S|_MS|_NS], TIMESTAMPTZ -> ISO-8601 UTC, "2026-01-02T03:04:05Z" with the
//                                    fraction trimmed of trailing zeros like Go's time.RFC3339Nano
//   LIST, ARRAY                   -> JSON array; STRUCT -> object; MAP -> object when every key
//                                    is a string, else [{"key": k, "value": v}, ...]
//   INTERVAL                      -> {"months": m, "days": d, "micros": us}
//   anything else (TIME, UUID, BLOB, ENUM, ...) -> DuckDB's text form
import {
  DuckDBArrayValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
} from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

function bigintToJSON(n) {
  if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(n);
  }
  return n.toString();
}

function numberToJSON(x) {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

const pad = (n, w) => String(n).padStart(w, '0');

// micros since the epoch (bigint) -> "YYYY-MM-DDTHH:MM:SS[.f]Z"
function microsToISO(micros, fallback) {
  const perSec = 1000000n;
  let secs = micros / perSec;
  let frac = micros % perSec;
  if (frac < 0n) {
    frac += perSec;
    secs -= 1n;
  }
  const ms = Number(secs) * 1000;
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) return fallback();
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) return fallback();
  let out =
    `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (frac !== 0n) out += '.' + pad(frac, 6).replace(/0+$/, '');
  return out + 'Z';
}

function nanosToISO(nanos, fallback) {
  const rem = ((nanos % 1000n) + 1000n) % 1000n;
  const micros = (nanos - rem) / 1000n;
  const base = microsToISO(micros, fallback);
  if (rem === 0n || !base.endsWith('Z')) return base;
  // Re-render the fraction at nanosecond precision.
  const head = base.slice(0, 19);
  const us = ((micros % 1000000n) + 1000000n) % 1000000n;
  const frac = (pad(us, 6) + pad(rem, 3)).replace(/0+$/, '');
  return `${head}.${frac}Z`;
}

function dateToISO(v) {
  if (!v.isFinite) return v.toString();
  const ms = v.days * 86400000;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999) return v.toString();
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function decimalToJSON(v) {
  const s = v.toString();
  const digits = s.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  if (digits.length <= 15) return Number(s);
  return s;
}

function toJSON(v) {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return numberToJSON(v);
    case 'bigint':
      return bigintToJSON(v);
    default:
      break;
  }
  if (v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue) {
    return v.isFinite ? microsToISO(v.micros, () => v.toString()) : v.toString();
  }
  if (v instanceof DuckDBTimestampSecondsValue) {
    return v.isFinite ? microsToISO(v.seconds * 1000000n, () => v.toString()) : v.toString();
  }
  if (v instanceof DuckDBTimestampMillisecondsValue) {
    return v.isFinite ? microsToISO(v.millis * 1000n, () => v.toString()) : v.toString();
  }
  if (v instanceof DuckDBTimestampNanosecondsValue) {
    return v.isFinite ? nanosToISO(v.nanos, () => v.toString()) : v.toString();
  }
  if (v instanceof DuckDBDateValue) return dateToISO(v);
  if (v instanceof DuckDBDecimalValue) return decimalToJSON(v);
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(toJSON);
  if (v instanceof DuckDBStructValue) {
    const out = {};
    for (const [k, x] of Object.entries(v.entries)) out[k] = toJSON(x);
    return out;
  }
  if (v instanceof DuckDBMapValue) {
    if (v.entries.every((e) => typeof e.key === 'string')) {
      const out = {};
      for (const e of v.entries) out[e.key] = toJSON(e.value);
      return out;
    }
    return v.entries.map((e) => ({ key: toJSON(e.key), value: toJSON(e.value) }));
  }
  if (v instanceof DuckDBIntervalValue) {
    return { months: v.months, days: v.days, micros: bigintToJSON(v.micros) };
  }
  return v.toString();
}

async function main() {
  const arg = process.argv[2];
  const sql = arg === undefined || arg === '-' ? readFileSync(0, 'utf8') : arg;
  if (sql.trim() === '') throw new Error('usage: node tools/duckdb/query.mjs "<SQL>" (or the SQL on stdin)');
  const instance = await DuckDBInstance.create(':memory:', {
    // parquet, json and icu are built in; never try to download an extension.
    autoinstall_known_extensions: 'false',
  });
  const conn = await instance.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const reader = await conn.runAndReadAll(sql);
    const rows = reader.getRowObjects().map((row) => {
      const out = {};
      for (const [k, v] of Object.entries(row)) out[k] = toJSON(v);
      return out;
    });
    process.stdout.write(JSON.stringify(rows) + '\n');
  } finally {
    conn.closeSync();
    instance.closeSync?.();
  }
}

main().catch((err) => {
  process.stderr.write(`duckdb: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
