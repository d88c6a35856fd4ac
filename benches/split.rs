//! Benchmarks of the split stage (divan). Run: `cargo bench --bench split`.

fn main() {
    divan::main();
}
