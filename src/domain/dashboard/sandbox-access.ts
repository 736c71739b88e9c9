import type { Readable } from 'node:stream';
import type { Deps } from '../deps.js';
import { recordEvent } from '../events/append.js';
import { deleteDirectories } from '../execd/files/remove.js';
import { uploadFiles, type Uploaded } from '../execd/files/upload.js';
import { createPtySession } from '../execd/pty/verbs.js';

type D = Pick<Deps, 'db' | 'config' | 'exec' | 'clock' | 'ids' | 'metrics'>;

// What an operator does inside a sandbox from the dashboard: execd's own verbs (the ones its API serves),
// each followed by an event naming the session. execd's API records no such events: it is the SDK's data
// plane, and an event per file write would put the event log's append lock on that path. The event is
// written once the action succeeded (it happened outside the database, so it cannot share its transaction).

/** A PTY session for the dashboard's terminal; the browser then opens execd's WebSocket for it. */
export async function openTerminal(deps: D, sandboxId: string, actor: string): Promise<{ session_id: string }> {
  const session = await createPtySession(deps, sandboxId, {});
  await recordEvent(deps, { type: 'sandbox.terminal_opened', sandboxId, actor, data: { ptySessionId: session.session_id } });
  return session;
}

/** An upload in execd's multipart shape, spooled to disk under the execd upload limit. */
export async function uploadAsOperator(
  deps: D,
  sandboxId: string,
  req: { contentType: string | undefined; body: Readable | null },
  actor: string,
): Promise<Uploaded> {
  const files = await uploadFiles(deps, sandboxId, req);
  await recordEvent(deps, { type: 'sandbox.files_uploaded', sandboxId, actor, data: { files } });
  return files;
}

/** Removes a file or a directory with what it holds (execd's DELETE /directories, which removes files too). */
export async function deleteAsOperator(deps: D, sandboxId: string, path: string, actor: string): Promise<void> {
  await deleteDirectories(deps, sandboxId, [path]);
  await recordEvent(deps, { type: 'sandbox.files_deleted', sandboxId, actor, data: { paths: [path] } });
}
