-- API keys. Each key carries one role; a request without a key is the role
-- `public`, which is never stored. The secret itself is shown once, when the
-- key is made, and only its SHA-256 (hex) is kept. A plain fast hash suffices
-- here, unlike for passwords: the secrets are 32 random bytes, so no guessing
-- or precomputed table can reach them however fast the hash is, while a slow
-- salted KDF (bcrypt, scrypt) would cost every request tens of milliseconds
-- and rule out finding the key by an indexed equality lookup.
CREATE TABLE api_key (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name             text NOT NULL CHECK (name <> ''),
  role             text NOT NULL CHECK (role IN ('admin', 'planner', 'analyst', 'supervisor', 'grid_admin', 'department', 'system')),
  key_hash         text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  -- The secret's first 8 characters, shown in lists to tell keys apart.
  prefix           text NOT NULL CHECK (length(prefix) = 8),
  -- A grid_admin key belongs to an administrator; their grids come from administrator_grid.
  administrator_id integer REFERENCES administrator (id),
  -- A department key names the department incidents are dispatched to.
  department       text CHECK (department <> ''),
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text,
  revoked_at       timestamptz,
  CHECK ((role = 'grid_admin') = (administrator_id IS NOT NULL)),
  CHECK ((role = 'department') = (department IS NOT NULL)),
  CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
-- The name is the actor in the audit log, so no two live keys share one.
CREATE UNIQUE INDEX api_key_live_name ON api_key (name) WHERE revoked_at IS NULL;

-- Admins query the audit log by time, optionally narrowed to an action, actor or subject.
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);
