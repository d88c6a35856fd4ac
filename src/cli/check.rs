//! `bitext check FILE [-g GLOSSARY]... [--strict]`
//!
//! Verifies a bilingual file against the glossary and prints one line per violation:
//! `FILE:ID: missing "Liangjiang New Area" for 两江新区`.
//!
//! Input: a `bitext/1` JSON file, or a TSV whose header names `id`, `source` and `target`
//! columns (any order, other columns ignored; fields unescaped as bitext writes them).
//!
//! Exit status: 0 when clean; 1 when a term is missing (`missing_term`). A first mention
//! that uses another accepted rendering instead of the entry's `first` form
//! (`first_mention`) is printed but fails only with `--strict`, where every violation
//! exits 1. 2 when the file or a glossary cannot be read.

use anyhow::{Context as _, Result, bail};
use bitext::glossary::{self, Glossary};
use bitext::model::{Bitext, BlockKind, FlagCode, Meta, Origin, Pair, SegmentId};
use clap::Args;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 clean; 1 when a glossary term is missing from a target \
(first-mention form violations are printed but fail only with --strict, which fails on every \
violation); 2 when the file or a glossary cannot be read."
)]
pub struct CheckArgs {
    /// The bilingual file: bitext/1 JSON, or TSV with id, source and target columns.
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
    let bitext = read_bilingual(&args.file)?;
    let violations = glossary::check(&bitext, &glossary);
    let name = args.file.display();
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

/// Reads a `bitext/1` JSON file or a TSV with `id`, `source`, `target` columns.
pub fn read_bilingual(path: &Path) -> Result<Bitext> {
    let name = path.display().to_string();
    if path.is_dir() {
        bail!("{name}: is a directory");
    }
    let bytes = std::fs::read(path).with_context(|| format!("{name}: cannot read"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!("{name}: not UTF-8 (byte {})", e.utf8_error().valid_up_to())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim_start().starts_with('{') {
        return Ok(bitext::export::json::read(text, &name)?);
    }
    read_tsv(text, &name)
}

fn read_tsv(text: &str, name: &str) -> Result<Bitext> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        bail!("{name}: empty file (expected a TSV header with id, source, target)");
    };
    let columns: Vec<String> = header
        .trim_end_matches('\r')
        .split('\t')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let column = |want: &str| columns.iter().position(|c| c == want);
    let (Some(id), Some(source), Some(target)) = (column("id"), column("source"), column("target"))
    else {
        bail!(
            "{name}:1: the TSV header must name id, source and target columns (found: {})",
            columns.join(", ")
        );
    };
    let mut bitext = Bitext::new(
        "zh-CN",
        "en",
        Meta {
            source_file: Some(name.to_string()),
            ..Meta::default()
        },
    );
    for (index, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let get = |c: usize| fields.get(c).map(|f| bitext::util::unescape_tsv(f));
        let Some(pair_id) = get(id) else {
            bail!("{name}:{}: missing id column", index + 1);
        };
        let block =
            SegmentId::parse(pair_id.split('+').next().unwrap_or("")).map_or(0, |s| s.block);
        bitext.pairs.push(Pair {
            id: pair_id,
            block,
            kind: BlockKind::Paragraph,
            source: get(source).unwrap_or_default(),
            target: get(target).unwrap_or_default(),
            terms: Vec::new(),
            flags: Vec::new(),
            origin: Origin::Manual,
        });
    }
    Ok(bitext)
}
