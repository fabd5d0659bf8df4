import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
const out = process.argv[2];
mkdirSync(out);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`COPY (SELECT * FROM read_json_auto('/tmp/prof/s.jsonl')) TO '${out}/sessions.parquet' (FORMAT parquet)`);
await c.run(`COPY (SELECT * FROM read_json_auto('/tmp/prof/a.jsonl')) TO '${out}/answers.parquet' (FORMAT parquet)`);
