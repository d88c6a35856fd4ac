//! `bitext translate FILE... [-o OUT | --out-dir DIR] [-f FORMAT] [-b BACKEND] [--model M]
//! [-g GLOSSARY]... [--concurrency N] [--batch-chars N] [--rpm N] [--tpm N] [--no-cache]
//! [--cache DIR] [--dry-run] [--strict] [--config FILE]`
//!
//! Exit status: 0 success; 1 failure (a file, the backend, segments left untranslated), or
//! with `--strict` glossary violations / QA errors left (the output is still written);
//! 130 interrupted (Ctrl-C; everything answered is in the cache).

use anyhow::{Context, Result, bail};
use bitext::backend::{Backend, TermPair, registry};
use bitext::cache::Cache;
use bitext::config::{Config, DefaultSource, Env, Overrides};
use bitext::export::{self, Format};
use bitext::glossary::Glossary;
use bitext::pipeline::{self, GlossaryTerms, Job, NoTerms, Options, Progress, Source, Terms};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// Articles to translate (they share the glossary, backend and cache, and run
    /// concurrently).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    out: super::export::OutputArgs,
    /// Write `DIR/<input stem>.<format extension>` for every input (default format: json).
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    out_dir: Option<PathBuf>,
    /// Backend name (default: the configured default, else the offline `gloss`).
    #[arg(short, long, value_name = "BACKEND")]
    backend: Option<String>,
    /// Model name, for backends that have models.
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Glossary files, later ones override earlier ones (default: the config's `glossary`).
    #[arg(short, long = "glossary", value_name = "GLOSSARY")]
    glossaries: Vec<PathBuf>,
    /// Requests in flight at most (default: the backend's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: Option<u32>,
    /// Character budget of a batch.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    batch_chars: Option<u32>,
    /// Requests per minute at most.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    rpm: Option<u32>,
    /// Estimated tokens per minute at most.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    tpm: Option<u32>,
    /// Neither read nor write the translation memory.
    #[arg(long)]
    no_cache: bool,
    /// Cache directory (default: `$XDG_CACHE_HOME/bitext`).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Plan only: segments, cached hits, requests and estimated tokens; nothing is sent.
    #[arg(long)]
    dry_run: bool,
    /// Exit 1 when glossary violations or QA errors remain (the output is still written).
    #[arg(long)]
    strict: bool,
    /// Config file (default: `$BITEXT_CONFIG`, `./bitext.toml`, the user config dir).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Send the untranslated segments through the backend's Batch API (about half the price,
    /// done within 24 h): submits and exits; the same command run again collects the answers
    /// and writes the outputs (docs/batch.md).
    #[arg(long, conflicts_with = "no_cache")]
    batch_api: bool,
    /// With --batch-api: wait for the batches (a progress bar of completed requests) and
    /// write the outputs in the same run.
    #[arg(long, requires = "batch_api")]
    wait: bool,
    /// With --batch-api --wait: seconds between status polls.
    #[arg(long, value_name = "SECS", requires = "wait", default_value_t = 30.0, value_parser = parse_poll)]
    poll: f64,
}

fn parse_poll(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Ok(secs),
        _ => Err(format!("{text:?} is not a number of seconds")),
    }
}

/// Where each bitext goes: `-o` or standard output (one input), or a file in `--out-dir`.
enum Destination {
    /// `-o FILE` (written atomically) or standard output.
    Output,
    File(PathBuf),
}

fn destinations(args: &TranslateArgs, format: Format) -> Result<Vec<Destination>> {
    if args.out_dir.is_none() && args.files.len() > 1 {
        bail!(
            "{} inputs need --out-dir DIR (one output file each)",
            args.files.len()
        );
    }
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create output directory", dir.display()))?;
        let mut seen = std::collections::HashSet::new();
        return args
            .files
            .iter()
            .map(|file| {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "stdin".into());
                let stem = stem.strip_suffix(".zh").unwrap_or(&stem).to_string();
                let path = dir.join(format!("{stem}.{}", format.extension()));
                if !seen.insert(path.clone()) {
                    bail!(
                        "{}: two inputs would be written to {}",
                        file.display(),
                        path.display()
                    );
                }
                Ok(Destination::File(path))
            })
            .collect();
    }
    Ok(vec![Destination::Output])
}

/// The progress bar on stderr (hidden when stderr is not a terminal).
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new() -> Bar {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} segments {msg}",
            )
            .expect("valid template"),
        );
        Bar { bar }
    }
}

impl Progress for Bar {
    fn start(&self, segments: usize, cached: usize) {
        self.bar.set_length(segments as u64);
        self.bar.set_position(cached as u64);
        self.bar.set_message(format!("({cached} cached)"));
    }

    fn advance(&self, segments: usize) {
        self.bar.inc(segments as u64);
    }

    fn note(&self, message: &str) {
        self.bar.suspend(|| eprintln!("bitext: {message}"));
    }
}

pub fn run(args: TranslateArgs) -> Result<ExitCode> {
    let env = Env::process();
    let config = Config::load(args.config.as_deref(), &env)?;
    let overrides = Overrides {
        backend: args.backend.clone(),
        model: args.model.clone(),
        concurrency: args.concurrency.map(|n| n as usize),
        rpm: args.rpm,
        tpm: args.tpm,
        ..Overrides::default()
    };
    let (backend_name, default_source) = config.default_name(&env, &overrides);
    let glossary_paths = if args.glossaries.is_empty() {
        config.glossary.clone()
    } else {
        args.glossaries.clone()
    };
    let glossary = if glossary_paths.is_empty() {
        None
    } else {
        Some(Glossary::load_layered(&glossary_paths)?)
    };
    let terms: Box<dyn Terms> = match &glossary {
        Some(g) => Box::new(GlossaryTerms::new(g.clone())),
        None => Box::new(NoTerms),
    };
    let whole: Vec<TermPair> = glossary
        .as_ref()
        .map(|g| {
            g.terms
                .iter()
                .map(|t| TermPair {
                    source: t.source.clone(),
                    target: t.rendering(false).to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut spec = config.resolve(Some(&backend_name), &env, &overrides)?;
    if args.dry_run && spec.key_required() && spec.api_key.is_none() {
        // A plan sends nothing: a placeholder lets the client (and its cache keys) be built.
        spec.api_key = bitext::backend::http::ApiKey::new("dry-run-sends-nothing");
    }
    let backend = registry::from_spec(&spec, &whole)?;
    if default_source == DefaultSource::Fallback && !args.dry_run {
        eprintln!(
            "bitext: note: using the offline `gloss` backend (rough glosses); for real \
             translations set OPENAI_API_KEY or DEEPL_AUTH_KEY and pass -b NAME, or set \
             default_backend in bitext.toml (see docs/backends.md)"
        );
    }

    let format = args.out.resolve_format(Some(Format::Json))?;
    let export_options = args.out.options()?;
    let destinations = destinations(&args, format)?;
    // Refuse an unwritable output now, before any request is paid for.
    let files = destinations.iter().filter_map(|d| match d {
        Destination::File(path) => Some(path.as_path()),
        Destination::Output => None,
    });
    let output = args.out.output.as_deref().filter(|_| !args.out.to_stdout());
    for path in files.chain(output) {
        bitext::util::check_writable(path)
            .with_context(|| format!("{}: cannot write output", path.display()))?;
    }
    let mut sources = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let document = bitext::document::read_path(file)?;
        sources.push(Source::from_document(&document));
    }
    let cache = if args.no_cache {
        None
    } else {
        Some(Cache::open(&super::cache::cache_dir(args.cache.clone())?)?)
    };
    if let Some(cache) = &cache {
        remember_probe_verdicts(cache)?;
    }
    let options = Options {
        concurrency: spec.concurrency,
        batch_chars: args.batch_chars.map_or(0, |n| n as usize),
        rpm: spec.rpm,
        tpm: spec.tpm,
        ..Options::default()
    };
    let bar = Bar::new();
    let job = Job {
        backend: backend.as_ref() as &dyn Backend,
        terms: terms.as_ref(),
        cache: cache.as_ref(),
        options,
        progress: &bar,
    };

    if args.dry_run && args.batch_api {
        let dir = cache
            .as_ref()
            .map(|_| super::cache::cache_dir(args.cache.clone()))
            .transpose()?;
        let text = super::batch::dry_run(&spec, &job, &sources, dir.as_deref())?;
        super::print_stdout(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.batch_api && !args.dry_run {
        let dir = super::cache::cache_dir(args.cache.clone())?;
        let wait = args
            .wait
            .then(|| std::time::Duration::from_secs_f64(args.poll));
        match super::batch::before_translate(&spec, &job, &sources, &dir, wait)? {
            super::batch::Next::Interactive => {}
            super::batch::Next::Exit(code) => return Ok(code),
        }
    }

    if args.dry_run {
        let plan = pipeline::run::plan_job(&job, &sources)?;
        let cost = spec
            .cost(plan.input_tokens, plan.output_tokens)
            .map(|c| format!(", estimated cost {c:.4}"))
            .unwrap_or_default();
        let mut text = format!(
            "{} segments, {} cached, {} requests to {} ({} repairs), estimated tokens {} in / {} out{cost}\n",
            plan.segments,
            plan.cached,
            plan.requests(),
            backend.info().name,
            plan.repairs,
            plan.input_tokens,
            plan.output_tokens,
        );
        for batch in &plan.batches {
            let first = batch.ids.first().map_or("", String::as_str);
            let last = batch.ids.last().map_or("", String::as_str);
            text.push_str(&format!(
                "  {}: {first}..{last} ({} segments, {} chars)\n",
                batch.source,
                batch.ids.len(),
                batch.chars
            ));
        }
        super::print_stdout(&text)?;
        return Ok(ExitCode::SUCCESS);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        tokio::select! {
            result = pipeline::run(&job, &sources) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    bar.bar.finish_and_clear();
    if let Some(cache) = &cache {
        save_probe_verdicts(cache)?;
    }
    let outcome = match result {
        None => {
            eprintln!(
                "bitext: interrupted; everything answered so far is in the cache — run the same command again to resume"
            );
            return Ok(ExitCode::from(130));
        }
        Some(Err(err)) => {
            if let pipeline::PipelineError::Fatal { report, .. } = &err {
                eprintln!("bitext: {report}");
            }
            return Err(err.into());
        }
        Some(Ok(outcome)) => outcome,
    };
    for (bitext, destination) in outcome.bitexts.iter().zip(&destinations) {
        match destination {
            Destination::Output => {
                args.out.write(bitext, Some(Format::Json))?;
            }
            Destination::File(path) => {
                let text = export::render(bitext, format, &export_options)?;
                bitext::util::atomic_write(path, text.as_bytes())
                    .with_context(|| format!("{}: cannot write output", path.display()))?;
            }
        }
    }
    let report = &outcome.report;
    eprintln!("bitext: {report}");
    if report.failed > 0 {
        eprintln!(
            "bitext: error: {} segment{} could not be translated (flagged `failed`); run again to retry them",
            report.failed,
            if report.failed == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::from(1));
    }
    if args.strict && (report.violations > 0 || report.qa_errors > 0) {
        eprintln!(
            "bitext: --strict: {} glossary violation{} and {} QA error{} remain",
            report.violations,
            if report.violations == 1 { "" } else { "s" },
            report.qa_errors,
            if report.qa_errors == 1 { "" } else { "s" },
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prefix of the cache notes that hold OpenAI-compatible `response_format` probe verdicts,
/// keyed by base URL and model.
const PROBE_NOTE: &str = "openai-probe:";

/// Loads the verdicts of earlier runs, so that a server is probed once, not once per run.
fn remember_probe_verdicts(cache: &Cache) -> Result<()> {
    for (key, value) in cache.notes(PROBE_NOTE)? {
        let rest = &key[PROBE_NOTE.len()..];
        let (Some((base_url, model)), Some(format)) = (
            rest.split_once('\t'),
            bitext::backend::openai::ResponseFormat::parse(&value),
        ) else {
            continue;
        };
        bitext::backend::openai::remember_verdict(base_url, model, format);
    }
    Ok(())
}

/// Stores the verdicts this run made (or used) for the next run.
fn save_probe_verdicts(cache: &Cache) -> Result<()> {
    let notes: Vec<(String, String)> = bitext::backend::openai::verdicts()
        .into_iter()
        .map(|(base_url, model, format)| {
            (
                format!("{PROBE_NOTE}{base_url}\t{model}"),
                format.as_str().to_string(),
            )
        })
        .collect();
    Ok(cache.put_notes(&notes)?)
}
