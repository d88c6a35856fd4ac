//! `bitext tm stats|clear|import|export [--cache DIR]` (alias `bitext cache`): the
//! translation memory.

use anyhow::{Context, Result, bail};
use bitext::cache::{self, Cache, ImportCounts, OriginFilter, PairEntry, PairOrigin, Record};
use bitext::export::{self, Format};
use bitext::{Bitext, BlockKind, FlagCode, Meta, Origin, Pair};
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct TmArgs {
    #[command(subcommand)]
    action: TmAction,
    /// Memory directory (default: `$XDG_CACHE_HOME/bitext`).
    #[arg(long, global = true, value_name = "DIR")]
    cache: Option<PathBuf>,
}

/// `--origin` of `export` and `clear`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OriginArg {
    All,
    Human,
    Machine,
}

impl From<OriginArg> for OriginFilter {
    fn from(arg: OriginArg) -> Self {
        match arg {
            OriginArg::All => OriginFilter::All,
            OriginArg::Human => OriginFilter::Human,
            OriginArg::Machine => OriginFilter::Machine,
        }
    }
}

/// `--origin` of `import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ImportOrigin {
    Human,
    Machine,
}

/// `-f` of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TmFormat {
    Tmx,
    Tsv,
    Json,
}

#[derive(Debug, Subcommand)]
enum TmAction {
    /// Where the memory is, its entries by origin, its size and what the machine entries cost.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove entries (all of them by default).
    Clear {
        #[arg(long, value_enum, default_value = "all")]
        origin: OriginArg,
    },
    /// Store the pairs of edited bilingual files (bitext JSON, TSV with source/target
    /// columns, TMX, XLIFF 2 and 1.2; `-` reads standard input): all files or nothing.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Who made the targets: `human` entries win over every backend's answer.
        #[arg(long, value_enum, default_value = "human")]
        origin: ImportOrigin,
        /// Translator or reviewer to record (default: what the file says, if anything).
        #[arg(long, value_name = "NAME")]
        author: Option<String>,
        /// A note to record with every pair.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Source language of files that do not say (TSV).
        #[arg(long, value_name = "LANG", default_value = "zh-CN")]
        from: String,
        /// Target language of files that do not say (TSV).
        #[arg(long, value_name = "LANG", default_value = "en")]
        to: String,
    },
    /// Write the memory's entries of one language pair as TMX, TSV or bitext JSON.
    Export {
        #[arg(short, long, value_enum, default_value = "tmx")]
        format: TmFormat,
        /// Output file (default: standard output; `-` too). Never one of the inputs.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "all")]
        origin: OriginArg,
        #[arg(long, value_name = "LANG", default_value = "zh-CN")]
        from: String,
        #[arg(long, value_name = "LANG", default_value = "en")]
        to: String,
    },
}

/// The memory directory: `--cache DIR`, else the user cache directory.
pub fn cache_dir(arg: Option<PathBuf>) -> Result<PathBuf> {
    match arg {
        Some(dir) => Ok(dir),
        None => {
            cache::default_dir().context("no user cache directory on this system; pass --cache DIR")
        }
    }
}

pub fn run(args: TmArgs) -> Result<ExitCode> {
    let dir = cache_dir(args.cache)?;
    let mut memory = Cache::open(&dir)?;
    match args.action {
        TmAction::Stats { json } => {
            let stats = memory.stats()?;
            let text = if json {
                let mut text = serde_json::to_string_pretty(&stats)?;
                text.push('\n');
                text
            } else {
                format!(
                    "memory: {}\nentries: {} ({} human, {} machine answers, {} imported machine)\nsize: {} bytes\ntokens spent on stored answers: {} in / {} out\n",
                    stats.path.display(),
                    stats.entries,
                    stats.human,
                    stats.machine,
                    stats.imported_machine,
                    stats.file_bytes,
                    stats.input_tokens,
                    stats.output_tokens
                )
            };
            super::print_stdout(&text)?;
        }
        TmAction::Clear { origin } => {
            let removed = memory.clear(origin.into())?;
            eprintln!(
                "bitext: removed {removed} entr{} from {}",
                if removed == 1 { "y" } else { "ies" },
                memory.path().display()
            );
        }
        TmAction::Import {
            files,
            origin,
            author,
            note,
            from,
            to,
        } => {
            let origin = match origin {
                ImportOrigin::Human => PairOrigin::Human,
                ImportOrigin::Machine => PairOrigin::Machine,
            };
            let defaults = ImportDefaults {
                origin,
                author,
                note,
                from,
                to,
                time: bitext::model::now_rfc3339(),
            };
            // Every file is read before anything is stored: a bad file adds nothing.
            let mut pairs = Vec::new();
            let mut skipped = 0;
            for file in &files {
                let bitext = super::io::read_bitext(file)?;
                skipped += to_entries(&bitext, file, &defaults, &mut pairs);
            }
            let counts = memory.import(&pairs)?;
            eprintln!("bitext: {}", import_summary(&counts, skipped, &memory));
        }
        TmAction::Export {
            format,
            output,
            origin,
            from,
            to,
        } => {
            let records = memory.records(origin.into())?;
            let bitext = records_to_bitext(records, &from, &to);
            let format = match format {
                TmFormat::Tmx => Format::Tmx,
                TmFormat::Tsv => Format::Tsv,
                TmFormat::Json => Format::Json,
            };
            let text = export::render(&bitext, format, &export::ExportOptions::default())?;
            match output.filter(|o| o.as_os_str() != "-") {
                Some(path) => {
                    if path.starts_with(&dir) && path.file_name() == Some(cache::FILE_NAME.as_ref())
                    {
                        bail!(
                            "{}: refusing to overwrite the memory itself",
                            path.display()
                        );
                    }
                    bitext::util::atomic_write(&path, text.as_bytes())
                        .with_context(|| format!("{}: cannot write output", path.display()))?;
                    eprintln!(
                        "bitext: wrote {} entr{} to {}",
                        bitext.pairs.len(),
                        if bitext.pairs.len() == 1 { "y" } else { "ies" },
                        path.display()
                    );
                }
                None => super::print_stdout(&text)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What an import records where a file does not say.
struct ImportDefaults {
    origin: PairOrigin,
    author: Option<String>,
    note: Option<String>,
    from: String,
    to: String,
    time: String,
}

/// The memory entries of a file's pairs; returns how many pairs were skipped (no source or
/// no target, or a target that failed).
fn to_entries(
    bitext: &Bitext,
    path: &Path,
    defaults: &ImportDefaults,
    out: &mut Vec<PairEntry>,
) -> usize {
    let pick = |lang: &str, default: &str| {
        if lang.is_empty() {
            default.to_string()
        } else {
            lang.to_string()
        }
    };
    let source_lang = pick(&bitext.source_lang, &defaults.from);
    let target_lang = pick(&bitext.target_lang, &defaults.to);
    let file = Some(match path.file_name() {
        Some(name) if !super::io::is_stdio(path) => name.to_string_lossy().into_owned(),
        _ => super::io::input_name(path),
    });
    let mut skipped = 0;
    for pair in &bitext.pairs {
        let failed = pair.flags.iter().any(|f| f.code == FlagCode::Failed);
        if pair.source.trim().is_empty() || pair.target.trim().is_empty() || failed {
            skipped += 1;
            continue;
        }
        let file_author = match &pair.origin {
            Origin::Human { author, .. } => author.clone(),
            _ => None,
        };
        out.push(PairEntry {
            origin: defaults.origin,
            source_lang: source_lang.clone(),
            target_lang: target_lang.clone(),
            source: pair.source.clone(),
            target: pair.target.clone(),
            time: defaults.time.clone(),
            file: file.clone(),
            author: defaults.author.clone().or(file_author),
            note: defaults.note.clone(),
        });
    }
    skipped
}

fn import_summary(counts: &ImportCounts, skipped: usize, memory: &Cache) -> String {
    let mut text = format!(
        "imported into {}: {} added, {} updated, {} unchanged",
        memory.path().display(),
        counts.added,
        counts.updated,
        counts.unchanged
    );
    if skipped > 0 {
        text.push_str(&format!(
            " ({skipped} pair{} without source or target skipped)",
            if skipped == 1 { "" } else { "s" }
        ));
    }
    text
}

/// The memory's entries of one language pair as a bitext (pairs `tm1`, `tm2`…, each with its
/// origin), so that every exporter and reader applies.
fn records_to_bitext(records: Vec<Record>, from: &str, to: &str) -> Bitext {
    let (from_key, to_key) = (cache::language_key(from), cache::language_key(to));
    let meta = Meta {
        created: bitext::model::now_rfc3339(),
        tool: format!("bitext {}", env!("CARGO_PKG_VERSION")),
        ..Meta::default()
    };
    let mut bitext = Bitext::new(from, to, meta);
    for record in records {
        let (source_lang, target_lang, source, target, origin) = match record {
            Record::Pair(p) => {
                let origin = match p.origin {
                    PairOrigin::Human => Origin::Human {
                        file: p.file,
                        author: p.author,
                        note: p.note,
                        time: Some(p.time).filter(|t| !t.is_empty()),
                    },
                    PairOrigin::Machine => Origin::Translated {
                        backend: bitext::pipeline::run::IMPORTED_BACKEND.into(),
                        model: p.file,
                        cached: true,
                    },
                };
                (p.source_lang, p.target_lang, p.source, p.target, origin)
            }
            Record::Machine(e) => {
                let origin = Origin::Translated {
                    backend: e.backend,
                    model: e.model,
                    cached: true,
                };
                (e.source_lang, e.target_lang, e.source, e.target, origin)
            }
        };
        if cache::language_key(&source_lang) != from_key
            || cache::language_key(&target_lang) != to_key
        {
            continue;
        }
        let n = bitext.pairs.len() + 1;
        bitext.pairs.push(Pair {
            id: format!("tm{n}"),
            block: n as u32,
            kind: BlockKind::Paragraph,
            source,
            target,
            terms: Vec::new(),
            flags: Vec::new(),
            origin,
        });
    }
    bitext
}
