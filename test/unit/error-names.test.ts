import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/evidence-function.ts';

/**
 * An error's `name` is what a Lambda log line reports as `errorType`, what an alarm's log
 * filter and a Step Functions `Retry`/`Catch` match on. A minifier renames classes, so every
 * error class spells its name out instead of relying on the class's (mangled) name.
 */

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('error class names', () => {
  const classes = ['lambdas', 'bin', 'lib', 'emulator'].flatMap((top) =>
    sourceFiles(join(PROJECT_ROOT, top)).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return [...text.matchAll(/class (\w+) extends \w*Error\b[^{]*\{/g)].map((match) => {
        // The class body: from its brace to the next top-level closing brace.
        const start = (match.index ?? 0) + match[0].length;
        const end = text.indexOf('\n}', start);
        return { file: relative(PROJECT_ROOT, file), name: match[1] as string, body: text.slice(start, end) };
      });
    }),
  );

  it('finds the error classes', () => {
    expect(classes.map((c) => c.name)).toEqual(
      expect.arrayContaining(['Cm01Error', 'InputError', 'StoreError', 'RetentionError', 'SourceError']),
    );
  });

  it('are spelt out in every error class', () => {
    const unnamed = classes.filter(
      ({ name, body }) =>
        !body.includes(`override name = '${name}';`) && !body.includes(`this.name = '${name}';`),
    );
    expect(unnamed.map(({ file, name }) => `${file}: ${name}`)).toEqual([]);
  });

  it('survive a minified bundle built without keepNames', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm01-names-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        [
          `import { parseJobEvent } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/runtime/event.ts'))};`,
          `import { RetentionError } from ${JSON.stringify(join(PROJECT_ROOT, 'lambdas/errors.ts'))};`,
          'export function names() {',
          '  const out = [new RetentionError("locked").name];',
          '  try { parseJobEvent({ period: "2026-13" }, new Date()); } catch (e) { out.push(e.name, e.field); }',
          '  return out;',
          '}',
        ].join('\n'),
      );
      const outfile = join(dir, 'bundle.mjs');
      await build({
        entryPoints: [entry],
        bundle: true,
        minify: true,
        keepNames: false,
        format: 'esm',
        platform: 'node',
        outfile,
        logLevel: 'silent',
      });
      // The minifier did rename the classes, so the names below come from the code, not esbuild.
      expect(readFileSync(outfile, 'utf8')).not.toMatch(/class InputError\b/);
      const script = `import(${JSON.stringify(pathToFileURL(outfile).href)}).then((m) => process.stdout.write(JSON.stringify(m.names())))`;
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      expect(JSON.parse(output)).toEqual(['RetentionError', 'InputError', 'period']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
