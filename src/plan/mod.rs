//! Pure placement: which GPU holds which layers, and whether it all fits.
//!
//! Input is the validated device list ([`device::Gpu`]) and an
//! [`Estimate`](crate::estimate::Estimate); output is a [`Plan`] whose every
//! number comes from those two. "Does not fit" is a plan with a shortfall
//! (the report adds the ways out), not an error. `plan` knows nothing
//! of requests, reports or launch commands: [`crate::report`] builds on it.

pub mod baseline;
pub mod device;
pub mod gpus;
pub mod inventory;
pub mod metal;
pub mod overrides;
pub mod placement;
pub mod profile;
pub mod search;
pub mod speed;
pub mod split;

pub use device::{parse_gpus, DeviceError, Gpu};
pub use search::{max_batch, max_context, sweep, Objective};
pub use split::{plan, DevicePlan, Plan, PlanRequest};
