//! `bitext align ZH_FILE EN_FILE [-f tsv|json|html|tmx|xliff|md] [-o OUT] [-g GLOSSARY]... [--bridge gloss|none]
//! [--presplit] [--links]`

use anyhow::{Context, Result, bail};
use bitext::align::lexical::GlossaryAnchors;
use bitext::align::{self, Aligner, Dictionary};
use bitext::backend::gloss::Lexicon;
use bitext::export::{self, ExportOptions, Format};
use bitext::glossary::Glossary;
use bitext::model::{Meta, now_rfc3339};
use bitext::{BlockKind, Segment, SegmentId, document, split};
use clap::Args;
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct AlignArgs {
    /// The Chinese text (Markdown or plain text; `-` reads standard input).
    zh_file: PathBuf,
    /// Its English translation.
    en_file: PathBuf,
    /// Output format: tsv, tsv-plain, json, html, tmx, xliff or md (as `bitext export`).
    #[arg(long, short, default_value = "tsv")]
    format: String,
    /// Write the output to this file (`-` or none: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Glossary files (TOML); their terms are lexical anchors. Later files override earlier.
    #[arg(long = "glossary", short = 'g')]
    glossaries: Vec<PathBuf>,
    /// Lexical bridge between the languages: `gloss` (the offline CC-CEDICT dictionary),
    /// `none` (length, numbers, Latin tokens and glossary terms only), or the name of a
    /// configured translation backend (`bitext backends`): the Chinese sentences are machine
    /// translated and the translations count as evidence too, besides the dictionary.
    #[arg(long, default_value = "gloss")]
    bridge: String,
    /// Both files already hold one sentence a line (blank lines are skipped), or either is a
    /// bilingual file bitext reads (JSON, TSV, TMX, XLIFF), whose sources (Chinese side) or
    /// targets (English side) are the sentences.
    #[arg(long)]
    presplit: bool,
    /// With `-f tsv`: write only the links, `src_ids<TAB>tgt_ids` (0-based, comma-separated,
    /// empty side for a null link), the form `align_score.py` reads.
    #[arg(long)]
    links: bool,
}

pub fn run(args: AlignArgs) -> Result<ExitCode> {
    let Some(format) = Format::from_name(&args.format) else {
        bail!(
            "-f {}: unknown format (tsv, tsv-plain, json, html, tmx, xliff, md)",
            args.format
        );
    };
    if args.links && format != Format::Tsv {
        bail!("--links needs -f tsv");
    }
    let (zh, en) = read_inputs(&args)?;
    let zh_texts: Vec<&str> = zh.iter().map(|s| s.text.as_str()).collect();
    let (dictionary, translations) = match args.bridge.as_str() {
        "gloss" => (Some(bridge_dictionary()?), None),
        "none" => (None, None),
        name => (
            Some(bridge_dictionary()?),
            Some(machine_translations(name, &zh, &args.bridge)?),
        ),
    };
    let terms = load_terms(&args.glossaries)?;
    let mut aligner = Aligner::new(dictionary, terms.as_deref());
    aligner.evidence.translations = translations.as_deref();
    let en_texts: Vec<&str> = en.iter().map(|s| s.text.as_str()).collect();
    let links = aligner.align(&zh_texts, &en_texts);
    let meta = Meta {
        title: None,
        source_file: Some(args.zh_file.display().to_string()),
        target_file: Some(args.en_file.display().to_string()),
        aligner: Some(format!("bitext-align (bridge {})", args.bridge)),
        created: now_rfc3339(),
        tool: format!("bitext {}", env!("CARGO_PKG_VERSION")),
        ..Meta::default()
    };
    let bitext = align::to_bitext(&zh, &en_texts, &links, meta);
    let text = if args.links {
        align::links_tsv(&links)
    } else {
        export::render(&bitext, format, &ExportOptions::default())?
    };
    super::io::write_output(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// The Chinese side as segments (with ids) and the English side as sentences.
fn read_inputs(args: &AlignArgs) -> Result<(Vec<Segment>, Vec<Segment>)> {
    let zh_name = args.zh_file.display().to_string();
    let en_name = args.en_file.display().to_string();
    let zh_bytes = super::io::read_bytes(&args.zh_file)?;
    let (en_text, _) = document::decode(&en_name, super::io::read_bytes(&args.en_file)?)?;
    if args.presplit {
        let (zh_text, _) = document::decode(&zh_name, zh_bytes)?;
        return Ok((
            presplit_side(&zh_text, &args.zh_file, Side::Source)?,
            presplit_side(&en_text, &args.en_file, Side::Target)?,
        ));
    }
    let zh = split::segment_document(&document::parse_bytes(&zh_name, zh_bytes)?);
    let mut en = Vec::new();
    let mut last_block = 0;
    let mut n = 0;
    for (block, heading, text) in split::english::split_text(&en_text) {
        if block != last_block {
            last_block = block;
            n = 0;
        }
        n += 1;
        en.push(Segment {
            id: SegmentId::new(block, n),
            block,
            kind: if heading {
                BlockKind::Heading
            } else {
                BlockKind::Paragraph
            },
            text,
            line: 0,
        });
    }
    Ok((zh, en))
}

#[derive(Clone, Copy)]
enum Side {
    Source,
    Target,
}

/// A presplit input: a bilingual file in any format bitext reads gives its sources (for the
/// Chinese side) or its targets (for the English side), one sentence a pair; any other text
/// one sentence a line.
fn presplit_side(text: &str, path: &Path, side: Side) -> Result<Vec<Segment>> {
    if !super::io::is_bilingual(text, path) {
        return Ok(presplit(text.lines()));
    }
    let bitext = super::io::parse_bilingual(text, path)?.bitext;
    Ok(presplit(bitext.pairs.iter().map(|p| match side {
        Side::Source => p.source.as_str(),
        Side::Target => p.target.as_str(),
    })))
}

/// One sentence a line: every non-blank line is a segment `b1.sN`.
fn presplit<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<Segment> {
    let mut out = Vec::new();
    for (index, line) in lines.enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let n = u32::try_from(out.len() + 1).unwrap_or(u32::MAX);
        out.push(Segment {
            id: SegmentId::new(1, n),
            block: 1,
            kind: BlockKind::Paragraph,
            text: line.to_string(),
            line: u32::try_from(index + 1).unwrap_or(u32::MAX),
        });
    }
    out
}

fn bridge_dictionary() -> Result<&'static dyn Dictionary> {
    Ok(Lexicon::global())
}

fn load_terms(paths: &[PathBuf]) -> Result<Option<Box<dyn align::TermAnchors>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let glossary = Glossary::load_layered(paths)?;
    Ok(Some(Box::new(GlossaryAnchors::new(glossary))))
}

/// Machine translations of the Chinese segments by backend `name`, in batches within the
/// backend's limits, retrying transient failures a few times.
fn machine_translations(name: &str, zh: &[Segment], label: &str) -> Result<Vec<String>> {
    use bitext::backend::{Batch, Item, registry};
    use bitext::config::{Config, Env, Overrides};
    let env = Env::process();
    let config = Config::load(None, &env)?;
    let backend = registry::build(Some(name), &config, &Overrides::default())
        .with_context(|| format!("--bridge {label}"))?;
    let info = backend.info();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut out = Vec::with_capacity(zh.len());
    let mut start = 0;
    while start < zh.len() {
        let mut end = start;
        let mut chars = 0;
        while end < zh.len()
            && end - start < info.max_items.max(1)
            && (end == start || chars + zh[end].text.chars().count() <= info.max_chars)
        {
            chars += zh[end].text.chars().count();
            end += 1;
        }
        let batch = Batch {
            items: zh[start..end]
                .iter()
                .enumerate()
                .map(|(k, s)| Item {
                    id: format!("{}#{}", s.id, start + k),
                    text: s.text.clone(),
                    terms: Vec::new(),
                })
                .collect(),
            source_lang: "zh-CN".into(),
            target_lang: "en".into(),
            ..Batch::default()
        };
        let mut attempt = 0;
        let translation = loop {
            match runtime.block_on(backend.translate(&batch)) {
                Ok(t) => break t,
                Err(e) if e.is_retryable() && attempt < 3 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(500 << attempt));
                }
                Err(e) => return Err(anyhow::Error::new(e).context(format!("--bridge {label}"))),
            }
        };
        out.extend(translation.outputs.into_iter().map(|o| o.text));
        start = end;
    }
    Ok(out)
}
