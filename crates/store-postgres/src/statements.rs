//! The statements a world runs, prepared once per connection.

use tokio_postgres::{Client, Statement};

macro_rules! statements {
    ($($name:ident = $sql:expr;)*) => {
        /// Every statement the store runs, prepared on one connection.
        pub(crate) struct Statements {
            $(pub(crate) $name: Statement,)*
        }

        impl Statements {
            /// Prepares them all on `client`.
            pub(crate) async fn prepare(client: &Client) -> Result<Self, tokio_postgres::Error> {
                Ok(Statements {
                    $($name: client.prepare($sql).await?,)*
                })
            }
        }
    };
}

statements! {
    object = "SELECT key, typeclass, location FROM wasmud.objects WHERE id = $1";
    attrs_of = "SELECT name, value FROM wasmud.attrs WHERE object = $1 ORDER BY name";
    contents = "SELECT id FROM wasmud.objects WHERE location = $1 ORDER BY id";
    search = "SELECT id FROM wasmud.objects WHERE key_folded = $1 ORDER BY id";
    exists = "SELECT 1 FROM wasmud.objects WHERE id = $1";
    deleted = "SELECT 1 FROM wasmud.tombstones WHERE id = $1";
    next_id = "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END \
               FROM wasmud.object_ids";
    object_count = "SELECT count(*) FROM wasmud.objects";
    objects_after = "SELECT id, key, typeclass, location FROM wasmud.objects WHERE id > $1 \
                     ORDER BY id LIMIT $2";
    attrs_between = "SELECT object, name, value FROM wasmud.attrs \
                     WHERE object >= $1 AND object <= $2 ORDER BY object, name";
    tombstones_after = "SELECT id FROM wasmud.tombstones WHERE id > $1 ORDER BY id LIMIT $2";
    keys_after = "SELECT key_folded, id FROM wasmud.objects WHERE (key_folded, id) > ($1, $2) \
                  ORDER BY key_folded, id LIMIT $3";
    attr_named_after = "SELECT object, value FROM wasmud.attrs WHERE name = $1 AND object > $2 \
                        ORDER BY object LIMIT $3";
    timer = "SELECT record FROM wasmud.timers WHERE object = $1 AND name = $2";
    timers_of = "SELECT name, record FROM wasmud.timers WHERE object = $1 ORDER BY name";
    timer_count_of = "SELECT count(*) FROM wasmud.timers WHERE object = $1";
    timers_after = "SELECT object, name, record, due_ms, parked FROM wasmud.timers \
                    WHERE (object, name) > ($1, $2) ORDER BY object, name LIMIT $3";
    next_timer = "SELECT due_ms, object, name FROM wasmud.timers WHERE NOT parked \
                  ORDER BY due_ms, object, name LIMIT 1";
    next_timer_from = "SELECT due_ms, object, name FROM wasmud.timers WHERE NOT parked \
                       AND (due_ms, object, name) >= ($1, $2, $3) \
                       ORDER BY due_ms, object, name LIMIT 1";
    timer_count = "SELECT count(*) FROM wasmud.timers";
    account = "SELECT record FROM wasmud.accounts WHERE name_folded = $1";
    accounts = "SELECT record FROM wasmud.accounts ORDER BY name_folded";
    allocate = "SELECT setval('wasmud.object_ids', nextval('wasmud.object_ids') + $1 - 1)";
    set_next_id = "SELECT setval('wasmud.object_ids', $1, false)";
    put_object = "INSERT INTO wasmud.objects (id, key, key_folded, typeclass, location) \
                  VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, \
                  key_folded = EXCLUDED.key_folded, typeclass = EXCLUDED.typeclass, \
                  location = EXCLUDED.location";
    put_attr = "INSERT INTO wasmud.attrs (object, name, value) VALUES ($1, $2, $3) \
                ON CONFLICT (object, name) DO UPDATE SET value = EXCLUDED.value";
    remove_attr = "DELETE FROM wasmud.attrs WHERE object = $1 AND name = $2";
    remove_object = "DELETE FROM wasmud.objects WHERE id = $1";
    remove_attrs_of = "DELETE FROM wasmud.attrs WHERE object = $1";
    put_tombstone = "INSERT INTO wasmud.tombstones (id) VALUES ($1) ON CONFLICT DO NOTHING";
    remove_tombstone = "DELETE FROM wasmud.tombstones WHERE id = $1";
    put_timer = "INSERT INTO wasmud.timers (object, name, due_ms, parked, record) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (object, name) DO UPDATE SET \
                 due_ms = EXCLUDED.due_ms, parked = EXCLUDED.parked, record = EXCLUDED.record";
    remove_timer = "DELETE FROM wasmud.timers WHERE object = $1 AND name = $2";
    put_account = "INSERT INTO wasmud.accounts (name_folded, record) VALUES ($1, $2) \
                   ON CONFLICT (name_folded) DO UPDATE SET record = EXCLUDED.record";
    remove_account = "DELETE FROM wasmud.accounts WHERE name_folded = $1";
    attr_count = "SELECT count(*) FROM wasmud.attrs";
    attrs_after = "SELECT object, name, value FROM wasmud.attrs WHERE (object, name) > ($1, $2) \
                   ORDER BY object, name LIMIT $3";
    highest_id = "SELECT greatest((SELECT max(id) FROM wasmud.objects), \
                  (SELECT max(id) FROM wasmud.tombstones))";
    live_tombstones = "SELECT id FROM wasmud.objects JOIN wasmud.tombstones USING (id) ORDER BY id";
    missing_locations = "SELECT o.id, o.location FROM wasmud.objects o \
                         WHERE o.location IS NOT NULL AND NOT EXISTS \
                         (SELECT 1 FROM wasmud.objects p WHERE p.id = o.location) ORDER BY o.id";
    orphan_attrs = "SELECT a.object, a.name FROM wasmud.attrs a WHERE NOT EXISTS \
                    (SELECT 1 FROM wasmud.objects o WHERE o.id = a.object) \
                    ORDER BY a.object, a.name LIMIT $1";
    orphan_timers = "SELECT t.object, t.name FROM wasmud.timers t WHERE NOT EXISTS \
                     (SELECT 1 FROM wasmud.objects o WHERE o.id = t.object) \
                     ORDER BY t.object, t.name";
    clear_location = "UPDATE wasmud.objects SET location = NULL WHERE id = $1";
}
