//! `wasmud:runtime/accounts`: the roles of the account behind a character, read-only. The
//! world reads them (`world::accounts`); nothing here can change an account.

use wasmtime::component::Resource;

use crate::runtime::bindings::wasmud::runtime::accounts::Host;
use crate::runtime::bindings::wasmud::runtime::object::Error;
use crate::runtime::ctx::Ctx;
use crate::runtime::handle::ObjectHandle;

impl Host for Ctx {
    fn roles(
        &mut self,
        character: Resource<ObjectHandle>,
    ) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let id = self.id_of(&character)?;
        self.op(|w| {
            w.check_exists(id)?;
            let roles = w.roles_of(id)?;
            Ok(roles.map_or_else(Vec::new, |r| {
                r.names().into_iter().map(str::to_owned).collect()
            }))
        })
    }
}
