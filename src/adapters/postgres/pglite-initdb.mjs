// Creates a PGlite cluster in the folder given as the only argument, then exits. Run as a child of the
// server (client.ts) on first boot: initdb grows PGlite's WASM heap, and a heap that never shrinks is
// better grown and thrown away in a process that ends at once.
import { PGlite } from '@electric-sql/pglite';

const db = await PGlite.create(process.argv[2]);
await db.close();
