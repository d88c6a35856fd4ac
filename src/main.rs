//! The `bitext` command line: parse arguments, run, print. The work is in the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
