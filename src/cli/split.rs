//! `bitext split FILE... [--format text|jsonl|tsv]`

use anyhow::Result;
use bitext::{document, split};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// Articles to split (`-` reads standard input). Processed in order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output form: `text` (a sentence a line, a blank line between blocks), `jsonl` (the
    /// reference form of SEGMENTATION.md plus id and line) or `tsv` (id, block, kind, text).
    #[arg(long, short, value_enum, default_value_t = SplitFormat::Text)]
    format: SplitFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SplitFormat {
    Text,
    Jsonl,
    Tsv,
}

pub fn run(args: SplitArgs) -> Result<ExitCode> {
    if matches!(args.format, SplitFormat::Tsv) {
        super::print_stdout("id\tblock\tkind\ttext\n")?;
    }
    for (index, path) in args.files.iter().enumerate() {
        let doc = document::read_path(path)?;
        let segments = split::segment_document(&doc);
        let mut out = String::new();
        match args.format {
            SplitFormat::Text => {
                if index > 0 {
                    out.push('\n');
                }
                let mut last_block = None;
                for segment in &segments {
                    if last_block.is_some_and(|b| b != segment.block) {
                        out.push('\n');
                    }
                    last_block = Some(segment.block);
                    writeln!(out, "{}", segment.text)?;
                }
            }
            SplitFormat::Jsonl => {
                for segment in &segments {
                    let line = serde_json::json!({
                        "block": segment.block,
                        "kind": segment.kind,
                        "text": segment.text,
                        "id": segment.id,
                        "line": segment.line,
                    });
                    writeln!(out, "{line}")?;
                }
            }
            SplitFormat::Tsv => {
                for segment in &segments {
                    let text = bitext::util::escape_tsv(&segment.text);
                    writeln!(out, "{}\t{}\t{}\t{text}", segment.id, segment.block, segment.kind)?;
                }
            }
        }
        super::print_stdout(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}
