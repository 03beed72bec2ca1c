//! `wasi:io/poll`, replaced: guests may ask whether something is ready, never wait for it.
//!
//! wasmtime-wasi's synchronous `poll` and `pollable.block` wait inside host code, where the
//! epoch deadline cannot fire: a guest's `std::thread::sleep(3600 s)` would hold the world
//! thread for an hour. Hooks run on the world thread and must finish promptly, so these two
//! functions are shadowed: they answer at once with what is ready, and a call that would have
//! to wait traps with [`WouldBlock`] (the hook fails and its changes are rolled back). Checking
//! readiness (`pollable.ready`) is unchanged and never waits.

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::sync::io::poll::HostPollable;

use crate::runtime::ctx::Ctx;

/// The `wasi:io/poll` interface the host links (wasmtime-wasi 48's version; guests importing an
/// older 0.2 version are linked to it by semver).
const POLL_INTERFACE: &str = "wasi:io/poll@0.2.12";

/// A guest asked to wait (sleep, or poll with nothing ready) inside a hook.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "a hook may not wait: it slept or polled for something not ready yet (hooks run on the \
     world thread and must return promptly)"
)]
pub struct WouldBlock;

/// True if `pollable` is ready now. A zero-length sleep yields once before it is ready, so
/// readiness is checked twice; nothing here waits.
fn ready_now(
    cx: &mut StoreContextMut<'_, Ctx>,
    pollable: &Resource<DynPollable>,
) -> wasmtime::Result<bool> {
    let table = &mut cx.data_mut().table;
    for _ in 0..2 {
        if HostPollable::ready(table, Resource::new_borrow(pollable.rep()))? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Replaces `poll` and `pollable.block` in `linker` (after WASI was added to it).
///
/// # Errors
/// If the linker has no `wasi:io/poll` to shadow.
pub(crate) fn add_to_linker(linker: &mut Linker<Ctx>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut poll = linker.instance(POLL_INTERFACE)?;
    poll.func_wrap(
        "poll",
        |mut cx: StoreContextMut<'_, Ctx>, (list,): (Vec<Resource<DynPollable>>,)| {
            let mut ready = Vec::new();
            for (i, pollable) in list.iter().enumerate() {
                if ready_now(&mut cx, pollable)? {
                    ready.push(u32::try_from(i)?);
                }
            }
            if ready.is_empty() {
                return Err(WouldBlock.into());
            }
            Ok((ready,))
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |mut cx: StoreContextMut<'_, Ctx>, (pollable,): (Resource<DynPollable>,)| {
            if ready_now(&mut cx, &pollable)? {
                Ok(())
            } else {
                Err(WouldBlock.into())
            }
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
