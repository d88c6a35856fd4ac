//! Argument parsing (clap derive) and printing. No pipeline logic lives here: each subcommand
//! has a module under `src/cli/` with its `Args` struct and a `run` function that turns the
//! arguments into library calls and prints the results.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod align;
mod backends;
mod batch;
mod check;
pub mod export;
mod glossary;
mod io;
mod split;
mod terms;
mod tm;
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
    /// The translation memory: `stats`, `import`, `export`, `clear` (alias `cache`).
    #[command(alias = "cache")]
    Tm(tm::TmArgs),
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
        Command::Tm(args) => tm::run(args),
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
            ExitCode::from(exit_status(&err))
        }
    }
}

/// 2 for a command line that cannot be run as given (an output that is an input), else 1.
fn exit_status(err: &anyhow::Error) -> u8 {
    let usage = err.chain().any(|e| {
        e.downcast_ref::<bitext::output::OutputError>()
            .is_some_and(|e| e.is_usage())
    });
    if usage { 2 } else { 1 }
}

/// Prints an error as one line: `bitext: error: <context>: <cause>`.
pub fn report_error(err: &anyhow::Error) {
    eprintln!("bitext: error: {}", terminal_line(&error_line(err)));
}

/// The error and its causes joined by `: `, skipping a cause whose text the message already
/// ends with (an error that shows its source, wrapped again, would print it twice:
/// `No such file…: No such file…`), and secrets in URLs removed.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    bitext::sanitize::redact_urls_in(&line.replace('\n', " "))
}

/// One line for the terminal: control characters escaped (a server's error body may carry
/// ESC/OSC/BEL sequences).
fn terminal_line(text: &str) -> std::borrow::Cow<'_, str> {
    bitext::sanitize::for_terminal(text)
}

/// Prints a line on stderr, control characters escaped.
pub fn eprint_line(text: &str) {
    eprintln!("{}", terminal_line(text));
}

/// Prints a note on stderr as `bitext: <message>`, control characters escaped.
pub fn note(message: &str) {
    eprintln!("bitext: {}", terminal_line(message));
}

/// Writes to stdout, treating a closed pipe (`bitext split x | head`) as success. On a
/// terminal, control characters are shown escaped (text from servers and files is untrusted);
/// a pipe or file gets the bytes as they are.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    let mut out = std::io::stdout().lock();
    let text = if out.is_terminal() {
        terminal_line(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    };
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
