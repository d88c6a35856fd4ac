//! The reliability harness: the bad-input corpus (`tests/bad_inputs/`), property tests
//! ("fuzzing") of the readers and parsers, large inputs, and the soak and crash tests against
//! the simulated server (`tests/sim/`). Commands: `docs/development.md`.

mod batch_api;
mod cli_errors;
mod corpus;
mod crash;
mod failfast;
mod fuzz;
mod fuzz_parsers;
mod large;
mod soak;
mod support;
