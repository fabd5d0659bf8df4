import { DuckDBInstance } from '@duckdb/node-api';
const out = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`COPY (SELECT * FROM read_json_auto('/tmp/prof/s.jsonl')) TO '${out}/duck_s.parquet' (FORMAT parquet)`);
await c.run(`COPY (SELECT * FROM read_json_auto('/tmp/prof/a.jsonl')) TO '${out}/duck_a.parquet' (FORMAT parquet)`);
