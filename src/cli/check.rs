//! `bitext check FILE [-g GLOSSARY]... [--strict]`
//!
//! Verifies a bilingual file against the glossary and prints one line per violation:
//! `FILE:ID: missing "Liangjiang New Area" for 两江新区`.
//!
//! Input: any bilingual file bitext reads (bitext JSON, TSV with a source/target header,
//! plain TSV, TMX, XLIFF 2.1 or 1.2; `-` reads standard input), recognised by its content.
//!
//! Exit status: 0 when clean; 1 when a term is missing (`missing_term`). A first mention
//! that uses another accepted rendering instead of the entry's `first` form
//! (`first_mention`) is printed but fails only with `--strict`, where every violation
//! exits 1. 2 when the file or a glossary cannot be read.

use anyhow::Result;
use bitext::glossary::{self, Glossary};
use bitext::model::FlagCode;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 clean; 1 when a glossary term is missing from a target \
(first-mention form violations are printed but fail only with --strict, which fails on every \
violation); 2 when the file or a glossary cannot be read."
)]
pub struct CheckArgs {
    /// The bilingual file: bitext JSON, TSV (with a source/target header, or plain
    /// source<TAB>target), TMX, XLIFF 2.1 or 1.2; `-` reads standard input.
    file: PathBuf,
    /// Glossary file; repeat to layer several (later wins). Default: glossary/zh-en.toml.
    #[arg(short = 'g', long = "glossary", value_name = "FILE")]
    glossary: Vec<PathBuf>,
    /// Fail (exit 1) on every violation, including first-mention forms.
    #[arg(long)]
    strict: bool,
}

pub fn run(args: CheckArgs) -> Result<ExitCode> {
    match check(&args) {
        Ok(code) => Ok(code),
        Err(err) => {
            super::report_error(&err);
            Ok(ExitCode::from(2))
        }
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    let paths = super::glossary::glossary_paths(&args.glossary);
    let glossary = Glossary::load_layered(&paths)?;
    let bitext = super::io::read_bitext(&args.file)?;
    let violations = glossary::check(&bitext, &glossary);
    let name = super::io::input_name(&args.file);
    let mut out = String::new();
    for v in &violations {
        writeln!(out, "{name}:{}: {}", v.pair_id, v.message)?;
    }
    super::print_stdout(&out)?;
    let missing = violations
        .iter()
        .filter(|v| v.code == FlagCode::MissingTerm)
        .count();
    let first = violations.len() - missing;
    if !violations.is_empty() {
        eprintln!(
            "check: {} violations ({missing} missing, {first} first mention) in {} pairs",
            violations.len(),
            bitext.pairs.len()
        );
    }
    let failed = missing > 0 || (args.strict && !violations.is_empty());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
