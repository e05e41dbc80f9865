// bench/duckdb_compare/compare.js: holds k3's DuckDB functions on SQLite against real DuckDB.
// Not part of CI; see README.md for setup (npm install @duckdb/node-api, build sqlite_eval).
//
//   node compare.js functions [cases.sql]   every expression of cases.sql in both engines
//   node compare.js cheatsheet DIR          the five cheat-sheet queries on DIR/events.csv
//
// SQLITE_EVAL (default ./sqlite_eval) is the path of the compiled sqlite_eval tool.
// In cases.sql, TS'...' is a timestamp literal (DuckDB: TIMESTAMP '...', SQLite: '...') and
// DT'...' a date literal; a line ending in "-- error" must fail in both engines.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

let duckdb;
try {
  duckdb = require('@duckdb/node-api');
} catch (e) {
  console.error('@duckdb/node-api is missing: run `npm install @duckdb/node-api` here first');
  process.exit(2);
}

const SQLITE_EVAL = process.env.SQLITE_EVAL || path.join(__dirname, 'sqlite_eval');

function runSqlite(statements, loads = []) {
  const args = [];
  for (const l of loads) args.push('--load', l);
  const out = execFileSync(SQLITE_EVAL, args, {
    input: statements.join('\n') + '\n',
    maxBuffer: 1 << 30,
  }).toString();
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

// A DuckDB value in the shape sqlite_eval prints: numbers, strings, null; booleans as 0/1;
// doubles tagged {double: x}.
function normDuck(v, type) {
  if (v === null || v === undefined) return null;
  const t = type.toString();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (t === 'DOUBLE' || t === 'FLOAT') return { double: v };
  if (t.startsWith('DECIMAL')) return { double: Number(v.toString()) };
  if (t === 'HUGEINT' || t === 'UBIGINT') return Number(v.toString());
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v;
  return v.toString();
}

function same(a, b) {
  if (a === null || b === null) return a === b;
  const da = typeof a === 'object' ? a.double : a;
  const db = typeof b === 'object' ? b.double : b;
  if (typeof da === 'number' && typeof db === 'number') {
    if (da === db) return true;
    return Math.abs(da - db) <= 1e-12 * Math.max(Math.abs(da), Math.abs(db));
  }
  return da === db;
}

async function runDuck(conn, sql) {
  try {
    const r = await conn.runAndReadAll(sql);
    const types = r.columnTypes();
    return { rows: r.getRows().map((row) => row.map((v, i) => normDuck(v, types[i]))) };
  } catch (e) {
    return { error: e.message.split('\n')[0] };
  }
}

// Inline tables: T{a,b|'x',1|'y',2} (column names, then rows) and SEQ{1,100} (x = 1..100).
function tables(sql, duck) {
  sql = sql.replace(/T\{([^}]*)\}/g, (_, body) => {
    const [cols, ...rows] = body.split('|');
    if (duck) return `(VALUES ${rows.map((r) => `(${r})`).join(', ')}) t(${cols})`;
    const names = cols.split(',');
    const first = rows[0].split(',').map((v, i) => `${v} AS ${names[i]}`).join(', ');
    return `(SELECT ${first}${rows.slice(1).map((r) => ` UNION ALL SELECT ${r}`).join('')})`;
  });
  return sql.replace(/SEQ\{(\d+),(\d+)\}/g, (_, lo, hi) =>
    duck
      ? `range(${lo}, ${Number(hi) + 1}) t(x)`
      : `(WITH RECURSIVE r(x) AS (SELECT ${lo} UNION ALL SELECT x + 1 FROM r WHERE x < ${hi}) ` +
        `SELECT x FROM r)`,
  );
}

function toDuck(sql) {
  sql = sql.replace(/TS'([^']*)'/g, "TIMESTAMP '$1'").replace(/DT'([^']*)'/g, "DATE '$1'");
  return tables(sql, true);
}
function toSqlite(sql) {
  sql = sql.replace(/TS'([^']*)'/g, "'$1'").replace(/DT'([^']*)'/g, "'$1'");
  sql = sql.replace(/NULL::[A-Za-z]+/g, 'NULL').replace(/\bchr\(/g, 'char(');
  return tables(sql, false);
}

async function functions(casesPath) {
  const lines = fs
    .readFileSync(casesPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('--'));
  const cases = lines.map((l) => {
    const expectError = /--\s*error\s*$/.test(l);
    const known = /--\s*known difference\s*$/.test(l);
    const sql = l.replace(/--\s*(error|known difference)\s*$/, '').trim();
    return { sql, expectError, known };
  });
  const sqlite = runSqlite(cases.map((c) => toSqlite(c.sql)));
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  let ok = 0;
  let bad = 0;
  let known = 0;
  for (let i = 0; i < cases.length; ++i) {
    const c = cases[i];
    const d = await runDuck(conn, toDuck(c.sql));
    const s = sqlite[i];
    let match;
    if (c.expectError) {
      match = d.error !== undefined && s.error !== undefined;
    } else if (d.error || s.error) {
      match = false;
    } else {
      match =
        d.rows.length === s.rows.length &&
        d.rows.every(
          (row, r) => row.length === s.rows[r].length && row.every((v, k) => same(v, s.rows[r][k])),
        );
    }
    if (match) {
      ++ok;
    } else {
      if (c.known) {
        ++known;
      } else {
        ++bad;
      }
      console.log(`${c.known ? 'KNOWN DIFFERENCE' : 'MISMATCH'} ${c.sql}`);
      console.log(`  duckdb: ${JSON.stringify(d)}`);
      console.log(`  sqlite: ${JSON.stringify(s.error ? { error: s.error } : { rows: s.rows })}`);
    }
  }
  console.log(
    `functions: ${ok} match, ${bad} differ, ${known} known differences ` +
      `(DuckDB ${await version(conn)})`,
  );
  return bad === 0;
}

async function version(conn) {
  const r = await conn.runAndReadAll('SELECT version()');
  return r.getRows()[0][0];
}

const CHEATSHEET = [
  'SELECT kind, COUNT(*) AS cnt FROM {table} GROUP BY kind ORDER BY cnt DESC;',
  "SELECT date_trunc('hour', created_at) AS hour_bucket, COUNT(*) FROM {table} GROUP BY 1 ORDER BY 1;",
  'SELECT id, kind, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY created_at DESC) AS rn FROM {table};',
  "SELECT json_extract_string(payload, '$.customer_tier') AS tier, COUNT(*) FROM {table} GROUP BY tier;",
  'SELECT quantile_cont(duration_ms, 0.95) AS p95_ms FROM {table};',
];

function key(row) {
  return JSON.stringify(row.map((v) => (v !== null && typeof v === 'object' ? v.double : v)));
}

function sameRowSets(a, b) {
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; ++i) {
    if (ka[i] !== kb[i]) {
      // Doubles may differ in the last bit; compare those rows value by value.
      const ra = JSON.parse(ka[i]);
      const rb = JSON.parse(kb[i]);
      if (ra.length !== rb.length || !ra.every((v, k) => same(v, rb[k]))) return false;
    }
  }
  return true;
}

async function cheatsheet(dir) {
  const csv = path.join(dir, 'events.csv');
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  await conn.run(
    `CREATE TABLE events AS SELECT * FROM read_csv('${csv}', header = true, columns = {` +
      `'id': 'BIGINT', 'kind': 'VARCHAR', 'created_at': 'TIMESTAMP', 'duration_ms': 'BIGINT', ` +
      `'payload': 'VARCHAR'})`,
  );
  const queries = CHEATSHEET.map((q) => q.replace('{table}', 'events'));
  const sqlite = runSqlite(queries, [`events=${csv}`]);
  let allOk = true;
  for (let i = 0; i < queries.length; ++i) {
    const d = await runDuck(conn, queries[i]);
    const s = sqlite[i];
    console.log(`\n-- ${i + 1}) ${queries[i]}`);
    if (d.error || s.error) {
      console.log(`  duckdb: ${d.error || 'ok'}\n  sqlite: ${s.error || 'ok'}`);
      allOk = false;
      continue;
    }
    let verdict;
    if (i === 2) {
      // ROW_NUMBER over ties in created_at is arbitrary in both engines: compare the (kind, rn)
      // sets, and rn per id where (kind, created_at) is unique.
      const times = await conn.runAndReadAll(
        'SELECT id, kind, created_at::VARCHAR, COUNT(*) OVER (PARTITION BY kind, created_at) ' +
          'FROM events',
      );
      const unique = new Set(
        times
          .getRows()
          .filter((r) => Number(r[3]) === 1)
          .map((r) => Number(r[0])),
      );
      const sameSets = sameRowSets(
        d.rows.map((r) => [r[1], r[2]]),
        s.rows.map((r) => [r[1], r[2]]),
      );
      const dById = new Map(d.rows.map((r) => [r[0], r[2]]));
      let checked = 0;
      let differ = 0;
      for (const r of s.rows) {
        if (!unique.has(r[0])) continue;
        ++checked;
        if (dById.get(r[0]) !== r[2]) ++differ;
      }
      verdict = sameSets && differ === 0;
      console.log(
        `  rows: duckdb ${d.rows.length}, sqlite ${s.rows.length}; (kind, rn) sets ` +
          `${sameSets ? 'equal' : 'DIFFER'}; rn equal for ${checked - differ}/${checked} ids ` +
          `with a unique (kind, created_at)`,
      );
    } else {
      verdict = sameRowSets(d.rows, s.rows);
      const show = (rows) => JSON.stringify(rows.length > 8 ? rows.slice(0, 8).concat(['...']) : rows);
      console.log(`  duckdb (${d.rows.length} rows): ${show(d.rows)}`);
      console.log(`  sqlite (${s.rows.length} rows): ${show(s.rows)}`);
      if (i === 0 || i === 1) {
        const order = (rows) => JSON.stringify(rows.map(key));
        const ordered = i === 1 ? order(d.rows) === order(s.rows) : true;
        if (!ordered) verdict = false;
      }
    }
    console.log(`  ${verdict ? 'SAME' : 'DIFFERENT'}`);
    allOk = allOk && verdict;
  }
  console.log(`\ncheatsheet: ${allOk ? 'all five match' : 'MISMATCH'} (DuckDB ${await version(conn)})`);
  return allOk;
}

async function main() {
  const [mode, arg] = process.argv.slice(2);
  let ok;
  if (mode === 'functions') {
    ok = await functions(arg || path.join(__dirname, 'function_cases.sql'));
  } else if (mode === 'cheatsheet' && arg) {
    ok = await cheatsheet(arg);
  } else {
    console.error('usage: node compare.js functions [cases.sql] | cheatsheet DIR');
    process.exit(2);
  }
  process.exit(ok ? 0 : 1);
}

main();
