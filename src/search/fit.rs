//! What runs on these GPUs: every catalog model × weight format that fits.
