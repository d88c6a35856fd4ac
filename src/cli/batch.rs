//! `bitext batch list|status|cancel|requests|results` and the steps of
//! `bitext translate --batch-api [--wait] [--poll SECS]` (docs/batch.md).

use anyhow::{Context, Result, bail};
use bitext::backend::openai::OpenAiBackend;
use bitext::backend::registry;
use bitext::batch::{self, Limits, Session, Standing, Store, Watch};
use bitext::cache::Cache;
use bitext::config::{BackendSpec, Config, Env, Overrides};
use bitext::glossary::Glossary;
use bitext::pipeline::{Article, GlossaryTerms, Job, NoTerms, Options, Terms};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(subcommand)]
    action: BatchAction,
    /// Cache directory, where the batches are recorded (default: `$XDG_CACHE_HOME/bitext`).
    #[arg(long, global = true, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Backend name (an OpenAI-compatible one; default: the configured default).
    #[arg(short, long, global = true, value_name = "BACKEND")]
    backend: Option<String>,
    /// Model name.
    #[arg(long, global = true, value_name = "MODEL")]
    model: Option<String>,
    /// Config file (default: `$BITEXT_CONFIG`, `./bitext.toml`, the user config dir).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum BatchAction {
    /// The recorded batches and their last known status (nothing is sent).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Ask the server for the status and counts of the pending batches (or batch ID).
    Status { id: Option<String> },
    /// Cancel a pending batch (or all of them); the next translate run collects what they
    /// answered and retries the rest.
    Cancel { id: Option<String> },
    /// Write the request lines for the articles' untranslated segments without sending them
    /// (for `vllm run-batch` or another offline runner).
    Requests {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The JSONL file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Glossary files, later ones override earlier ones (default: the config's).
        #[arg(short, long = "glossary", value_name = "GLOSSARY")]
        glossaries: Vec<PathBuf>,
        /// Character budget of a request.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        batch_chars: Option<u32>,
    },
    /// Read a result file in the OpenAI batch output shape (what `vllm run-batch` writes)
    /// into the translation memory.
    Results { file: PathBuf },
}

/// The backend's batch file limits (`batch_max_requests`, `batch_max_bytes`).
fn limits(spec: &BackendSpec) -> Limits {
    let default = Limits::default();
    Limits {
        max_requests: spec
            .batch_max_requests
            .unwrap_or(default.max_requests)
            .max(1),
        max_bytes: spec.batch_max_bytes.unwrap_or(default.max_bytes).max(1),
    }
}

/// The OpenAI-compatible client of `spec`, or why the Batch API cannot be used with it.
/// `sends`: whether it will contact the server (then a required key must be set).
fn openai(spec: &BackendSpec, sends: bool) -> Result<OpenAiBackend> {
    if spec.kind != bitext::config::Kind::OpenAi {
        bail!(
            "the Batch API needs an OpenAI-compatible backend (kind = \"openai\"); {} is {:?}",
            spec.name,
            spec.kind
        );
    }
    Ok(registry::openai_from_spec(spec, sends)?)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Notes on stderr and a bar of completed/total requests (hidden when stderr is not a
/// terminal).
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
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} batch requests {msg}",
            )
            .expect("valid template"),
        );
        Bar { bar }
    }
}

impl Watch for Bar {
    fn note(&self, message: &str) {
        self.bar.suspend(|| eprintln!("bitext: {message}"));
    }

    fn progress(&self, completed: u64, failed: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(completed + failed);
        self.bar.set_message(if failed > 0 {
            format!("({failed} failed)")
        } else {
            String::new()
        });
    }
}

/// What `translate` does after the batch step.
pub enum Next {
    /// Every batch is collected: run the interactive pipeline (it finds the answers in the
    /// memory and requests only what is left).
    Interactive,
    Exit(ExitCode),
}

/// The batch step of `translate --batch-api`: collect what finished, submit what is not in
/// the memory or in a pending batch, and (with `wait`) poll until nothing is pending.
pub fn before_translate(
    spec: &BackendSpec,
    job: &Job<'_>,
    articles: &[Article],
    memory_dir: &Path,
    wait: Option<Duration>,
) -> Result<Next> {
    let backend = openai(spec, true)?;
    let cache = job
        .cache
        .context("--batch-api records its batches in the translation memory; drop --no-cache")?;
    let mut session = Session::open(&backend, cache, memory_dir, limits(spec))?;
    let bar = Bar::new();
    let runtime = runtime()?;
    let result = runtime.block_on(async {
        tokio::select! {
            result = session.translate(articles, job.terms, &job.options, wait, &bar) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    bar.bar.finish_and_clear();
    match result {
        None => {
            eprintln!(
                "bitext: interrupted; submitted batches keep running — run the same command again to collect them"
            );
            Ok(Next::Exit(ExitCode::from(130)))
        }
        Some(Err(e)) => Err(e.into()),
        Some(Ok(Standing::Pending {
            submitted,
            batches,
            counts,
        })) => {
            let mut text = String::new();
            for b in &batches {
                text.push_str(&format!(
                    "{}\t{}\t{}/{}\n",
                    b.batch_id.as_deref().unwrap_or(&b.intent),
                    b.status,
                    b.completed + b.failed,
                    b.total
                ));
            }
            super::print_stdout(&text)?;
            eprintln!(
                "bitext: {} batch{} pending ({submitted} submitted now; {} segments in batches, {} from the memory); submitted; run the same command again to collect",
                batches.len(),
                if batches.len() == 1 { "" } else { "es" },
                counts.pending + counts.planned,
                counts.cached,
            );
            Ok(Next::Exit(ExitCode::SUCCESS))
        }
        Some(Ok(Standing::Ready { counts })) => {
            if counts.interactive > 0 {
                eprintln!(
                    "bitext: batches collected; {} segment{} the batches did not answer go to interactive requests",
                    counts.interactive,
                    if counts.interactive == 1 { "" } else { "s" }
                );
            }
            Ok(Next::Interactive)
        }
    }
}

/// `translate --dry-run --batch-api`: requests, batch files, tokens and cost at the batch
/// price.
pub fn dry_run(
    spec: &BackendSpec,
    job: &Job<'_>,
    articles: &[Article],
    memory_dir: Option<&Path>,
) -> Result<String> {
    let backend = openai(spec, false)?;
    let pending = match (job.cache, memory_dir) {
        (Some(cache), Some(dir)) => {
            Session::open(&backend, cache, dir, limits(spec))?.pending_keys()?
        }
        _ => Default::default(),
    };
    let plan = batch::dry_run(
        &backend,
        job.terms,
        &job.options,
        job.cache,
        pending,
        articles,
        limits(spec),
    )?;
    let c = plan.counts;
    let discount = spec.batch_discount.unwrap_or(0.5);
    let cost = spec
        .cost(c.input_tokens, c.output_tokens)
        .map(|full| {
            format!(
                ", estimated cost {:.4} at the batch price ({discount}× {full:.4})",
                full * discount
            )
        })
        .unwrap_or_default();
    Ok(format!(
        "{} segments, {} cached, {} pending in batches, {} requests ({} segments) in {} batch file{} to {}, estimated tokens {} in / {} out{cost}\n",
        c.segments,
        c.cached,
        c.pending,
        c.requests,
        c.planned,
        plan.files,
        if plan.files == 1 { "" } else { "s" },
        spec.name,
        c.input_tokens,
        c.output_tokens,
    ))
}

/// The glossary terms policy, from `-g` files or the config's `glossary`, as `translate`
/// loads it (the memory keys include the terms).
fn load_terms(config: &Config, glossaries: &[PathBuf]) -> Result<Box<dyn Terms>> {
    let paths = if glossaries.is_empty() {
        &config.glossary[..]
    } else {
        glossaries
    };
    Ok(if paths.is_empty() {
        Box::new(NoTerms)
    } else {
        Box::new(GlossaryTerms::new(Glossary::load_layered(paths)?))
    })
}

pub fn run(args: BatchArgs) -> Result<ExitCode> {
    let env = Env::process();
    let config = Config::load(args.config.as_deref(), &env)?;
    let overrides = Overrides {
        backend: args.backend.clone(),
        model: args.model.clone(),
        ..Overrides::default()
    };
    let (name, _) = config.default_name(&env, &overrides);
    let spec = config.resolve(Some(&name), &env, &overrides)?;
    let dir = super::tm::cache_dir(args.cache.clone())?;
    match args.action {
        BatchAction::List { json } => list(&dir, json),
        BatchAction::Status { id } => status(&spec, &dir, id.as_deref()),
        BatchAction::Cancel { id } => cancel(&spec, &dir, id.as_deref()),
        BatchAction::Requests {
            files,
            output,
            glossaries,
            batch_chars,
        } => requests(
            &spec,
            &config,
            &dir,
            &files,
            &output,
            &glossaries,
            batch_chars,
        ),
        BatchAction::Results { file } => results(&spec, &dir, &file),
    }
}

fn list(dir: &Path, json: bool) -> Result<ExitCode> {
    let store = Store::open(dir)?;
    let text = if json {
        let mut text = serde_json::to_string_pretty(store.records())?;
        text.push('\n');
        text
    } else if store.records().is_empty() {
        "no batches recorded\n".to_string()
    } else {
        let mut text =
            String::from("batch\tlocal id\tbackend\tstatus\tdone/total\tsegments\tplanned\n");
        for r in store.records() {
            text.push_str(&format!(
                "{}\t{}\t{}\t{}{}\t{}/{}\t{}\t{}\n",
                r.batch_id.as_deref().unwrap_or("-"),
                r.intent,
                r.backend,
                r.status,
                if r.collected && r.status != "superseded" {
                    " (collected)"
                } else {
                    ""
                },
                r.completed + r.failed,
                r.total,
                r.segments,
                r.planned_at,
            ));
        }
        text
    };
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The open records of `spec`'s backend, or the one named `id`.
fn targets(store: &Store, spec: &BackendSpec, id: Option<&str>) -> Result<Vec<String>> {
    match id {
        Some(id) => Ok(vec![
            store
                .find(id)
                .with_context(|| format!("no recorded batch {id:?} (see `bitext batch list`)"))?
                .intent
                .clone(),
        ]),
        None => Ok(store
            .records()
            .iter()
            .filter(|r| r.is_open() && !r.offline && r.backend == spec.name)
            .map(|r| r.intent.clone())
            .collect()),
    }
}

fn status(spec: &BackendSpec, dir: &Path, id: Option<&str>) -> Result<ExitCode> {
    let backend = openai(spec, true)?;
    let client = batch::BatchClient::new(&backend)?;
    let mut store = Store::open(dir)?;
    let intents = targets(&store, spec, id)?;
    if intents.is_empty() {
        super::print_stdout("no pending batches\n")?;
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = runtime()?;
    let mut text = String::new();
    for intent in intents {
        let record = store.record(&intent).expect("listed").clone();
        let Some(batch_id) = &record.batch_id else {
            text.push_str(&format!(
                "-\t{intent}\t{}\t0/{}\n",
                record.status, record.requests
            ));
            continue;
        };
        let batch = runtime.block_on(client.get(batch_id))?;
        let counts = batch.request_counts.unwrap_or_default();
        if !record.collected {
            store.append(batch::Event::Status {
                intent: intent.clone(),
                status: batch.status.as_str().into(),
                total: counts.total,
                completed: counts.completed,
                failed: counts.failed,
            })?;
        }
        text.push_str(&format!(
            "{batch_id}\t{intent}\t{}\t{}/{} ({} failed){}\n",
            batch.status.as_str(),
            counts.completed + counts.failed,
            counts.total,
            counts.failed,
            batch
                .error_message()
                .map(|m| format!("\t{m}"))
                .unwrap_or_default()
        ));
    }
    super::print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn cancel(spec: &BackendSpec, dir: &Path, id: Option<&str>) -> Result<ExitCode> {
    let backend = openai(spec, true)?;
    let cache = Cache::open(dir)?;
    let mut session = Session::open(&backend, &cache, dir, limits(spec))?;
    let intents = targets(&session.store, spec, id)?;
    let runtime = runtime()?;
    let cancelled = runtime.block_on(session.cancel(&intents))?;
    if cancelled.is_empty() {
        super::print_stdout("no pending batches\n")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for b in cancelled {
        text.push_str(&format!(
            "{}\t{}\t{}/{}\n",
            b.batch_id.as_deref().unwrap_or("-"),
            b.status,
            b.completed + b.failed,
            b.total
        ));
    }
    super::print_stdout(&text)?;
    eprintln!(
        "bitext: run the translate command again to collect what was answered; the rest is retried"
    );
    Ok(ExitCode::SUCCESS)
}

fn requests(
    spec: &BackendSpec,
    config: &Config,
    dir: &Path,
    files: &[PathBuf],
    output: &Path,
    glossaries: &[PathBuf],
    batch_chars: Option<u32>,
) -> Result<ExitCode> {
    let backend = openai(spec, false)?;
    for file in files {
        if same_file(file, output) {
            bail!("{}: the output would overwrite an input", output.display());
        }
    }
    bitext::util::check_writable(output)
        .with_context(|| format!("{}: cannot write output", output.display()))?;
    let terms = load_terms(config, glossaries)?;
    let cache = Cache::open(dir)?;
    let mut session = Session::open(&backend, &cache, dir, limits(spec))?;
    let options = Options {
        batch_chars: batch_chars.map_or(0, |n| n as usize),
        servers: bitext::pipeline::servers::default_path(),
        ..Options::default()
    };
    let pending = session.pending_keys()?;
    let mut planner =
        batch::Planner::new(&backend, terms.as_ref(), &options, Some(&cache)).with_pending(pending);
    let salt = format!("offline {}", session.store.records().len());
    let mut writer = batch::FileWriter::single(session.store.dir(), output, salt);
    // One article at a time: memory holds one article and the keys planned so far.
    for file in files {
        let step = bitext::document::read_path(file)
            .map_err(anyhow::Error::from)
            .and_then(|document| {
                let article = Article::from_document(&document);
                planner
                    .plan_articles(std::slice::from_ref(&article), |r| writer.push(&r))
                    .map_err(anyhow::Error::from)
            });
        if let Err(e) = step {
            writer.abandon();
            return Err(e);
        }
    }
    let written = writer.finish()?;
    session.record_planned(&written, true)?;
    let c = planner.counts;
    if written.is_empty() {
        // Nothing to ask: still leave an empty file, so a runner script has its input.
        bitext::util::atomic_write(output, b"")
            .with_context(|| format!("{}: cannot write output", output.display()))?;
    }
    eprintln!(
        "bitext: {} request lines ({} segments) written to {}; {} segments from the memory, {} pending in batches",
        c.requests,
        c.planned,
        output.display(),
        c.cached,
        c.pending
    );
    Ok(ExitCode::SUCCESS)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn results(spec: &BackendSpec, dir: &Path, file: &Path) -> Result<ExitCode> {
    let backend = openai(spec, false)?;
    let cache = Cache::open(dir)?;
    let mut store = Store::open(dir)?;
    let collected = batch::collect_results(&backend, &cache, &mut store, file)?;
    for warning in &collected.warnings {
        eprintln!("bitext: warning: {warning}");
    }
    if collected.ignored > collected.warnings.len() {
        eprintln!(
            "bitext: warning: {} more lines ignored",
            collected.ignored - collected.warnings.len()
        );
    }
    eprintln!(
        "bitext: {} lines read; {} requests answered, {} segments stored in the memory; {} failed, {} ignored (translate requests them again)",
        collected.lines,
        collected.answered.len(),
        collected.stored,
        collected.failed,
        collected.ignored
    );
    Ok(ExitCode::SUCCESS)
}
