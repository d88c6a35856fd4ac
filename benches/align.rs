//! Benchmarks of the align stage (divan). Run: `cargo bench --bench align`.

fn main() {
    divan::main();
}
