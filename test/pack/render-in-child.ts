/**
 * Renders the standard fixture pack in a fresh process and prints the PDF's SHA-256: the
 * determinism test runs it under another time zone and compares.
 */
import { createHash } from 'node:crypto';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { buildPackModel } from '../fixtures/pack-model.ts';

const changes = Number(process.argv[2] ?? '120');
const pack = await renderPack(buildPackModel({ changes, exceptionsEvery: 7, seed: 42 }));
process.stdout.write(`${createHash('sha256').update(pack.pdf).digest('hex')}\n`);
