import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';

export const SHELL_LESS_IMAGE = 'berth-shell-less:v2';

/**
 * An image with no shell and no tools: only `/busybox` (the static binary with no applet links, so
 * `/busybox sleep 3600` keeps a container alive but `/bin/sh`, rm, mv do not exist),
 * /etc/passwd, /etc/group and an empty /tmp. Built with `docker import` as no registry is reachable.
 */
export async function ensureShellLessImage(docker: Docker): Promise<string> {
  return importImage(docker, SHELL_LESS_IMAGE, 'busybox');
}

export const BUSYBOX_ONLY_IMAGE = 'berth-busybox-only:v1';

/**
 * The same, with the binary at `/bin/busybox` (where busybox images keep it) and still no applet links: no
 * `/bin/sh`, no `rm` or `mv` on PATH, but `/bin/busybox rm` works. Keep it alive with `/bin/busybox sleep`.
 */
export async function ensureBusyboxOnlyImage(docker: Docker): Promise<string> {
  return importImage(docker, BUSYBOX_ONLY_IMAGE, 'bin/busybox');
}

async function importImage(docker: Docker, image: string, busyboxAt: string): Promise<string> {
  try {
    await docker.getImage(image).inspect();
    return image;
  } catch {
    // build it below
  }
  const tar = pack();
  if (busyboxAt.includes('/')) tar.entry({ name: busyboxAt.slice(0, busyboxAt.lastIndexOf('/')), type: 'directory', mode: 0o755 });
  tar.entry({ name: busyboxAt, mode: 0o755 }, readFileSync('/bin/busybox'));
  tar.entry({ name: 'etc', type: 'directory', mode: 0o755 });
  tar.entry({ name: 'etc/passwd', mode: 0o644 }, 'root:x:0:0:root:/root:/busybox\nalice:x:1000:1000::/home/alice:/busybox\n');
  tar.entry({ name: 'etc/group', mode: 0o644 }, 'root:x:0:\nstaff:x:1000:\n');
  tar.entry({ name: 'tmp', type: 'directory', mode: 0o1777 });
  tar.finalize();
  const [repo, tag] = image.split(':');
  const stream = await docker.importImage(tar as unknown as NodeJS.ReadableStream, { repo, tag });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
  return image;
}
