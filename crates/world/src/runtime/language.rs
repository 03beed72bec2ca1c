//! [`Language`]: what a typeclass component was written in, as its build tools recorded it.
//!
//! Read from the names the toolchains leave in the component (the `producers` custom section
//! names `wit-bindgen-rust`; componentize-py leaves its name): a report for the admin, not a
//! security property (a component can claim anything about itself).

/// The language a component says it was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// Built with wit-bindgen for Rust (the `wasmud-sdk`).
    Rust,
    /// Built with componentize-py (the Python SDK).
    Python,
    /// Neither (another language, or a component without the usual marks).
    Unknown,
}

impl Language {
    /// Reads the marks in a component's bytes.
    pub fn detect(wasm: &[u8]) -> Language {
        let has = |needle: &[u8]| wasm.windows(needle.len()).any(|w| w == needle);
        if has(b"componentize-py") {
            Language::Python
        } else if has(b"wit-bindgen-rust") {
            Language::Rust
        } else {
            Language::Unknown
        }
    }

    /// Its name in listings: `rust`, `python` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_decide() {
        assert_eq!(
            Language::detect(b"..wit-bindgen-rust\x060.63.0.."),
            Language::Rust
        );
        assert_eq!(
            Language::detect(b"..componentize-py..rustc.."),
            Language::Python
        );
        assert_eq!(Language::detect(b"\0asm"), Language::Unknown);
        assert_eq!(Language::detect(b""), Language::Unknown);
    }
}
