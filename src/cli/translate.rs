//! `bitext translate FILE... [-o OUT | --out-dir DIR] [-f FORMAT] [-b BACKEND] [--model M]
//! [-g GLOSSARY]... [--concurrency N] [--batch-chars N] [--rpm N] [--tpm N] [--no-cache]
//! [--cache DIR] [--dry-run] [--strict] [--config FILE] [--layout translated|interleaved]`
//!
//! HTML and DOCX inputs keep their inline markup as placeholders; `-f same` (or, for a DOCX
//! input, `-o FILE.docx`) writes the translated document in the input's format, and every
//! other format gets the bilingual text without placeholders.
//!
//! Exit status: 0 success; 1 failure (a file, the backend, segments left untranslated), or
//! with `--strict` glossary violations / QA errors left (the output is still written);
//! 130 interrupted (Ctrl-C; everything answered is in the cache).

use anyhow::{Context, Result, bail};
use bitext::backend::{Backend, registry};
use bitext::cache::Cache;
use bitext::config::{BackendSpec, ChosenBy, Config, Env, Overrides};
use bitext::export::{self, ExportOptions, Format};
use bitext::formats::{self, Input, Layout};
use bitext::glossary::{Glossary, GlossaryChoice};
use bitext::model::{Bitext, Meta, TermPair};
use bitext::pipeline::{
    self, Article, GlossaryTerms, Job, NoTerms, Options, Outcome, Progress, RunReport, Terms,
};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
    #[command(flatten)]
    glossary: super::GlossarySelection,
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
    /// Stop the run after this long (`90`, `90s`, `10m`, `1h`); what was answered is kept.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    deadline: Option<std::time::Duration>,
    /// Neither read nor write the translation memory.
    #[arg(long)]
    no_cache: bool,
    /// Cache directory (default: `$XDG_CACHE_HOME/bitext`).
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Least similarity (0–1) of a memory entry sent as an example with a segment the memory
    /// has no translation for; 0 sends none.
    #[arg(long, value_name = "N", default_value_t = pipeline::DEFAULT_FUZZY, value_parser = parse_fuzzy)]
    fuzzy: f64,
    /// A previous bitext JSON of this article: mark the pairs whose source is new or changed
    /// since then, in every export.
    #[arg(long, value_name = "OLD.json")]
    diff: Option<PathBuf>,
    /// Plan only: segments, cached hits, requests and estimated tokens; nothing is sent.
    #[arg(long)]
    dry_run: bool,
    /// Exit 1 when glossary violations or QA errors remain (the output is still written).
    #[arg(long)]
    strict: bool,
    /// Config file (default: `$BITEXT_CONFIG`, `./bitext.toml`, the user config dir).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Replace an existing output even when this run translated fewer pairs than it (by
    /// default such a run writes `NAME.partial.EXT` beside it).
    #[arg(long)]
    force: bool,
    /// With `-f same`: replace the text by its translation, or follow each block with its
    /// translation in a lighter style (a bilingual edition).
    #[arg(long, value_enum, value_name = "LAYOUT")]
    layout: Option<LayoutChoice>,
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

fn parse_fuzzy(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if (0.0..=1.0).contains(&n) => Ok(n),
        _ => Err(format!("{text:?} is not a similarity between 0 and 1")),
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LayoutChoice {
    Translated,
    Interleaved,
}

/// Where each bitext goes: `-o` or standard output (one input), or a file in `--out-dir`.
pub enum Destination {
    /// `-o FILE` (written atomically) or standard output.
    Output,
    File(PathBuf),
}

/// The extension of the translated document written for `file` (`-f same`): the input's own.
fn document_extension(file: &std::path::Path) -> String {
    match file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    {
        Some(e) if matches!(e.as_str(), "docx" | "docm" | "html" | "htm" | "xhtml") => e,
        _ => "html".into(),
    }
}

/// Whether two paths name the same existing file.
fn destinations(
    args: &TranslateArgs,
    format: Format,
    document: Option<Layout>,
) -> Result<Vec<Destination>> {
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
                let extension = match document {
                    Some(_) => document_extension(file),
                    None => format.extension().to_string(),
                };
                let path = dir.join(format!("{stem}.{extension}"));
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
pub(super) struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }

    pub(super) fn new() -> Bar {
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
        self.bar.suspend(|| super::note(message));
    }
}

/// Everything `translate` will do, resolved from the arguments and the config before anything
/// is read or sent (ripgrep's `HiArgs::from_low_args` model): the run functions only read it.
/// A new flag adds a field here and one line in [`Plan::from_args`].
pub struct Plan {
    pub inputs: Vec<PathBuf>,
    pub output: super::export::OutputArgs,
    pub destinations: Vec<Destination>,
    pub format: Format,
    /// `-f same`: write the translated document (HTML or DOCX) in this layout.
    pub document: Option<Layout>,
    pub export_options: ExportOptions,
    /// The backend's settings, all sources merged.
    pub spec: BackendSpec,
    /// Where the backend's name came from (a fallback to `gloss` gets a note).
    pub default_source: ChosenBy,
    pub glossary: Option<Glossary>,
    /// Which glossary files, and why (named in the summary).
    pub glossary_choice: GlossaryChoice,
    /// The translation memory's folder; `None` for `--no-cache`.
    pub cache_dir: Option<PathBuf>,
    pub options: Options,
    pub dry_run: bool,
    pub strict: bool,
    pub force: bool,
    /// Glossary files and the template: inputs no output may overwrite.
    pub other_inputs: Vec<PathBuf>,
    /// `--diff OLD.json`: the earlier bitext of the article and its file name.
    pub earlier: Option<(Bitext, String)>,
    /// `--batch-api`: through the backend's Batch API (docs/batch.md).
    pub batch_api: bool,
    /// `--wait`: poll the batches at this interval instead of exiting after submitting.
    pub wait: Option<std::time::Duration>,
}

impl Plan {
    /// Resolves the arguments against the config and environment. Checks what can be checked
    /// before any work: the format, the destinations, and that they can be written.
    pub fn from_args(args: TranslateArgs, env: &Env) -> Result<Plan> {
        let config = Config::load(args.config.as_deref(), env)?;
        let overrides = Overrides {
            backend: args.backend.clone(),
            model: args.model.clone(),
            concurrency: args.concurrency.map(|n| n as usize),
            rpm: args.rpm,
            tpm: args.tpm,
            ..Overrides::default()
        };
        let (backend_name, default_source) = config.default_name(env, &overrides);
        let spec = config.resolve(Some(&backend_name), env, &overrides)?;
        let glossary_choice = args.glossary.choose(&config.glossary)?;
        let glossary = glossary_choice.load()?;
        let document = document_layout(&args)?;
        let format = match document {
            Some(_) => Format::Json,
            None => args.out.resolve_format(Some(Format::Json))?,
        };
        let export_options = args.out.options()?;
        let destinations = destinations(&args, format, document)?;
        let cache_dir = if args.no_cache {
            None
        } else {
            Some(super::tm::cache_dir(args.cache.clone())?)
        };
        let options = Options {
            concurrency: spec.concurrency,
            batch_chars: args.batch_chars.map_or(0, |n| n as usize),
            rpm: spec.rpm,
            tpm: spec.tpm,
            servers: pipeline::servers::default_path(),
            deadline: args.deadline,
            fuzzy: args.fuzzy,
            ..Options::default()
        };
        let other_inputs = glossary_choice
            .paths
            .iter()
            .chain(&args.out.template)
            .cloned()
            .collect();
        let earlier = match &args.diff {
            Some(path) => {
                if args.files.len() > 1 {
                    bail!("--diff compares one article with its earlier version: give one input");
                }
                let name = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("{name}: cannot read"))?;
                Some((bitext::export::json::read(&text, &name)?, name))
            }
            None => None,
        };
        let plan = Plan {
            force: args.force,
            other_inputs,
            inputs: args.files,
            output: args.out,
            destinations,
            format,
            document,
            export_options,
            spec,
            default_source,
            glossary,
            glossary_choice,
            cache_dir,
            options,
            dry_run: args.dry_run,
            strict: args.strict,
            earlier,
            batch_api: args.batch_api,
            wait: args
                .wait
                .then(|| std::time::Duration::from_secs_f64(args.poll)),
        };
        plan.check_writable()?;
        Ok(plan)
    }

    /// Refuses an output that is an input or another output, or that cannot be written, now,
    /// before any request is paid for.
    fn check_writable(&self) -> Result<()> {
        let files = self.destinations.iter().filter_map(|d| match d {
            Destination::File(path) => Some(path.as_path()),
            Destination::Output => None,
        });
        let output = self
            .output
            .output
            .as_deref()
            .filter(|_| !self.output.to_stdout());
        let outputs: Vec<&std::path::Path> = files.chain(output).collect();
        let inputs: Vec<&std::path::Path> = self
            .inputs
            .iter()
            .chain(&self.other_inputs)
            .map(PathBuf::as_path)
            .collect();
        bitext::output::check_outputs(&inputs, &outputs)?;
        for path in outputs {
            bitext::util::check_writable(path)
                .with_context(|| format!("{}: cannot write output", path.display()))?;
        }
        Ok(())
    }

    /// The whole glossary as pairs (DeepL uploads it as its own glossary).
    fn glossary_pairs(&self) -> Vec<TermPair> {
        self.glossary
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
            .unwrap_or_default()
    }

    /// The backend client. A dry run sends nothing, so it needs no key: the client is built
    /// for planning (its name, limits and memory keys) even when the key is missing.
    fn backend(&self) -> Result<Arc<dyn Backend>> {
        let pairs = self.glossary_pairs();
        Ok(if self.dry_run {
            registry::for_plan(&self.spec, &pairs)?
        } else {
            registry::from_spec(&self.spec, &pairs)?
        })
    }

    fn terms(&self) -> Box<dyn Terms> {
        match &self.glossary {
            Some(g) => Box::new(GlossaryTerms::new(g.clone())),
            None => Box::new(NoTerms),
        }
    }

    fn cache(&self) -> Result<Option<Cache>> {
        Ok(match &self.cache_dir {
            Some(dir) => Some(Cache::open(dir)?),
            None => None,
        })
    }
}

/// Whether the run writes translated documents (`-f same`, or `-o FILE.docx`), and how.
fn document_layout(args: &TranslateArgs) -> Result<Option<Layout>> {
    let docx_output = args.out.format.is_none()
        && args.out.output.as_deref().is_some_and(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("docx"))
        });
    let same = args.out.format == Some(super::export::FormatArg::Same) || docx_output;
    let layout = match args.layout {
        Some(LayoutChoice::Interleaved) => Layout::Interleaved,
        Some(LayoutChoice::Translated) | None => Layout::Translated,
    };
    if !same {
        if args.layout.is_some() {
            bail!("--layout applies to the translated document: add -f same");
        }
        return Ok(None);
    }
    // An output over an input is refused with the other outputs (Plan::check_writable).
    Ok(Some(layout))
}

/// Reads every input with the reader it needs (text, HTML, DOCX). With `-f same` each must
/// be a structured document, and a Word document needs a file to go to.
fn read_inputs(plan: &Plan) -> Result<Vec<Input>> {
    let mut inputs = Vec::with_capacity(plan.inputs.len());
    for file in &plan.inputs {
        let input = formats::read_path(file)?;
        if plan.document.is_some() {
            match input.structured().map(|d| d.kind()) {
                None => bail!(
                    "{}: -f same writes the translated document for HTML and DOCX inputs; this is plain text (use -f html|json|tsv|tmx|xliff|md)",
                    file.display()
                ),
                Some(formats::Kind::Docx)
                    if plan.output.to_stdout()
                        && matches!(plan.destinations.first(), Some(Destination::Output)) =>
                {
                    bail!(
                        "{}: a translated Word document needs -o FILE.docx or --out-dir DIR",
                        file.display()
                    )
                }
                Some(kind) => {
                    let wanted = kind.extension();
                    if let Some(output) = plan
                        .output
                        .output
                        .as_deref()
                        .filter(|_| !plan.output.to_stdout())
                        && plan.inputs.len() == 1
                    {
                        let ext = output
                            .extension()
                            .map(|e| e.to_string_lossy().to_ascii_lowercase())
                            .unwrap_or_default();
                        let fits = match kind {
                            formats::Kind::Docx => ext == "docx" || ext == "docm",
                            formats::Kind::Html => matches!(ext.as_str(), "html" | "htm" | "xhtml"),
                        };
                        if !fits {
                            bail!(
                                "{}: the translated document of {} is {wanted}: name the output .{wanted}",
                                output.display(),
                                file.display()
                            );
                        }
                    }
                }
            }
        }
        inputs.push(input);
    }
    Ok(inputs)
}

pub fn run(args: TranslateArgs) -> Result<ExitCode> {
    let plan = Plan::from_args(args, &Env::process())?;
    let backend = plan.backend()?;
    if plan.default_source == ChosenBy::Fallback && !plan.dry_run {
        eprintln!(
            "bitext: note: using the offline `gloss` backend (rough glosses); for real \
             translations set OPENAI_API_KEY or DEEPL_AUTH_KEY and pass -b NAME, or set \
             default_backend in bitext.toml (see docs/backends.md)"
        );
    }
    let inputs = read_inputs(&plan)?;
    let sources: Vec<Article> = inputs.iter().map(Input::article).collect();
    let terms = plan.terms();
    let cache = plan.cache()?;
    let bar = Bar::new();
    let job = Job {
        backend: backend.as_ref(),
        terms: terms.as_ref(),
        cache: cache.as_ref(),
        options: plan.options.clone(),
        progress: &bar,
    };
    if plan.dry_run && plan.batch_api {
        let text = super::batch::dry_run(&plan.spec, &job, &sources, plan.cache_dir.as_deref())?;
        super::print_stdout(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if plan.dry_run {
        super::print_stdout(&dry_run_text(&plan, &job, &sources)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if plan.batch_api {
        let dir = plan.cache_dir.as_deref().context(
            "--batch-api records its batches in the translation memory; drop --no-cache",
        )?;
        match super::batch::before_translate(&plan.spec, &job, &sources, dir, plan.wait)? {
            super::batch::Next::Interactive => {}
            super::batch::Next::Exit(code) => return Ok(code),
        }
    }
    let result = run_interruptible(&job, &sources)?;
    bar.bar.finish_and_clear();
    let outcome = match result {
        None => {
            eprintln!(
                "bitext: interrupted; everything answered so far is in the cache — run the same command again to resume"
            );
            return Ok(ExitCode::from(130));
        }
        Some(Err(err)) => {
            if let pipeline::PipelineError::Fatal { report, .. }
            | pipeline::PipelineError::Deadline { report, .. } = &err
            {
                super::note(&report.to_string());
            }
            return Err(err.into());
        }
        Some(Ok(outcome)) => outcome,
    };
    let mut outcome = outcome;
    if let (Some((old, name)), Some(bitext)) = (&plan.earlier, outcome.bitexts.first_mut()) {
        bitext::revision::mark_changes(bitext, old, name);
    }
    write_outputs(&plan, &outcome, &inputs)?;
    super::note(&outcome.report.to_string());
    super::note(&summary_terms(&plan, &outcome));
    Ok(exit_code(&plan, &outcome.report))
}

/// The glossary files used and, with a glossary, the term metrics over every output:
/// `glossary: glossary/zh-en.toml (project folder); terms: 52/54 rendered (96.3%), …`.
fn summary_terms(plan: &Plan, outcome: &Outcome) -> String {
    let mut line = plan.glossary_choice.describe();
    if let Some(glossary) = &plan.glossary {
        let mut all = Bitext::new("zh-CN", "en", Meta::default());
        for bitext in &outcome.bitexts {
            all.pairs.extend(bitext.pairs.iter().cloned());
        }
        line.push_str(&format!(
            "; {}",
            bitext::glossary::term_metrics(&all, glossary)
        ));
    }
    line
}

/// The `--dry-run` listing: totals, then one line per request.
fn dry_run_text(plan: &Plan, job: &Job<'_>, sources: &[Article]) -> Result<String> {
    let planned = pipeline::plan_job(job, sources)?;
    let cost = plan
        .spec
        .cost(planned.input_tokens, planned.output_tokens)
        .map(|c| format!(", estimated cost {c:.4}"))
        .unwrap_or_default();
    let mut text = format!(
        "{} segments, {} cached, {} requests to {} ({} repairs), estimated tokens {} in / {} out{cost}\n",
        planned.segments,
        planned.cached,
        planned.requests(),
        job.backend.info().name,
        planned.repairs,
        planned.input_tokens,
        planned.output_tokens,
    );
    for batch in &planned.batches {
        let first = batch.ids.first().map_or("", String::as_str);
        let last = batch.ids.last().map_or("", String::as_str);
        text.push_str(&format!(
            "  {}: {first}..{last} ({} segments, {} chars)\n",
            batch.article,
            batch.ids.len(),
            batch.chars
        ));
    }
    Ok(text)
}

/// Runs the job until it ends or Ctrl-C (`None`).
fn run_interruptible(
    job: &Job<'_>,
    sources: &[Article],
) -> Result<Option<Result<Outcome, pipeline::PipelineError>>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(async {
        tokio::select! {
            result = pipeline::run(job, sources) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    }))
}

/// Writes each bitext to its destination: the translated document (`-f same`), or an export
/// (for HTML and DOCX inputs, of the text without inline placeholders).
fn write_outputs(plan: &Plan, outcome: &Outcome, inputs: &[Input]) -> Result<()> {
    for ((bitext, destination), input) in outcome.bitexts.iter().zip(&plan.destinations).zip(inputs)
    {
        if let (Some(layout), Some(document)) = (plan.document, input.structured()) {
            let bytes = document.write(bitext, layout)?;
            match destination {
                Destination::File(path) => write_file(path, &bytes)?,
                Destination::Output => match plan.output.output.as_deref() {
                    Some(path) if !plan.output.to_stdout() => write_file(path, &bytes)?,
                    _ => std::io::Write::write_all(&mut std::io::stdout().lock(), &bytes)
                        .context("cannot write to standard output")?,
                },
            }
            continue;
        }
        let plain;
        let bitext = if input.structured().is_some() {
            plain = bitext::inline::plain_bitext(bitext);
            &plain
        } else {
            bitext
        };
        match destination {
            Destination::Output => match plan.output.output.as_deref() {
                Some(path) if !plan.output.to_stdout() => write_export(plan, bitext, path)?,
                _ => {
                    plan.output.write(bitext, Some(Format::Json))?;
                }
            },
            Destination::File(path) => write_export(plan, bitext, path)?,
        }
    }
    Ok(())
}

/// Writes an export; a file whose run went worse than the existing output goes beside it
/// (`NAME.partial.EXT`, see [`bitext::output::write_guarded`]).
fn write_export(plan: &Plan, bitext: &Bitext, path: &std::path::Path) -> Result<()> {
    let text = export::render(bitext, plan.format, &plan.export_options)?;
    let written =
        bitext::output::write_guarded(path, text.as_bytes(), bitext, plan.format, plan.force)?;
    if let bitext::output::Written::Partial { path, kept } = written {
        super::note(&format!(
            "kept {} (it has more translated pairs than this run); wrote {} — use --force to replace",
            kept.display(),
            path.display()
        ));
    }
    Ok(())
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    bitext::util::atomic_write(path, bytes)
        .with_context(|| format!("{}: cannot write output", path.display()))
}

/// 1 when segments failed, or with `--strict` when violations or QA errors remain.
fn exit_code(plan: &Plan, report: &RunReport) -> ExitCode {
    if report.failed > 0 {
        eprintln!(
            "bitext: error: {} segment{} could not be translated (flagged `failed`); run again to retry them",
            report.failed,
            if report.failed == 1 { "" } else { "s" }
        );
        return ExitCode::from(1);
    }
    if plan.strict && (report.violations > 0 || report.qa_errors > 0) {
        eprintln!(
            "bitext: --strict: {} glossary violation{} and {} QA error{} remain",
            report.violations,
            if report.violations == 1 { "" } else { "s" },
            report.qa_errors,
            if report.qa_errors == 1 { "" } else { "s" },
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Parses `--deadline`: seconds, or a duration such as `90s`, `10m`, `1h30m`.
fn parse_duration(text: &str) -> std::result::Result<std::time::Duration, String> {
    bitext::backend::http::parse_reset(text)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?} is not a duration (e.g. 90, 90s, 10m, 1h30m)"))
}
