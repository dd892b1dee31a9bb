//! Each outcome's headline figure (NPS, % satisfied, mean effort, mean) overall, by wave
//! and by segment, and how far it is from its benchmarks.

pub mod benchmarks;
pub mod scores;
