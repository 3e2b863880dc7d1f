// Writes NAME.gz beside every compressible file of the build, so cloudopt can send gzip without compressing per
// request (src/api/routes_static.cpp).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const compressible = /\.(html|js|css|svg|json|txt|map)$/;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (compressible.test(name)) writeFileSync(path + '.gz', gzipSync(readFileSync(path), { level: 9 }));
  }
}
walk(process.argv[2] || 'dist');
