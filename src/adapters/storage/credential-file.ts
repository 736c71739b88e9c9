import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A credentials file for one mount command: mode 0600 and created exclusively (O_CREAT|O_EXCL, so nothing
 * planted at that name in a shared temp dir is followed or reused), removed by `use` once the command
 * returns (the tools read it at start-up only).
 */
export async function withCredentialFile<T>(prefix: string, content: string, use: (path: string) => Promise<T>, dir = tmpdir()): Promise<T> {
  const path = join(dir, `${prefix}-${randomBytes(12).toString('hex')}`);
  const fh = await open(path, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(content, 'utf8');
    } finally {
      await fh.close();
    }
    return await use(path);
  } finally {
    await unlink(path).catch(() => {});
  }
}
