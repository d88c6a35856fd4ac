//! `bitext terms FILE... [-g GLOSSARY]... [--no-glossary] [-b BACKEND] [-f tsv|toml|json]
//! [-o OUT] [--min-count N] [--all] [--config FILE]`
//!
//! Lists the candidate terms of the articles that are not in the glossary yet, ranked, with
//! a proposed rendering: TSV (`source target kind count first_id context`, plus `status`
//! with `--all`), `[[term]]` entries in the glossary format for review (`-f toml`, then
//! `bitext glossary import`), or JSON.
//!
//! Exit status: 0 the list was written (an empty list too, with a note on stderr); 1 an
//! article or a glossary cannot be read, the output cannot be written, or the backend
//! failed; 2 usage error.

use anyhow::{Context as _, Result, bail};
use bitext::backend::gloss::Lexicon;
use bitext::backend::registry;
use bitext::config::{Config, Env, Overrides};
use bitext::glossary::Glossary;
use bitext::terms::{self, Candidate, Options, Text};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 the list was written (an empty list too, with a note); \
1 an article or glossary cannot be read, the output cannot be written, or the backend failed; \
2 usage error."
)]
pub struct TermsArgs {
    /// Articles (read and split as `translate` does, page breaks repaired first).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    glossary: super::GlossarySelection,
    /// Ask this backend for the renderings (one request; the offline proposal goes to the
    /// note).
    #[arg(short, long, value_name = "BACKEND")]
    backend: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = TermsFormat::Tsv)]
    format: TermsFormat,
    /// Write to this file (`-` or none: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Leave out candidates that occur fewer times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_count: usize,
    /// Also list the glossary's terms that occur in the articles (status `glossary`).
    #[arg(long)]
    all: bool,
    /// Configuration file (default: ./bitext.toml, then the user's config).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TermsFormat {
    Tsv,
    Toml,
    Json,
}

pub fn run(args: TermsArgs) -> Result<ExitCode> {
    let env = Env::process();
    let config = Config::load(args.config.as_deref(), &env)?;
    let choice = args.glossary.choose(&config.glossary)?;
    let glossary = choice.load()?.unwrap_or_else(Glossary::empty);
    // `-o -` is standard output, as everywhere.
    let output = args.output.as_deref().filter(|p| !super::io::is_stdio(p));
    if let Some(output) = output {
        for file in &args.files {
            if same_file(output, file) {
                bail!("{}: is an input; choose another output", output.display());
            }
        }
        bitext::util::check_writable(output)
            .with_context(|| format!("{}: cannot write output", output.display()))?;
    }
    let mut segments: Vec<(String, String)> = Vec::new();
    let several = args.files.len() > 1;
    for file in &args.files {
        let document = bitext::document::read_path(file)?;
        for segment in bitext::split::segment_document(&document) {
            let id = if several {
                format!("{}:{}", file.display(), segment.id)
            } else {
                segment.id.to_string()
            };
            segments.push((id, segment.text));
        }
    }
    let texts: Vec<Text<'_>> = segments
        .iter()
        .map(|(id, text)| Text {
            id: id.clone(),
            text,
        })
        .collect();
    let options = Options {
        min_count: args.min_count.max(1),
        all: args.all,
    };
    let lex = Lexicon::global();
    let mut candidates = terms::find_terms(lex, &texts, &glossary, &options);
    if let Some(name) = &args.backend {
        ask_backend(name, &config, &env, &mut candidates)?;
    }
    let text = match args.format {
        TermsFormat::Tsv => tsv(&candidates, args.all),
        TermsFormat::Toml => toml(&candidates),
        TermsFormat::Json => serde_json::to_string_pretty(&candidates)? + "\n",
    };
    super::io::write_output(output, &text)?;
    let new = candidates.iter().filter(|c| !c.in_glossary).count();
    eprintln!(
        "bitext: {new} candidate term{} ({})",
        if new == 1 { "" } else { "s" },
        choice.describe()
    );
    if candidates.is_empty() {
        eprintln!("bitext: note: no candidate terms found (the list is empty)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends the new candidates to a backend in one request and takes its renderings.
fn ask_backend(name: &str, config: &Config, env: &Env, candidates: &mut [Candidate]) -> Result<()> {
    let spec = config.resolve(Some(name), env, &Overrides::default())?;
    let backend = registry::from_spec(&spec, &[])?;
    let (indices, asked): (Vec<usize>, Vec<Candidate>) = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.in_glossary)
        .map(|(i, c)| (i, c.clone()))
        .unzip();
    if asked.is_empty() {
        return Ok(());
    }
    let batch = terms::request(&asked, "zh-CN", "en");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let answer = runtime.block_on(backend.translate(&batch))?;
    let mut asked = asked;
    terms::apply_answers(&mut asked, &answer);
    for (i, c) in indices.into_iter().zip(asked) {
        candidates[i] = c;
    }
    Ok(())
}

fn status(c: &Candidate) -> &'static str {
    if c.in_glossary { "glossary" } else { "new" }
}

/// One row per candidate; `status` only with `--all`.
fn tsv(candidates: &[Candidate], all: bool) -> String {
    let esc = bitext::util::escape_tsv;
    let mut out = String::from("source\ttarget\tkind\tcount\tfirst_id\tcontext");
    out.push_str(if all { "\tstatus\n" } else { "\n" });
    for c in candidates {
        let _ = write!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            esc(&c.source),
            esc(&c.target),
            c.kind.as_str(),
            c.count,
            esc(&c.first_id),
            esc(&c.context)
        );
        if all {
            out.push('\t');
            out.push_str(status(c));
        }
        out.push('\n');
    }
    out
}

/// The note of a `[[term]]` entry: kind, count, how the target was made, the offline
/// proposal when a backend made it, and the context.
fn note(c: &Candidate) -> String {
    let mut note = format!("{}; {}×; {}", c.kind.as_str(), c.count, c.proposal.as_str());
    if let Some(offline) = &c.offline {
        let _ = write!(note, " (offline: {offline})");
    }
    if let Some(long) = &c.short_of {
        let _ = write!(note, "; short form of {long}");
    }
    let _ = write!(note, "; {}: {}", c.first_id, c.context);
    note
}

/// `[[term]]` entries in the glossary format, ready for review and `glossary import`.
fn toml(candidates: &[Candidate]) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = String::from(
        "# Candidate terms from `bitext terms`: review each entry (fix or delete it), then\n\
         # `bitext glossary import THIS-FILE`.\n",
    );
    for c in candidates {
        if c.in_glossary {
            let _ = write!(
                out,
                "\n# already in the glossary: {} = {}\n",
                c.source, c.target
            );
            continue;
        }
        let _ = write!(
            out,
            "\n[[term]]\nsource = {}\ntarget = {}\nnote = {}\n",
            quote(&c.source),
            quote(&c.target),
            quote(&note(c))
        );
    }
    out
}

/// Whether two paths name the same existing file (symlinks resolved).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
