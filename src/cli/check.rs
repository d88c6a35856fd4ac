//! `bitext check FILE [-g GLOSSARY]... [--strict] [--json] [--config FILE]`
//!
//! Verifies a bilingual file against the glossary and prints one line per violation:
//! `FILE:ID: missing "Liangjiang New Area" for 两江新区`, then on stderr the glossary used
//! and the term metrics (success rate and consistency, docs/terminology.md). `--json` prints
//! the whole report as JSON instead (violations, metrics, per segment: required, found,
//! missing).
//!
//! Input: any bilingual file bitext reads (bitext JSON, TSV with a source/target header,
//! plain TSV, TMX, XLIFF 2.1 or 1.2; `-` reads standard input), recognised by its content.
//!
//! Exit status: 0 when clean; 1 when a term is missing (`missing_term`). A first mention
//! that uses another accepted rendering instead of the entry's `first` form
//! (`first_mention`) is printed but fails only with `--strict`, where every violation
//! exits 1. 2 when the file or a glossary cannot be read.

use anyhow::{Result, bail};
use bitext::glossary;
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
    #[command(flatten)]
    glossary: super::GlossarySelection,
    /// Fail (exit 1) on every violation, including first-mention forms.
    #[arg(long)]
    strict: bool,
    /// Print the report (violations, term metrics, per-segment counts) as JSON.
    #[arg(long)]
    json: bool,
    /// Configuration file (its `glossary` list is used when no -g is given).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The `--json` report.
#[derive(serde::Serialize)]
struct Report<'a> {
    file: String,
    glossaries: Vec<String>,
    pairs: usize,
    violations: &'a [glossary::Violation],
    #[serde(flatten)]
    metrics: &'a glossary::TermMetrics,
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
    let config =
        bitext::config::Config::load(args.config.as_deref(), &bitext::config::Env::process())?;
    let choice = args.glossary.choose(&config.glossary)?;
    let Some(glossary) = choice.load()? else {
        bail!(
            "no glossary to check against: pass -g FILE, set `glossary` in bitext.toml or add \
             {}",
            glossary::DEFAULT_GLOSSARY
        );
    };
    let bitext = super::io::read_bitext(&args.file)?;
    let violations = glossary::check(&bitext, &glossary);
    let metrics = glossary::term_metrics(&bitext, &glossary);
    let name = super::io::input_name(&args.file);
    let mut out = String::new();
    if args.json {
        let report = Report {
            file: name.to_string(),
            glossaries: choice
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            pairs: bitext.pairs.len(),
            violations: &violations,
            metrics: &metrics,
        };
        out = serde_json::to_string_pretty(&report)? + "\n";
    } else {
        for v in &violations {
            writeln!(out, "{name}:{}: {}", v.pair_id, v.message)?;
        }
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
    eprintln!("check: {}; {metrics}", choice.describe());
    let failed = missing > 0 || (args.strict && !violations.is_empty());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
