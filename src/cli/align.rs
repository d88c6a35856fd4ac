//! `bitext align ZH_FILE EN_FILE [-f FORMAT] [-o OUT] [--template FILE] [--md-layout …]
//! [-g GLOSSARY]... [--bridge gloss|none|BACKEND] [--presplit] [--links]`
//!
//! The sides are read by the library's align entrance (`align::input`); an MT bridge goes
//! through the translation pipeline (memory, limits, retries) without a glossary.

use anyhow::{Context, Result, bail};
use bitext::align::input::{Input, Sides, read_sides};
use bitext::align::lexical::GlossaryAnchors;
use bitext::align::{self, Aligner, Dictionary, Link};
use bitext::backend::gloss::Lexicon;
use bitext::backend::registry;
use bitext::cache::Cache;
use bitext::config::{Config, Env, Overrides};
use bitext::export::Format;
use bitext::glossary::Glossary;
use bitext::model::{Meta, now_rfc3339};
use bitext::pipeline::{self, Article, Job, NoTerms, Options};
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
    /// Output format, file, template and Markdown layout, as `bitext export` (default: TSV,
    /// or the format of the `-o` file's extension).
    #[command(flatten)]
    out: super::export::OutputArgs,
    /// Glossary files (TOML); their terms are lexical anchors. Later files override earlier.
    #[arg(long = "glossary", short = 'g')]
    glossaries: Vec<PathBuf>,
    /// Lexical bridge between the languages: `gloss` (the offline CC-CEDICT dictionary),
    /// `none` (length, numbers, Latin tokens and glossary terms only), or the name of a
    /// configured translation backend (`bitext backends`): the Chinese sentences are machine
    /// translated (through the translation memory) and the translations count as evidence
    /// too, besides the dictionary.
    #[arg(long, default_value = "gloss")]
    bridge: String,
    /// Both files already hold one sentence a line (blank lines are skipped), or either is a
    /// bilingual file bitext reads (JSON, TSV, TMX, XLIFF), whose sources (Chinese side) or
    /// targets (English side) are the sentences.
    #[arg(long)]
    presplit: bool,
    /// With TSV: write only the links, `src_ids<TAB>tgt_ids` (0-based, comma-separated,
    /// empty side for a null link), the form `align_score.py` reads.
    #[arg(long)]
    links: bool,
    /// Config file for `--bridge BACKEND` (default: `$BITEXT_CONFIG`, `./bitext.toml`, the
    /// user config dir).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(args: AlignArgs) -> Result<ExitCode> {
    let format = args.out.resolve_format(Some(Format::Tsv))?;
    if args.links && format != Format::Tsv {
        bail!("--links needs -f tsv");
    }
    let export_options = args.out.options()?;
    let sides = read_sides(input(&args.zh_file)?, input(&args.en_file)?, args.presplit)?;
    for warning in &sides.warnings {
        eprintln!("bitext: warning: {warning}");
    }
    let (dictionary, translations) = match args.bridge.as_str() {
        "gloss" => (Some(bridge_dictionary()), None),
        "none" => (None, None),
        name => (
            Some(bridge_dictionary()),
            Some(
                machine_translations(name, &sides, args.config.as_deref())
                    .with_context(|| format!("--bridge {name}"))?,
            ),
        ),
    };
    let terms = load_terms(&args.glossaries)?;
    let mut aligner = Aligner::new(dictionary, terms.as_deref());
    aligner.evidence.translations = translations.as_deref();
    let (zh_texts, en_texts) = (sides.zh_texts(), sides.en_texts());
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
    let bitext = align::to_bitext(&sides.zh, &en_texts, &links, meta);
    let text = if args.links {
        align::links_tsv(&links)
    } else {
        bitext::export::render(&bitext, format, &export_options)?
    };
    super::io::write_output(args.out.output.as_deref(), &text)?;
    eprintln!("bitext: {}", summary(&sides, &links));
    Ok(ExitCode::SUCCESS)
}

/// One line: sentences on each side, links by shape.
fn summary(sides: &Sides, links: &[Link]) -> String {
    let mut shapes = std::collections::BTreeMap::new();
    for link in links {
        *shapes
            .entry((link.src.len(), link.tgt.len()))
            .or_insert(0usize) += 1;
    }
    let shapes: Vec<String> = shapes
        .iter()
        .map(|((s, t), n)| format!("{n}×{s}-{t}"))
        .collect();
    format!(
        "aligned {} Chinese and {} English sentences: {} links ({})",
        sides.zh.len(),
        sides.en.len(),
        links.len(),
        shapes.join(", ")
    )
}

/// One side's file (or standard input for `-`) for the align entrance.
fn input(path: &Path) -> Result<Input> {
    Ok(Input {
        name: super::io::input_name(path),
        extension: (!super::io::is_stdio(path))
            .then(|| path.extension().and_then(|e| e.to_str()).map(String::from))
            .flatten(),
        bytes: super::io::read_bytes(path)?,
    })
}

fn bridge_dictionary() -> &'static dyn Dictionary {
    Lexicon::global()
}

fn load_terms(paths: &[PathBuf]) -> Result<Option<Box<dyn align::TermAnchors>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let glossary = Glossary::load_layered(paths)?;
    Ok(Some(Box::new(GlossaryAnchors::new(glossary))))
}

/// Machine translations of the Chinese segments by backend `name`, through the translation
/// pipeline without a glossary: the memory, the backend's limits, retries and splits apply
/// as in `translate`. A segment that could not be translated gives an empty string (it adds
/// no evidence).
fn machine_translations(name: &str, sides: &Sides, config: Option<&Path>) -> Result<Vec<String>> {
    let env = Env::process();
    let config = Config::load(config, &env)?;
    let spec = config.resolve(Some(name), &env, &Overrides::default())?;
    let backend = registry::from_spec(&spec, &[])?;
    let cache = Cache::open(&super::cache::cache_dir(None)?)?;
    let bar = super::translate::Bar::new();
    let job = Job {
        backend: backend.as_ref(),
        terms: &NoTerms,
        cache: Some(&cache),
        options: Options {
            concurrency: spec.concurrency,
            rpm: spec.rpm,
            tpm: spec.tpm,
            ..Options::default()
        },
        progress: &bar,
    };
    let article = Article {
        name: "zh".into(),
        title: None,
        segments: sides.zh.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(pipeline::run(&job, std::slice::from_ref(&article)));
    bar.finish();
    let outcome = outcome?;
    Ok(outcome
        .bitexts
        .into_iter()
        .flat_map(|b| b.pairs)
        .map(|p| p.target)
        .collect())
}
