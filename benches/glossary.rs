//! Benchmarks of the glossary stage (divan). Run: `cargo bench --bench glossary`.

fn main() {
    divan::main();
}
