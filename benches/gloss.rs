//! Benchmarks of the gloss stage (divan). Run: `cargo bench --bench gloss`.

fn main() {
    divan::main();
}
