import { acquireVolumes } from './ledger/acquire.js';
import { materializeVolumes } from './materialize.js';
import type { MountDeps } from './mount-deps.js';
import { asPlan } from './ledger/plan.js';
import type { SandboxVolumes } from './port.js';
import { prepareVolumes } from './prepare.js';
import { releaseSandboxVolumes } from './ledger/release.js';
import { dropReferencesInTx, unmountUnreferenced } from './ledger/terminal-release.js';

/** The real SandboxVolumes (port.ts): host, pvc and ossfs volumes on the Postgres mount ledger. */
export function createSandboxVolumes(deps: MountDeps): SandboxVolumes {
  return {
    prepare: (sandboxId, volumes) => prepareVolumes(deps, sandboxId, volumes),
    acquire: (tx, sandboxId, plan) => acquireVolumes(tx, deps, asPlan(plan, sandboxId)),
    materialize: (sandboxId, plan) => materializeVolumes(deps, asPlan(plan, sandboxId)),
    release: (sandboxId, opts) => releaseSandboxVolumes(deps, sandboxId, opts),
    dropReferences: (tx, sandboxId) => dropReferencesInTx(tx, sandboxId),
    unmountUnreferenced: (mountIds, actor) => unmountUnreferenced(deps, mountIds, actor),
  };
}
