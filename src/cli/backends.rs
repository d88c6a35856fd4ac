//! `bitext backends [--config FILE]`: what is configured, what is missing. Never prints a key,
//! only whether its variable is `set` or `missing`.

use anyhow::Result;
use bitext::config::{ChosenBy, Config, Env, Kind, Overrides, Status};
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Args)]
pub struct BackendsArgs {
    /// Config file (default: $BITEXT_CONFIG, ./bitext.toml, then the user config dir's
    /// bitext/bitext.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(args: BackendsArgs) -> Result<ExitCode> {
    let env = Env::process();
    let config = Config::load(args.config.as_deref(), &env)?;
    super::print_stdout(&render(&config, &env)?)?;
    Ok(ExitCode::SUCCESS)
}

/// The listing: the config file, the default backend, then one row per backend.
pub fn render(config: &Config, env: &Env) -> Result<String> {
    let mut out = String::new();
    match &config.path {
        Some(path) => writeln!(out, "config: {}", path.display())?,
        None => writeln!(
            out,
            "config: none (looked for --config, $BITEXT_CONFIG, ./bitext.toml, \
             and bitext/bitext.toml in the user config dir)"
        )?,
    }
    let (default, source) = config.default_name(env, &Overrides::default());
    let from = match source {
        ChosenBy::CommandLine => "command line",
        ChosenBy::Environment => "BITEXT_BACKEND",
        ChosenBy::ConfigFile => "default_backend",
        ChosenBy::Fallback => "offline fallback; set default_backend or BITEXT_BACKEND",
    };
    writeln!(out, "default: {default} ({from})")?;
    writeln!(out)?;

    let mut rows: Vec<[String; 7]> = vec![[
        "NAME".into(),
        "KIND".into(),
        "MODEL".into(),
        "ENDPOINT".into(),
        "KEY".into(),
        "FROM".into(),
        "STATUS".into(),
    ]];
    for name in config.names() {
        let dash = || "-".to_string();
        let row = match config.resolve(Some(&name), env, &Overrides::default()) {
            Ok(spec) => {
                let key = match (&spec.api_key_env, &spec.api_key) {
                    (Some(var), Some(_)) => format!("{var} set"),
                    (Some(var), None) if spec.key_required => format!("{var} missing"),
                    (Some(var), None) => format!("{var} not set (optional)"),
                    (None, _) => dash(),
                };
                let model = match spec.kind {
                    Kind::Deepl => spec.target_variant.clone(),
                    _ => spec.model.clone(),
                };
                let status = match spec.status() {
                    // Offline: nothing to contact.
                    Status::Ready if spec.kind == Kind::Gloss => "ready".to_string(),
                    // Settings complete, but the server (or program) was not contacted.
                    Status::Ready => "not checked".to_string(),
                    other => other.to_string(),
                };
                [
                    name.clone(),
                    spec.kind.as_str().to_string(),
                    model.unwrap_or_else(dash),
                    spec.endpoint().unwrap_or_else(dash),
                    key,
                    if spec.configured {
                        "config"
                    } else {
                        "built-in"
                    }
                    .to_string(),
                    status,
                ]
            }
            Err(err) => [
                name.clone(),
                dash(),
                dash(),
                dash(),
                dash(),
                "config".into(),
                err.to_string(),
            ],
        };
        rows.push(row);
    }
    if !config
        .backends
        .values()
        .any(|b| b.kind == Some(Kind::Command))
    {
        let dash = "-".to_string();
        rows.push([
            "command".into(),
            "command".into(),
            dash.clone(),
            dash.clone(),
            dash,
            "built-in".into(),
            "not configured: set `command` in bitext.toml".into(),
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(widths[i] - cell.width() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(out)
}
