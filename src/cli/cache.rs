//! `bitext cache stats|clear [--cache DIR]`: the translation memory.

use anyhow::{Context, Result};
use bitext::cache::{self, Cache};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    action: CacheAction,
    /// Cache directory (default: `$XDG_CACHE_HOME/bitext`).
    #[arg(long, global = true, value_name = "DIR")]
    cache: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum CacheAction {
    /// Show where the cache is, how many translations it holds and what they cost.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove every cached translation.
    Clear,
}

/// The cache directory: `--cache DIR`, else the user cache directory.
pub fn cache_dir(arg: Option<PathBuf>) -> Result<PathBuf> {
    match arg {
        Some(dir) => Ok(dir),
        None => {
            cache::default_dir().context("no user cache directory on this system; pass --cache DIR")
        }
    }
}

pub fn run(args: CacheArgs) -> Result<ExitCode> {
    let dir = cache_dir(args.cache)?;
    let mut cache = Cache::open(&dir)?;
    match args.action {
        CacheAction::Stats { json } => {
            let stats = cache.stats()?;
            let text = if json {
                let mut text = serde_json::to_string_pretty(&stats)?;
                text.push('\n');
                text
            } else {
                format!(
                    "cache: {}\nentries: {}\nsize: {} bytes\ntokens spent on cached answers: {} in / {} out\n",
                    stats.path.display(),
                    stats.entries,
                    stats.file_bytes,
                    stats.input_tokens,
                    stats.output_tokens
                )
            };
            super::print_stdout(&text)?;
        }
        CacheAction::Clear => {
            let removed = cache.clear()?;
            eprintln!(
                "bitext: removed {removed} cached translation{} from {}",
                if removed == 1 { "" } else { "s" },
                cache.path().display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
