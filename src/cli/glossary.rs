//! `bitext glossary list|show|add|rm|lint|import|export|find`
//!
//! Every subcommand takes `-g FILE` (repeatable: layers, later wins); the default is
//! `glossary/zh-en.toml`. Edits (`add`, `rm`, `import`) change the last `-g` file.

use anyhow::{Context as _, Result, bail};
use bitext::glossary::{self, AddOutcome, ExchangeFormat, Glossary, NewTerm, Term};
use bitext::model::Severity;
use bitext::{document, split};
use clap::{Args, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The glossary used when no `-g` is given.
pub const DEFAULT_GLOSSARY: &str = "glossary/zh-en.toml";

#[derive(Debug, Args)]
pub struct GlossaryArgs {
    /// Glossary file; repeat to layer several (later files win on the same source). Edits go
    /// to the last one. Default: glossary/zh-en.toml.
    #[arg(short = 'g', long = "glossary", global = true, value_name = "FILE")]
    glossary: Vec<PathBuf>,
    #[command(subcommand)]
    command: GlossaryCommand,
}

#[derive(Debug, Subcommand)]
enum GlossaryCommand {
    /// Print the terms: a table, or TSV / JSON.
    List {
        #[arg(long, short, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print one entry (looked up after width folding).
    Show { source: String },
    /// Add an entry; refuses a duplicate (after width folding) unless --force, which updates
    /// the fields given and keeps the others.
    Add {
        source: String,
        /// The rendering (optional with --keep).
        target: Option<String>,
        /// Rendering for the first mention in a document.
        #[arg(long)]
        first: Option<String>,
        /// Another accepted rendering (repeatable).
        #[arg(long = "alt", value_name = "A")]
        alternates: Vec<String>,
        /// Do not translate: the source must appear as is.
        #[arg(long)]
        keep: bool,
        /// Check the target case-sensitively.
        #[arg(long)]
        case_sensitive: bool,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        force: bool,
    },
    /// Remove an entry (looked up after width folding).
    Rm { source: String },
    /// Check for duplicates, conflicts between layers, empty fields, a `first` without the
    /// target, and nested terms whose renderings disagree. Exit 1 on errors (on warnings
    /// too with --strict).
    Lint {
        #[arg(long)]
        strict: bool,
    },
    /// Add the terms of a TSV (OmegaT), CSV (with header) or TBX (2 or 3) file; `-` reads
    /// standard input.
    Import {
        file: PathBuf,
        /// Default: from the file extension (.toml glossary entries, e.g. reviewed `bitext terms
        /// -f toml` output; .tsv/.txt, .csv, .tbx/.xml), else the content. `tbx` and `tbx3`
        /// both read either TBX version.
        #[arg(long, short, value_enum)]
        format: Option<FileFormat>,
        /// Update entries that already exist instead of failing.
        #[arg(long)]
        force: bool,
    },
    /// Write the glossary as TSV (OmegaT), CSV, TBX (TBX-Basic in TBX 2 / ISO 30042:2008
    /// `martif`, what OmegaT and translate-toolkit read) or TBX v3 (`tbx3`).
    Export {
        #[arg(long, short, value_enum)]
        format: FileFormat,
        /// Output file, written atomically (`-` or none: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Which terms occur in articles, how often, and where first.
    Find {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, short, value_enum, default_value_t = FindFormat::Text)]
        format: FindFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Tsv,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    Tsv,
    Csv,
    /// TBX-Basic, TBX 2 (`martif`).
    Tbx,
    /// TBX-Basic, TBX v3 (`tbx`).
    Tbx3,
}

impl From<FileFormat> for ExchangeFormat {
    fn from(format: FileFormat) -> ExchangeFormat {
        match format {
            FileFormat::Tsv => ExchangeFormat::Tsv,
            FileFormat::Csv => ExchangeFormat::Csv,
            FileFormat::Tbx => ExchangeFormat::Tbx,
            FileFormat::Tbx3 => ExchangeFormat::Tbx3,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FindFormat {
    Text,
    Tsv,
    Json,
}

/// The glossary files to use: the `-g` arguments or the default.
pub fn glossary_paths(given: &[PathBuf]) -> Vec<PathBuf> {
    if given.is_empty() {
        vec![PathBuf::from(DEFAULT_GLOSSARY)]
    } else {
        given.to_vec()
    }
}

pub fn run(args: GlossaryArgs) -> Result<ExitCode> {
    let paths = glossary_paths(&args.glossary);
    let edit_path = paths.last().expect("at least one path").clone();
    match args.command {
        GlossaryCommand::List { format } => list(&Glossary::load_layered(&paths)?, format),
        GlossaryCommand::Show { source } => show(&Glossary::load_layered(&paths)?, &source),
        GlossaryCommand::Add {
            source,
            target,
            first,
            alternates,
            keep,
            case_sensitive,
            note,
            force,
        } => {
            let term = NewTerm {
                source,
                target,
                first,
                alternates,
                keep,
                case_sensitive,
                note,
            };
            let outcome = glossary::add_term(&edit_path, &term, force)?;
            let verb = match outcome {
                AddOutcome::Added => "added",
                AddOutcome::Updated => "updated",
            };
            let rendering = term.target.as_deref().unwrap_or(&term.source);
            eprintln!(
                "{verb} {} → {rendering} in {}",
                term.source,
                edit_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        GlossaryCommand::Rm { source } => {
            let removed = glossary::remove_term(&edit_path, &source)?;
            eprintln!(
                "removed {} → {} from {}",
                removed.source,
                removed.rendering(false),
                edit_path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        GlossaryCommand::Lint { strict } => lint(&paths, strict),
        GlossaryCommand::Import {
            file,
            format,
            force,
        } => import(&edit_path, &file, format, force),
        GlossaryCommand::Export { format, output } => {
            let glossary = Glossary::load_layered(&paths)?;
            let text = glossary::export(&glossary, format.into());
            super::io::write_output(output.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        GlossaryCommand::Find { files, format } => {
            find(&Glossary::load_layered(&paths)?, &files, format)
        }
    }
}

fn flags(term: &Term) -> String {
    let mut flags = Vec::new();
    if term.keep {
        flags.push("keep");
    }
    if term.case_sensitive {
        flags.push("case");
    }
    flags.join(",")
}

fn list(glossary: &Glossary, format: ListFormat) -> Result<ExitCode> {
    let text = match format {
        ListFormat::Table => {
            let mut table = comfy_table::Table::new();
            table
                .load_style(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
                .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
                .set_header(["source", "target", "first", "alternates", "flags"]);
            for term in &glossary.terms {
                table.add_row([
                    term.source.clone(),
                    term.target.clone().unwrap_or_default(),
                    term.first.clone().unwrap_or_default(),
                    term.alternates.join("; "),
                    flags(term),
                ]);
            }
            format!("{table}\n{} terms\n", glossary.terms.len())
        }
        ListFormat::Tsv => {
            let mut out = String::from("source\ttarget\tfirst\talternates\tflags\tnote\n");
            for term in &glossary.terms {
                let esc = bitext::util::escape_tsv;
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    esc(&term.source),
                    esc(term.target.as_deref().unwrap_or("")),
                    esc(term.first.as_deref().unwrap_or("")),
                    esc(&term.alternates.join("; ")),
                    flags(term),
                    esc(term.note.as_deref().unwrap_or("")),
                )?;
            }
            out
        }
        ListFormat::Json => {
            let json = serde_json::json!({
                "name": glossary.name,
                "source_lang": glossary.source_lang,
                "target_lang": glossary.target_lang,
                "digest": glossary.digest(),
                "terms": glossary.terms,
            });
            format!("{}\n", serde_json::to_string_pretty(&json)?)
        }
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn show(glossary: &Glossary, source: &str) -> Result<ExitCode> {
    let Some(index) = glossary.position(source) else {
        bail!("no term {source:?} in the glossary");
    };
    let term = &glossary.terms[index];
    let mut out = String::new();
    writeln!(out, "source: {}", term.source)?;
    if let Some(target) = &term.target {
        writeln!(out, "target: {target}")?;
    }
    if let Some(first) = &term.first {
        writeln!(out, "first: {first}")?;
    }
    if !term.alternates.is_empty() {
        writeln!(out, "alternates: {}", term.alternates.join("; "))?;
    }
    if term.keep {
        writeln!(out, "keep: true")?;
    }
    if term.case_sensitive {
        writeln!(out, "case_sensitive: true")?;
    }
    if let Some(note) = &term.note {
        writeln!(out, "note: {note}")?;
    }
    if let Some(origin) = glossary.origins.get(index) {
        writeln!(out, "defined at: {}:{}", origin.file.display(), origin.line)?;
    }
    super::print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn lint(paths: &[PathBuf], strict: bool) -> Result<ExitCode> {
    let findings = glossary::lint(paths);
    let mut out = String::new();
    for finding in &findings {
        writeln!(out, "{finding}")?;
    }
    super::print_stdout(&out)?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "lint: {}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    let failed = errors > 0 || (strict && warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn import(
    glossary_path: &Path,
    file: &Path,
    format: Option<FileFormat>,
    force: bool,
) -> Result<ExitCode> {
    // A `[[term]]` file in the glossary format (`bitext terms -f toml`, reviewed).
    if format.is_none() && file.extension().is_some_and(|e| e == "toml") {
        let reviewed = Glossary::load(file)?;
        let new: Vec<NewTerm> = reviewed.terms.iter().map(NewTerm::from).collect();
        return add_imported(glossary_path, &new, force);
    }
    let name = super::io::input_name(file);
    let text = super::io::read_text(file)?;
    let format: ExchangeFormat = match format {
        Some(f) => f.into(),
        None => ExchangeFormat::from_path(file)
            .or_else(|| ExchangeFormat::detect(&text))
            .with_context(|| {
                format!(
                    "{name}: cannot tell the format from the extension (.toml, .tsv, .csv, .tbx) or the content; use --format tsv|csv|tbx|tbx3"
                )
            })?,
    };
    let languages = if glossary_path.exists() {
        Glossary::load(glossary_path)?
    } else {
        Glossary::empty()
    };
    let imported = glossary::import_report(&text, format, &name, &languages)?;
    for warning in &imported.warnings {
        eprintln!("bitext: warning: {warning}");
    }
    let terms = imported.terms;
    let new: Vec<NewTerm> = terms.iter().map(NewTerm::from).collect();
    add_imported(glossary_path, &new, force)
}

fn add_imported(glossary_path: &Path, new: &[NewTerm], force: bool) -> Result<ExitCode> {
    let outcomes = glossary::add_terms(glossary_path, new, force)?;
    let added = outcomes.iter().filter(|o| **o == AddOutcome::Added).count();
    eprintln!(
        "imported {} terms into {} ({added} added, {} updated)",
        outcomes.len(),
        glossary_path.display(),
        outcomes.len() - added
    );
    Ok(ExitCode::SUCCESS)
}

/// One occurrence of a term in an article.
#[derive(serde::Serialize)]
struct Occurrence {
    segment: String,
    block: u32,
    line: u32,
    column: usize,
    text: String,
}

#[derive(serde::Serialize)]
struct Found {
    file: String,
    term: String,
    target: String,
    count: usize,
    occurrences: Vec<Occurrence>,
}

/// How many characters of the file's line `line` precede the block's text for that line
/// (indentation, a heading's `#` marks).
fn line_indent(block: &document::Block, line: u32, raw: &[String]) -> usize {
    let Some(i) = block.lines.iter().position(|&(_, l)| l == line) else {
        return 0;
    };
    let start = block.lines[i].0;
    let end = block.lines.get(i + 1).map_or(block.text.len(), |&(s, _)| s);
    let fragment = &block.text[start..end];
    let probe: String = fragment.chars().take(8).collect();
    let Some(raw_line) = raw.get(line as usize - 1) else {
        return 0;
    };
    match raw_line.find(&probe) {
        Some(at) if !probe.is_empty() => raw_line[..at].chars().count(),
        _ => 0,
    }
}

fn find(glossary: &Glossary, files: &[PathBuf], format: FindFormat) -> Result<ExitCode> {
    let matcher = glossary.matcher();
    let mut all: Vec<Found> = Vec::new();
    for path in files {
        let doc = document::read_path(path)?;
        let file = doc.name.clone();
        // The raw lines, to turn columns in block text (trimmed, heading marks removed) into
        // columns of the file's lines.
        // (Lossy UTF-8: in a file of another encoding no line matches and columns stay as
        // the block's.)
        let raw: Vec<String> = std::fs::read(path)
            .map(|bytes| {
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let mut found: Vec<Found> = Vec::new();
        let mut index_of: std::collections::HashMap<usize, usize> = Default::default();
        for block in &doc.blocks {
            let mut cursor = 0;
            for segment in split::segment_block(block) {
                // Segments are slices of the block text, in order.
                let offset = block.text[cursor..]
                    .find(&segment.text)
                    .map_or(cursor, |i| cursor + i);
                cursor = offset + segment.text.len();
                for m in matcher.find(&segment.text) {
                    let term = &glossary.terms[m.term];
                    let (line, column) = block.position_of(offset + m.span.start);
                    let column = column + line_indent(block, line, &raw);
                    let i = *index_of.entry(m.term).or_insert_with(|| {
                        found.push(Found {
                            file: file.clone(),
                            term: term.source.clone(),
                            target: term.rendering(false).to_string(),
                            count: 0,
                            occurrences: Vec::new(),
                        });
                        found.len() - 1
                    });
                    found[i].count += 1;
                    found[i].occurrences.push(Occurrence {
                        segment: segment.id.to_string(),
                        block: block.number,
                        line,
                        column,
                        text: segment.text[m.span.start..m.span.end].to_string(),
                    });
                }
            }
        }
        all.extend(found);
    }
    let mut out = String::new();
    match format {
        FindFormat::Json => {
            out = serde_json::to_string_pretty(&all)?;
            out.push('\n');
        }
        FindFormat::Tsv => {
            out.push_str("file\tterm\ttarget\tcount\tfirst\n");
            for f in &all {
                let first = &f.occurrences[0];
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}:{}",
                    f.file, f.term, f.target, f.count, first.line, first.column
                )?;
            }
        }
        FindFormat::Text => {
            let mut last_file = None;
            for f in &all {
                if last_file != Some(&f.file) {
                    let terms = all.iter().filter(|g| g.file == f.file).count();
                    let total: usize = all
                        .iter()
                        .filter(|g| g.file == f.file)
                        .map(|g| g.count)
                        .sum();
                    writeln!(out, "{}: {terms} terms, {total} occurrences", f.file)?;
                    last_file = Some(&f.file);
                }
                let first = &f.occurrences[0];
                writeln!(
                    out,
                    "{:>5}  {} → {}  (first: {}:{}:{}, block {}, {})",
                    f.count,
                    f.term,
                    f.target,
                    f.file,
                    first.line,
                    first.column,
                    first.block,
                    first.segment
                )?;
            }
        }
    }
    super::print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}
