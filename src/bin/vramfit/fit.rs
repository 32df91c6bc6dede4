//! `vramfit fit`: every catalog model × weight format that fits on the GPUs.

/// The flags of `vramfit fit`.
#[derive(Debug, Clone, clap::Args)]
pub struct FitArgs {}

pub fn run(_args: FitArgs) -> Result<(), String> {
    Err("vramfit fit: not built yet".into())
}
