//! Benchmarks of the export stage (divan). Run: `cargo bench --bench export`.

fn main() {
    divan::main();
}
