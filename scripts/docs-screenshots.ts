/**
 * The screenshots of the evidence room in the README and docs/room.md, made again from the demo
 * organisation so they show what `npm run demo` shows today:
 *
 *   source servers.env   # an S3 (Ceph RGW) + DynamoDB endpoint, e.g. from scripts/servers
 *   npx tsx scripts/docs-screenshots.ts
 *
 * The packs (September and October under clerk-cm01, October under clicki) are built by the
 * command line into a bucket named like a deployment's (`acme-cm01-evidence`), so the room's
 * retention section names an S3 bucket with Object Lock rather than a directory of this machine.
 * The browser is Debian's Chromium (scripts/install-deps.sh installs it), driven by playwright-core.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const CM01 = fileURLToPath(new URL('../bin/cm01.js', import.meta.url));
const IMAGES = fileURLToPath(new URL('../docs/images/', import.meta.url));
const STORE = 's3://acme-cm01-evidence?table=acme-cm01-evidence-index';
const VIEWPORT = { width: 1200, height: 640 };

async function cm01(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  await promisify(execFile)(process.execPath, [CM01, ...args], { env, maxBuffer: 64 << 20 });
}

async function main(): Promise<void> {
  if (!process.env.AWS_ENDPOINT_URL_S3) {
    throw new Error('AWS_ENDPOINT_URL_S3 is not set: source the servers env file of scripts/servers first');
  }
  const work = await mkdtemp(join(tmpdir(), 'cm01-screens-'));
  const env = { ...process.env, CM01_SIGNING_KEY: join(work, 'signing-key.pem') };
  let room: ChildProcess | undefined;
  try {
    await cm01(['store', 'init', '--store', STORE], env);
    for (const args of [
      ['run', '--period', '2026-09'],
      ['run', '--period', '2026-10'],
      ['pack', '--period', '2026-10', '--profile', 'clicki'],
    ]) {
      console.log(`cm01 ${args.join(' ')}`);
      await cm01([...args, '--store', STORE, '--out', join(work, 'out')], env);
    }
    const server = spawn(process.execPath, [CM01, 'room', '--store', STORE, '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    room = server;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = /http:\/\/127\.0\.0\.1:\d+\/room\/index\.html/.exec(out);
        if (match) resolve(match[0]);
      });
      server.once('exit', (code) => reject(new Error(`cm01 room exited ${code}: ${out}`)));
    });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage({ viewport: VIEWPORT });
      await page.goto(url);
      await page.screenshot({ path: join(IMAGES, 'room.png') });
      // The October clerk-cm01 pack's exceptions, filtered to one control (four in the demo).
      await page.goto(
        `${url.replace('index.html', 'pack/cm01-acme-2026-10-clerk-cm01.html')}?control=SECURITY-REVIEW#exceptions`,
      );
      await page.screenshot({ path: join(IMAGES, 'room-exceptions.png') });
    } finally {
      await browser.close();
    }
    console.log(`written: ${join(IMAGES, 'room.png')}, ${join(IMAGES, 'room-exceptions.png')}`);
  } finally {
    room?.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
  }
}

await main();
