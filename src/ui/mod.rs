//! Leptos components. They read a [`Report`](crate::plan::Report) and format
//! it; every number comes from the pure core, none is computed here.

mod app;
mod inputs;
mod results;

pub use app::App;
