//! All integration tests are modules of this one test binary (one link step; see Cargo.toml).
//! Add a stage's tests as `mod NAME;` with the file `tests/NAME.rs`.

mod align;
mod backends;
mod common;
mod export;
mod gloss;
mod glossary;
mod harness;
mod interchange;
mod sim;
mod split;
mod terms;
mod translate;
