// Writes a gzip and a brotli copy of every built file next to it, so the server sends the
// smallest one the browser accepts without compressing at request time. Deterministic: the same
// build gives the same bytes (no timestamps in the gzip header).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = new URL('../dist/', import.meta.url).pathname;
let raw = 0;
let gz = 0;
let br = 0;
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path);
      continue;
    }
    if (name.endsWith('.gz') || name.endsWith('.br')) continue;
    const data = readFileSync(path);
    const g = gzipSync(data, { level: 9 });
    const b = brotliCompressSync(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    });
    writeFileSync(`${path}.gz`, g);
    writeFileSync(`${path}.br`, b);
    raw += data.length;
    gz += g.length;
    br += b.length;
  }
}
walk(root);
console.log(`console assets: ${raw} bytes, ${gz} gzip, ${br} brotli`);
