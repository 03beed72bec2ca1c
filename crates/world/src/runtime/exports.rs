//! A component's hook exports, on either contract track it may be built for: the current
//! `wasmud:runtime@0.2` or the legacy 0.1 (see `legacy`). `hooks` is required; `timer-hooks`
//! (added in 0.1.1) and `puppet-hooks` (0.1.2) are optional, so older components keep loading
//! (wasmtime matches `@0.1.0` to `@0.1.2` names to the host's `@0.1.3` ones, the same semver
//! track), and a component without `at-tick` lets its timers fire and do nothing.

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre, Resource};

use crate::runtime::ctx::Ctx;
use crate::runtime::dispatch::Hook;
use crate::runtime::handle::ObjectHandle;

/// The export indices and typed hook functions of one contract track, from its bindings.
macro_rules! track {
    ($track:ident, $bindings:path, $version:literal) => {
        mod $track {
            use super::*;
            use exports::{hooks, puppet_hooks, timer_hooks};
            use $bindings as exports;

            /// The name `hooks` is exported under on this track.
            #[allow(dead_code, reason = "only the current track is probed by name")]
            pub(super) const HOOKS: &str = concat!("wasmud:runtime/hooks@", $version);
            const TIMER_HOOKS: &str = concat!("wasmud:runtime/timer-hooks@", $version);
            const PUPPET_HOOKS: &str = concat!("wasmud:runtime/puppet-hooks@", $version);

            #[derive(Clone)]
            pub(crate) struct Indices {
                hooks: hooks::GuestIndices,
                ticks: Option<timer_hooks::GuestIndices>,
                puppets: Option<puppet_hooks::GuestIndices>,
            }

            pub(crate) struct Guests {
                hooks: hooks::Guest,
                ticks: Option<timer_hooks::Guest>,
                /// Boxed: rarely called, and it keeps the instance small to move.
                puppets: Option<Box<puppet_hooks::Guest>>,
            }

            impl Indices {
                pub(super) fn new(pre: &InstancePre<Ctx>) -> wasmtime::Result<Self> {
                    // Only a missing optional interface is allowed; one that is there must
                    // be right.
                    let has = |name: &str| pre.component().get_export_index(None, name).is_some();
                    Ok(Indices {
                        hooks: hooks::GuestIndices::new(pre)?,
                        ticks: has(TIMER_HOOKS)
                            .then(|| timer_hooks::GuestIndices::new(pre))
                            .transpose()?,
                        puppets: has(PUPPET_HOOKS)
                            .then(|| puppet_hooks::GuestIndices::new(pre))
                            .transpose()?,
                    })
                }

                pub(super) fn load(
                    &self,
                    store: &mut Store<Ctx>,
                    instance: &Instance,
                ) -> wasmtime::Result<Guests> {
                    let hooks = self.hooks.load(&mut *store, instance)?;
                    let ticks = match &self.ticks {
                        Some(ticks) => Some(ticks.load(&mut *store, instance)?),
                        None => None,
                    };
                    let puppets = match &self.puppets {
                        Some(p) => Some(Box::new(p.load(&mut *store, instance)?)),
                        None => None,
                    };
                    Ok(Guests {
                        hooks,
                        ticks,
                        puppets,
                    })
                }
            }

            impl Guests {
                /// Calls `hook` with `this` and its other object argument (`other`: the
                /// sender, caller, destination or source).
                pub(super) fn call(
                    &self,
                    store: &mut Store<Ctx>,
                    this: Resource<ObjectHandle>,
                    other: Option<Resource<ObjectHandle>>,
                    hook: Hook<'_>,
                ) -> wasmtime::Result<Result<bool, String>> {
                    let hooks = &self.hooks;
                    let done = |r: Result<(), String>| r.map(|()| true);
                    Ok(match hook {
                        Hook::ObjectCreation => done(hooks.call_at_object_creation(store, this)?),
                        Hook::Init => done(hooks.call_at_init(store, this)?),
                        Hook::MsgReceive { text, .. } => {
                            hooks.call_at_msg_receive(store, this, text, other)?
                        }
                        Hook::Command { input, .. } => {
                            let caller = other.ok_or_else(|| {
                                wasmtime::format_err!("at-command without its caller")
                            })?;
                            hooks.call_at_command(store, this, caller, input)?
                        }
                        Hook::PreMove { .. } => hooks.call_at_pre_move(store, this, other)?,
                        Hook::PostMove { .. } => done(hooks.call_at_post_move(store, this, other)?),
                        Hook::ObjectDelete => hooks.call_at_object_delete(store, this)?,
                        Hook::Tick { name } => match &self.ticks {
                            Some(ticks) => done(ticks.call_at_tick(store, this, name)?),
                            None => Ok(true),
                        },
                        Hook::PostPuppet => match &self.puppets {
                            Some(p) => done(p.call_at_post_puppet(store, this)?),
                            None => Ok(true),
                        },
                        Hook::PreUnpuppet => match &self.puppets {
                            Some(p) => done(p.call_at_pre_unpuppet(store, this)?),
                            None => Ok(true),
                        },
                    })
                }
            }
        }
    };
}

track!(
    current,
    crate::runtime::bindings::exports::wasmud::runtime,
    "0.2.1"
);
track!(
    legacy,
    crate::runtime::legacy::exports::wasmud::runtime,
    "0.1.3"
);

/// Where a compiled component's hooks are (cheap to clone).
#[derive(Clone)]
pub(crate) enum Exports {
    /// Built for the current contract, `wasmud:runtime@0.2`.
    Current(current::Indices),
    /// Built for `wasmud:runtime@0.1.x`.
    Legacy(legacy::Indices),
}

/// The typed hook functions of one instance.
pub(crate) enum Guests {
    /// See [`Exports::Current`].
    Current(current::Guests),
    /// See [`Exports::Legacy`].
    Legacy(legacy::Guests),
}

impl Exports {
    /// Finds the hooks of a linked component: on the current track if it exports them there,
    /// else on the legacy one.
    pub(crate) fn new(pre: &InstancePre<Ctx>) -> wasmtime::Result<Self> {
        if pre
            .component()
            .get_export_index(None, current::HOOKS)
            .is_some()
        {
            Ok(Exports::Current(current::Indices::new(pre)?))
        } else {
            Ok(Exports::Legacy(legacy::Indices::new(pre)?))
        }
    }

    /// The contract track the component was built for: `"0.2"` or `"0.1"`.
    pub(crate) fn contract(&self) -> &'static str {
        match self {
            Exports::Current(_) => "0.2",
            Exports::Legacy(_) => "0.1",
        }
    }

    /// The typed hook functions of a new instance.
    pub(crate) fn load(
        &self,
        store: &mut Store<Ctx>,
        instance: &Instance,
    ) -> wasmtime::Result<Guests> {
        Ok(match self {
            Exports::Current(e) => Guests::Current(e.load(store, instance)?),
            Exports::Legacy(e) => Guests::Legacy(e.load(store, instance)?),
        })
    }
}

impl Guests {
    /// Calls `hook` on the instance (see `dispatch::invoke`).
    pub(crate) fn call(
        &self,
        store: &mut Store<Ctx>,
        this: Resource<ObjectHandle>,
        other: Option<Resource<ObjectHandle>>,
        hook: Hook<'_>,
    ) -> wasmtime::Result<Result<bool, String>> {
        match self {
            Guests::Current(g) => g.call(store, this, other, hook),
            Guests::Legacy(g) => g.call(store, this, other, hook),
        }
    }
}
