import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertRunning,
  freeLoopbackPort,
  makeServerDir,
  removeDir,
  run,
  type StartedProcess,
  spawnDaemon,
  stopProcesses,
  waitFor,
} from './processes.ts';

/**
 * A single-node Ceph cluster (one monitor, one OSD on memstore, one RADOS Gateway) in its own
 * temporary folder, started without systemd or cephx. It is the only S3 server installable
 * here that enforces versioning and Object Lock, which the evidence store depends on.
 * Every setting below that looks odd cost a failed start without it.
 */

export interface RgwServer {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly dir: string;
  readonly processes: readonly StartedProcess[];
}

export interface RgwOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Bytes of RAM the memstore OSD may hold. */
  readonly memstoreBytes?: number;
  readonly log?: (line: string) => void;
}

export async function startRgw(options: RgwOptions): Promise<RgwServer> {
  const dir = makeServerDir('cm01-rgw');
  const processes: StartedProcess[] = [];
  try {
    const [monPort, rgwPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const conf = join(dir, 'ceph.conf');
    for (const sub of ['run', 'log', 'mon/ceph-a', 'osd/ceph-0', 'rgw'])
      mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(conf, cephConf(dir, monPort, rgwPort, options.memstoreBytes ?? 4 * 1024 ** 3));
    const ceph = (args: readonly string[], timeoutMs?: number) =>
      run('ceph', ['-c', conf, '--connect-timeout', '10', ...args], timeoutMs);
    const log = options.log ?? (() => {});

    const monmap = join(dir, 'monmap');
    await run('monmaptool', [
      '--create',
      '--clobber',
      '--fsid',
      fsidOf(conf),
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      monmap,
    ]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap]);
    const monLog = join(dir, 'log', 'mon.out');
    const mon = spawnDaemon('ceph-mon', 'ceph-mon', ['-c', conf, '-f', '-i', 'a'], monLog);
    processes.push(mon);
    await waitFor(
      'the Ceph monitor',
      async () => (await ceph(['mon', 'stat'], 10_000)).stdout.length > 0,
      30_000,
      () => assertRunning(mon, monLog),
    );
    log(`ceph-mon up on v2:127.0.0.1:${monPort}`);

    const osdUuid = randomUUID();
    const osdId = (await ceph(['osd', 'new', osdUuid])).stdout.trim();
    await run('ceph-osd', ['-c', conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid]);
    const osdLog = join(dir, 'log', 'osd.out');
    const osd = spawnDaemon('ceph-osd', 'ceph-osd', ['-c', conf, '-f', '-i', osdId], osdLog);
    processes.push(osd);
    await waitFor(
      'the Ceph OSD to be up',
      async () => {
        const status = JSON.parse((await ceph(['osd', 'stat', '-f', 'json'], 10_000)).stdout) as {
          num_up_osds?: number;
        };
        return status.num_up_osds === 1;
      },
      60_000,
      () => assertRunning(osd, osdLog),
    );
    log('ceph-osd up');

    const rgwLog = join(dir, 'log', 'rgw.out');
    const rgw = spawnDaemon('radosgw', 'radosgw', ['-c', conf, '-f', '-n', 'client.rgw'], rgwLog);
    processes.push(rgw);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor(
      `the RADOS Gateway on ${endpoint}`,
      async () => {
        const response = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return true;
      },
      120_000,
      () => assertRunning(rgw, rgwLog),
    );
    await run('radosgw-admin', [
      '-c',
      conf,
      '-n',
      'client.rgw',
      'user',
      'create',
      '--uid',
      'cm01',
      '--display-name',
      'cm01 tests',
      '--access-key',
      options.accessKeyId,
      '--secret-key',
      options.secretAccessKey,
    ]);
    log(`radosgw up on ${endpoint}`);
    return {
      endpoint,
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      dir,
      processes,
    };
  } catch (error: unknown) {
    await stopProcesses([...processes].reverse());
    removeDir(dir);
    throw error;
  }
}

function fsidOf(confPath: string): string {
  const match = /fsid = (\S+)/.exec(readConf(confPath));
  if (!match?.[1]) throw new Error(`no fsid in ${confPath}`);
  return match[1];
}

function readConf(path: string): string {
  return readFileSync(path, 'utf8');
}

function cephConf(dir: string, monPort: number, rgwPort: number, memstoreBytes: number): string {
  return `[global]
fsid = ${randomUUID()}
mon_host = v2:127.0.0.1:${monPort}
mon_initial_members = a
public_network = 127.0.0.0/8
# No cephx: a throw-away cluster on loopback; with cephx the daemons need keyrings we do not keep.
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_bind_msgr1 = false
ms_bind_msgr2 = true
# One OSD: pools of size 1, small placement groups, no autoscaler (there is no manager).
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
osd_objectstore = memstore
memstore_device_bytes = ${memstoreBytes}
osd_data = ${dir}/osd/ceph-$id
mon_data = ${dir}/mon/ceph-$id
run_dir = ${dir}/run
admin_socket = ${dir}/run/$cluster-$name.asok
log_file = ${dir}/log/$cluster-$name.log
pid_file = ${dir}/run/$name.pid
keyring = /dev/null
crash_dir = ${dir}/crash
debug_ms = 0

[client.rgw]
# Without these the gateway waits on get_initial_auth_request (-13) and exits after 300 s.
ms_mon_client_mode = crc
keyring = /dev/null
rgw_data = ${dir}/rgw
rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw_dns_name = 127.0.0.1
rgw_enable_usage_log = false
`;
}
