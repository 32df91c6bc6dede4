//! `vramfit buy`: the cheapest GPU sets that run a model.

/// The flags of `vramfit buy`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuyArgs {}

pub fn run(_args: BuyArgs) -> Result<(), String> {
    Err("vramfit buy: not built yet".into())
}
