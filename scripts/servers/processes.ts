import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Process plumbing shared by the local test servers: free loopback ports, daemons started
 * detached (so a `start` command can exit and leave them running), and a stop that ends each
 * process by its own pid — never by name, so other people's servers on the machine are safe.
 */

/** One process this tool started: its pid and the executable it must still be running. */
export interface StartedProcess {
  readonly name: string;
  readonly pid: number;
  readonly executable: string;
}

/**
 * What this Node process started and still owns: killed and removed if the process exits or is
 * interrupted, even half-way through a start. `handOver` gives them up (the command-line
 * `start` leaves its servers running on purpose).
 */
const owned = { processes: new Set<StartedProcess>(), dirs: new Set<string>() };
let cleanupInstalled = false;

function cleanUpOwnedNow(): void {
  killProcessesNow([...owned.processes]);
  for (const dir of owned.dirs) rmSync(dir, { recursive: true, force: true });
  owned.processes.clear();
  owned.dirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpOwnedNow();
  process.off(signal, onSignal);
  // Re-raise only when nobody else (e.g. the test runner) handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

export function cleanUpOnExit(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', cleanUpOwnedNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

export function handOver(processes: readonly StartedProcess[], dirs: readonly string[]): void {
  for (const process_ of processes) owned.processes.delete(process_);
  for (const dir of dirs) owned.dirs.delete(dir);
}

export function makeServerDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  owned.dirs.add(dir);
  return dir;
}

/** A loopback port nobody listens on right now (the kernel picks it). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('the kernel gave no port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start a daemon detached from this process with its output in `logFile`. It survives the
 * caller's exit on purpose: the command-line `start` leaves servers running for a dev loop.
 */
export function spawnDaemon(
  name: string,
  executable: string,
  args: readonly string[],
  logFile: string,
  cwd?: string,
): StartedProcess {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(executable, args, {
      detached: true,
      stdio: ['ignore', log, log],
      ...(cwd ? { cwd } : {}),
    });
    if (child.pid === undefined) throw new Error(`${name}: ${executable} did not start`);
    child.unref();
    const started: StartedProcess = { name, pid: child.pid, executable };
    owned.processes.add(started);
    return started;
  } finally {
    closeSync(log);
  }
}

/** Run a short command to its end; rejects with its output when it fails or times out. */
export function run(
  executable: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      executable,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${executable} ${args.join(' ')} failed: ${error.message}\n${stderr}`.trim(), {
              cause: error,
            }),
          );
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

export function isRunning(process_: StartedProcess): boolean {
  try {
    // The pid could have been reused by an unrelated program after ours ended: only a process
    // still running our executable counts as ours.
    const cmdline = readFileSync(`/proc/${process_.pid}/cmdline`, 'utf8');
    const argv0 = cmdline.split('\0')[0] ?? '';
    return argv0 === process_.executable || argv0.endsWith(`/${process_.executable.split('/').pop()}`);
  } catch {
    return false;
  }
}

export function assertRunning(process_: StartedProcess, logFile: string): void {
  if (!isRunning(process_)) {
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n') : '';
    throw new Error(
      `${process_.name} (pid ${process_.pid}) exited early; last lines of ${logFile}:\n${tail}`,
    );
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  onEachTry?: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    onEachTry?.();
    try {
      if (await probe()) return;
    } catch (error: unknown) {
      lastError = error;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}

/** SIGTERM each process by its pid, wait, then SIGKILL what is left. Never throws. */
export async function stopProcesses(processes: readonly StartedProcess[], graceMs = 5_000): Promise<void> {
  const ours = processes.filter(isRunning);
  for (const process_ of ours) signal(process_.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && ours.some(isRunning)) await sleep(100);
  for (const process_ of ours.filter(isRunning)) signal(process_.pid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (Date.now() < killDeadline && ours.some(isRunning)) await sleep(50);
  for (const process_ of processes) owned.processes.delete(process_);
}

/** For exit and signal handlers, where nothing asynchronous runs any more. */
export function killProcessesNow(processes: readonly StartedProcess[]): void {
  for (const process_ of processes.filter(isRunning)) signal(process_.pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: that is what we wanted.
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  owned.dirs.delete(dir);
}
