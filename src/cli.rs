//! Argument parsing (clap derive) and printing. No pipeline logic lives here: each subcommand
//! has a module under `src/cli/` with its `Args` struct and a `run` function that turns the
//! arguments into library calls and prints the results.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod align;
mod backends;
mod batch;
mod cache;
mod check;
pub mod export;
mod glossary;
mod io;
mod split;
mod terms;
mod translate;

#[derive(Debug, Parser)]
#[command(
    name = "bitext",
    version,
    about = "Chinese → English translation, alignment and bilingual export",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Cut articles into blocks and sentences (SEGMENTATION.md).
    Split(split::SplitArgs),
    /// Translate articles into aligned bilingual documents (batches, cache, glossary, QA).
    Translate(translate::TranslateArgs),
    /// The translation memory: `stats` or `clear`.
    Cache(cache::CacheArgs),
    /// Align a Chinese text with its English translation, sentence by sentence.
    Align(align::AlignArgs),
    /// List the configured translation backends and what each is missing (never prints keys).
    Backends(backends::BackendsArgs),
    /// Manage and query glossaries (list, show, add, rm, lint, import, export, find).
    Glossary(glossary::GlossaryArgs),
    /// Batch API work: `list`, `status`, `cancel` the recorded batches; `requests` and
    /// `results` for offline runners such as `vllm run-batch` (docs/batch.md).
    Batch(batch::BatchArgs),
    /// Verify a bilingual file (bitext JSON, TSV, TMX, XLIFF 2.1 or 1.2) against the glossary.
    Check(check::CheckArgs),
    /// List the terms an article needs (names, places, organisations, events, programmes,
    /// coined phrases) that are not in the glossary yet, with proposed renderings.
    Terms(terms::TermsArgs),
    /// Export a bilingual file (bitext JSON, TSV, TMX, XLIFF) as HTML, TSV, TMX, XLIFF 2.1 or
    /// 1.2, Markdown or JSON.
    Export(export::ExportArgs),
}

/// Which glossaries a command uses (one rule for every command, see
/// `bitext::glossary::resolve`).
#[derive(Debug, Clone, clap::Args)]
pub struct GlossarySelection {
    /// Glossary file or folder of `*.toml` files; repeat to layer several (later wins).
    /// Default: `glossary` in bitext.toml, else ./glossary/zh-en.toml (or every *.toml in
    /// ./glossary/).
    #[arg(short = 'g', long = "glossary", value_name = "GLOSSARY")]
    pub glossaries: Vec<std::path::PathBuf>,
    /// Use no glossary, not even the project's.
    #[arg(long, conflicts_with = "glossaries")]
    pub no_glossary: bool,
}

impl GlossarySelection {
    /// The files to use, given the config's `glossary` list.
    pub fn choose(
        &self,
        configured: &[std::path::PathBuf],
    ) -> anyhow::Result<bitext::glossary::GlossaryChoice> {
        Ok(bitext::glossary::resolve(
            &self.glossaries,
            configured,
            self.no_glossary,
            std::path::Path::new("."),
        )?)
    }
}

/// Exit status: 0 success; 1 failure (or findings, where a command says so); 2 usage error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Split(args) => split::run(args),
        Command::Translate(args) => translate::run(args),
        Command::Cache(args) => cache::run(args),
        Command::Align(args) => align::run(args),
        Command::Backends(args) => backends::run(args),
        Command::Glossary(args) => glossary::run(args),
        Command::Check(args) => check::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Export(args) => export::run(args),
        Command::Terms(args) => terms::run(args),
    };
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
    let text = format!("{err:#}").replace('\n', " ");
    eprintln!("bitext: error: {text}");
}

/// Writes to stdout, treating a closed pipe (`bitext split x | head`) as success.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
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
