//! A valid component that exports no hooks: hot reload must reject it and keep the old version.

/// Something to export, so the component is not empty.
#[unsafe(no_mangle)]
pub extern "C" fn answer() -> i32 {
    42
}
