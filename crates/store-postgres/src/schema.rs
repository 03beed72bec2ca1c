//! The tables of a world in PostgreSQL, versioned: every migration runs once, in order, in one
//! transaction; a database migrated by a newer wasmud is refused.
//!
//! Everything lives in the `wasmud` schema (a database may hold other things too). Text keys
//! use the "C" collation, so listings come back in byte order, as redb's do. Records that
//! PostgreSQL never looks into (attribute values, timers, accounts) are stored as the
//! contract's encoding (`wasmud_store::records`); what it indexes has columns of its own.

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i32 = 1;

/// The migrations, by the version they bring the schema to.
pub(crate) const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    r#"
CREATE TABLE wasmud.objects (
    id bigint PRIMARY KEY,
    key text COLLATE "C" NOT NULL,
    key_folded text COLLATE "C" NOT NULL,
    typeclass text COLLATE "C" NOT NULL,
    location bigint
);
CREATE INDEX objects_by_location ON wasmud.objects (location, id) WHERE location IS NOT NULL;
CREATE INDEX objects_by_key ON wasmud.objects (key_folded, id);
CREATE TABLE wasmud.attrs (
    object bigint NOT NULL,
    name text COLLATE "C" NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (object, name)
);
CREATE INDEX attrs_by_name ON wasmud.attrs (name, object);
CREATE TABLE wasmud.tombstones (id bigint PRIMARY KEY);
CREATE TABLE wasmud.timers (
    object bigint NOT NULL,
    name text COLLATE "C" NOT NULL,
    due_ms bigint NOT NULL,
    parked boolean NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (object, name)
);
CREATE INDEX timers_by_due ON wasmud.timers (due_ms, object, name) WHERE NOT parked;
CREATE TABLE wasmud.accounts (
    name_folded text COLLATE "C" PRIMARY KEY,
    record bytea NOT NULL
);
CREATE SEQUENCE wasmud.object_ids MINVALUE 1 START 1;
"#,
)];

/// Creates the schema and its version table if missing (idempotent). The session reports
/// warnings and errors only: "already exists, skipping" on every start is not news.
pub(crate) const PREPARE: &str = r#"
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS wasmud;
CREATE TABLE IF NOT EXISTS wasmud.schema_version (
    version integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"#;
