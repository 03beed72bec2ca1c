//! Read-only snapshots of objects for the admin console (`examine`).
