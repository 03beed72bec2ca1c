//! The world's behavioural tests again, on PostgreSQL: the very modules of `all/` (one body
//! each), with [`TestWorld`] on a new database of this process's private cluster instead of a
//! redb file. What only redb has (its files, torn pages, injected disk faults) stays in `all/`.

type TestWorld = wasmud_tests::TestWorldOn<wasmud_tests::Postgres>;

#[path = "../all/attributes.rs"]
mod attributes;
#[path = "../all/demo.rs"]
mod demo;
#[path = "../all/errors.rs"]
mod errors;
#[path = "../all/find.rs"]
mod find;
#[path = "../all/flush.rs"]
mod flush;
#[path = "../all/hooks.rs"]
mod hooks;
#[path = "../all/hostile.rs"]
mod hostile;
#[path = "../all/identity.rs"]
mod identity;
#[path = "../all/retype.rs"]
mod retype;
#[path = "../all/sandbox.rs"]
mod sandbox;
#[path = "../all/timers.rs"]
mod timers;
#[path = "../all/twins.rs"]
mod twins;
