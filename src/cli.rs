//! Argument parsing (clap derive) and printing. No pipeline logic lives here: each subcommand
//! module turns its arguments into library calls and prints the results.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "bitext", version, about = "Chinese → English translation, alignment and bilingual export", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {}

/// Exit status: 0 success, 1 failure (or findings with --strict), 2 usage error (clap).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<ExitCode> = match cli.command {};
    match result {
        Ok(code) => code,
        Err(err) => {
            report_error(&err);
            ExitCode::from(1)
        }
    }
}

/// Prints an error as one line: `bitext: error: <context>: <cause>`.
pub fn report_error(err: &anyhow::Error) {
    eprintln!("bitext: error: {err:#}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
