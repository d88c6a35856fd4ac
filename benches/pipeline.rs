//! Benchmarks of the pipeline stage (divan). Run: `cargo bench --bench pipeline`.

fn main() {
    divan::main();
}
