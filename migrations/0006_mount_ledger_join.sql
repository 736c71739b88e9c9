-- The mount ledger's common acquire in one round trip (src/domain/volumes/acquire.ts). In READ COMMITTED
-- every statement of a VOLATILE function takes a fresh snapshot, so the join below reads the mount rows
-- after the identity locks were granted: exactly the property the separate lock statement gave.
-- p_identity_keys: sorted, unique (the ledger's lock order). p_volumes: the sandbox_volumes rows, recorded
-- here only when every identity was joined (else the caller owns a mount and records them itself).
CREATE OR REPLACE FUNCTION berth_mount_join(p_sandbox_id text, p_identity_keys text[], p_volumes jsonb)
RETURNS TABLE(o_identity_key text, o_id text, o_host_path text, o_state text)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  k text;
  r record;
  joined_ids jsonb := '{}'::jsonb;
  n_joined int := 0;
BEGIN
  -- Namespace 0x6d6e74 ('mnt'), as LOCK_KEYS.mountIdentityNamespace in src/db/locks.ts (test/unit/db-locks.test.ts compares them).
  FOREACH k IN ARRAY p_identity_keys LOOP
    PERFORM pg_advisory_xact_lock_shared(7171700, hashtext(k));
  END LOOP;
  FOR r IN
    WITH live AS (
      SELECT m.id, m.identity_key, m.host_path, m.state FROM mounts m
      WHERE m.identity_key = ANY (p_identity_keys) AND m.state IN ('absent', 'mounting', 'mounted', 'failed')
    ), joined AS (
      INSERT INTO mount_refs (mount_id, sandbox_id)
      SELECT l.id, p_sandbox_id FROM live l WHERE l.state IN ('mounted', 'mounting')
      ON CONFLICT DO NOTHING
    )
    SELECT l.id, l.identity_key, l.host_path, l.state FROM live l
  LOOP
    o_identity_key := r.identity_key; o_id := r.id; o_host_path := r.host_path; o_state := r.state;
    RETURN NEXT;
    IF r.state IN ('mounted', 'mounting') THEN
      joined_ids := joined_ids || jsonb_build_object(r.identity_key, r.id);
      n_joined := n_joined + 1;
    END IF;
  END LOOP;
  IF p_volumes IS NOT NULL AND n_joined = cardinality(p_identity_keys) THEN
    INSERT INTO sandbox_volumes (sandbox_id, name, backend, mount_path, read_only, sub_path, spec, mount_id, managed_volume)
    SELECT p_sandbox_id, v.name, v.backend, v.mount_path, v.read_only, v.sub_path, v.spec, joined_ids ->> v.identity_key, v.managed_volume
    FROM jsonb_to_recordset(p_volumes) AS v(name text, backend text, mount_path text, read_only boolean, sub_path text, spec jsonb, identity_key text, managed_volume text);
  END IF;
END
$fn$;
