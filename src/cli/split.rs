//! `bitext split FILE... [--format text|jsonl|tsv]`

use anyhow::Result;
use bitext::{document, split, util};
use clap::{Args, ValueEnum};
use std::io::{BufWriter, Write};
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
    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let result = write_all(&args, &mut out).and_then(|()| Ok(out.flush()?));
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        other => other.map(|()| ExitCode::SUCCESS),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Streams segments block by block, so memory stays near the size of one document.
fn write_all(args: &SplitArgs, out: &mut impl Write) -> Result<()> {
    if matches!(args.format, SplitFormat::Tsv) {
        out.write_all(b"id\tblock\tkind\ttext\n")?;
    }
    for (index, path) in args.files.iter().enumerate() {
        let doc = document::read_path(path)?;
        for (block_index, block) in doc.blocks.iter().enumerate() {
            let first_block = index == 0 && block_index == 0;
            if matches!(args.format, SplitFormat::Text) && !first_block {
                out.write_all(b"\n")?;
            }
            for segment in split::segment_block(block) {
                match args.format {
                    SplitFormat::Text => writeln!(out, "{}", segment.text)?,
                    SplitFormat::Jsonl => {
                        let line = serde_json::json!({
                            "block": segment.block,
                            "kind": segment.kind,
                            "text": segment.text,
                            "id": segment.id,
                            "line": segment.line,
                        });
                        writeln!(out, "{line}")?;
                    }
                    SplitFormat::Tsv => writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        segment.id,
                        segment.block,
                        segment.kind,
                        util::escape_tsv(&segment.text)
                    )?,
                }
            }
        }
    }
    Ok(())
}
