/**
 * skopeo, podman and buildah with storage, configuration and caches of their own, so tests are
 * repeatable and do not collide with anything else on the machine:
 *
 * - images live in a private vfs store (`--root/--runroot --storage-driver vfs`);
 * - HOME, TMPDIR, storage.conf, containers.conf and registries.conf point into the temp dir;
 * - containers/image keeps a blob-info cache that, for root, lives in /var/lib/containers/cache
 *   whatever the flags say; it remembers where a layer was pushed before and makes later pushes
 *   try cross-repository mounts instead of uploading. Where the kernel allows it, each command
 *   runs in a private mount namespace with a private directory bound over that path.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, run, type RunOptions, type RunResult } from './process.js';

export interface ContainersTools {
  readonly dir: string;
  /** Whether the shared blob-info cache is replaced by a private one (needs `unshare --mount`). */
  readonly privateBlobInfoCache: boolean;
  skopeo(args: string[], options?: RunOptions): Promise<RunResult>;
  podman(args: string[], options?: RunOptions): Promise<RunResult>;
  buildah(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Forget every blob location the tools learnt (a fresh blob-info cache). */
  resetBlobInfoCache(): Promise<void>;
  /** Delete the store and all configuration. */
  remove(): Promise<void>;
}

const SHARED_CACHE = '/var/lib/containers/cache';
let unshareWorks: Promise<boolean> | undefined;

function canUnshareMounts(): Promise<boolean> {
  unshareWorks ??= run('unshare', ['--mount', '--', 'true'], { allowFailure: true, timeoutMs: 10_000 }).then(
    (result) => result.code === 0,
    () => false,
  );
  return unshareWorks;
}

export async function createContainersTools(): Promise<ContainersTools> {
  const temp = await makeTempDir('ctools');
  const dir = temp.path;
  const root = join(dir, 'storage');
  const runroot = join(dir, 'run');
  const cache = join(dir, 'blob-info-cache');
  for (const sub of [root, runroot, join(dir, 'home'), join(dir, 'tmp'), join(dir, 'libpod'), cache]) {
    await mkdir(sub, { recursive: true });
  }
  await writeFile(
    join(dir, 'storage.conf'),
    `[storage]\ndriver = "vfs"\nrunroot = "${runroot}"\ngraphroot = "${root}"\n`,
  );
  await writeFile(
    join(dir, 'containers.conf'),
    '[engine]\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n',
  );
  // No search registries: every reference in the tests is fully qualified.
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  await writeFile(join(dir, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(dir, 'home'),
    TMPDIR: join(dir, 'tmp'),
    XDG_RUNTIME_DIR: runroot,
    XDG_CONFIG_HOME: join(dir, 'home', '.config'),
    XDG_DATA_HOME: join(dir, 'home', '.local', 'share'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
  };
  const privateCache = await canUnshareMounts();

  const exec = (command: string, args: string[], options: RunOptions = {}): Promise<RunResult> => {
    const merged = { ...options, env: { ...env, ...options.env } };
    if (!privateCache) return run(command, args, merged);
    const script = `mkdir -p ${SHARED_CACHE} && mount --bind "$0" ${SHARED_CACHE} && exec "$@"`;
    return run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, cache, command, ...args], merged);
  };
  const storageFlags = ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs'];

  return {
    dir,
    privateBlobInfoCache: privateCache,
    skopeo: (args, options) => exec('skopeo', ['--policy', join(dir, 'policy.json'), ...args], options),
    podman: (args, options) =>
      exec(
        'podman',
        [...storageFlags, '--tmpdir', join(dir, 'libpod'), '--events-backend', 'file', '--cgroup-manager', 'cgroupfs', ...args],
        options,
      ),
    buildah: (args, options) => exec('buildah', [...storageFlags, ...args], options),
    async resetBlobInfoCache() {
      await run('rm', ['-rf', cache, join(root, 'cache')]);
      await mkdir(cache, { recursive: true });
    },
    remove: () => temp.remove(),
  };
}
