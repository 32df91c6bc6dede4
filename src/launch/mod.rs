//! Pure flag generation: the command that runs a plan.
//!
//! Flags are data: each engine has one table of the flags vramfit emits, each
//! with the documentation it was checked against.

pub mod llama_cpp;

/// One command-line flag vramfit may emit, with where it is documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    pub name: &'static str,
    pub doc: &'static str,
}
