//! Searches over the catalogs, both ways: which catalog models and weight
//! formats run on given GPUs ([`fit`]), and which GPU sets (cards bought or
//! cloud instances rented) run a given model most cheaply ([`buy`]). Both are
//! exact against [`crate::plan::split::plan`]: they prune with lower bounds
//! and never list what the planner says does not fit.

pub mod buy;
pub mod fit;
