/**
 * Archive forms of an {@link OciLayout} for clients that cannot read a layout directory:
 * `ctr images import` takes an OCI archive (the layout as a tar), `docker load` (Docker 20.10)
 * only takes the docker-archive format that `docker save` writes.
 */
import type { ContainersTools } from './containers-tools.js';
import type { OciLayout } from './oci-layout.js';
import { run } from './process.js';

/**
 * Packs a layout directory into a tar archive. Name images for containerd by tagging them in the
 * layout with an `io.containerd.image.name` annotation (see {@link OciLayout.tag}).
 */
export async function writeOciArchive(layout: OciLayout, archive: string): Promise<void> {
  await run('tar', ['-C', layout.dir, '--exclude=*.tmp', '-cf', archive, '.']);
}

/**
 * Converts the image tagged `tag` in the layout to a docker-archive named `imageName` (e.g.
 * `e2e/app:v1`), with skopeo. Layers are stored uncompressed, as `docker save` does; the config
 * bytes (and so the image ID) are kept.
 */
export async function writeDockerArchive(
  tools: ContainersTools,
  layout: OciLayout,
  tag: string,
  archive: string,
  imageName: string,
): Promise<void> {
  await tools.skopeo(['copy', `oci:${layout.dir}:${tag}`, `docker-archive:${archive}:${imageName}`]);
}
