import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
const out = process.argv[2];
// An optional codec; without one, DuckDB's default (snappy).
const codec = process.argv[3] ? `, COMPRESSION ${process.argv[3]}` : '';
mkdirSync(out);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`COPY (SELECT * FROM read_json_auto('/tmp/tmp.uUjXfjrj3w/sessions.jsonl')) TO '${out}/sessions.parquet' (FORMAT parquet${codec})`);
await c.run(`COPY (SELECT * FROM read_json_auto('/tmp/tmp.uUjXfjrj3w/answers.jsonl')) TO '${out}/answers.parquet' (FORMAT parquet${codec})`);
