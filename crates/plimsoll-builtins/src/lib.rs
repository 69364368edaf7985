//! plimsoll's built-in plugins. They are ordinary components built from
//! `plugins/*` for `wasm32-wasip2` by this crate's build script: no built-in gets a
//! private door into the host.

/// One embedded plugin.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The name it runs under (`lint`).
    pub name: &'static str,
    /// The component.
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The built-in plugin called `name`.
pub fn get(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}
