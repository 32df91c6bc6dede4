//! Pure placement: which GPU holds which layers, and whether it all fits.
//!
//! Input is the validated device list ([`device::Gpu`]) and an
//! [`Estimate`](crate::estimate::Estimate); output is a [`Plan`] whose every
//! number comes from those two. "Does not fit" is a plan with a shortfall,
//! not an error.

pub mod device;
pub mod profile;
pub mod report;
pub mod split;

pub use device::{parse_gpus, DeviceError, Gpu};
pub use report::{report, InputError, Report, Request};
pub use split::{max_batch, max_context, plan, DevicePlan, Plan, PlanRequest};
