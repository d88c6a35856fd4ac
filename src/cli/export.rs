//! `bitext export BITEXT.json -f FORMAT [-o OUT] [--template FILE] [--md-layout …] [--tsv-plain]`
//!
//! [`OutputArgs`] holds the output options shared with `translate` and `align` (flatten it
//! into their `Args` and call [`OutputArgs::write`]).

use anyhow::{Context, Result, bail};
use bitext::Bitext;
use bitext::export::{self, ExportOptions, Format, MdLayout, Template};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The bilingual file to export: bitext JSON, TSV (with a source/target header, or plain),
    /// TMX, XLIFF 2.1 or 1.2, recognised by its content; `-` reads standard input.
    input: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
}

/// Output options: format, file, HTML template, Markdown layout.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format: html, json, tsv, tsv-plain, tmx, xliff (2.1), xliff12, md. Defaults to
    /// the format of the `-o` file's extension (`.xlf` is XLIFF 2.1).
    #[arg(long, short = 'f', value_parser = parse_format)]
    pub format: Option<Format>,
    /// Output file, written atomically (`-` or none: standard output).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// An HTML template (minijinja, auto-escaped) to use instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Markdown layout: each sentence then its translation, or each paragraph then its
    /// translation.
    #[arg(long, value_enum, default_value_t = LayoutArg::Sentence)]
    pub md_layout: LayoutArg,
    /// With TSV: write only source<TAB>target, no header (for spreadsheets and corpus tools).
    #[arg(long)]
    pub tsv_plain: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LayoutArg {
    Sentence,
    Paragraph,
}

fn parse_format(name: &str) -> Result<Format, String> {
    Format::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format {name:?} (one of {})", names.join(", "))
    })
}

impl OutputArgs {
    pub fn to_stdout(&self) -> bool {
        self.output.as_deref().is_none_or(|p| p == Path::new("-"))
    }

    /// The format from `-f`, else from the `-o` extension; `default` when neither says.
    pub fn resolve_format(&self, default: Option<Format>) -> Result<Format> {
        let format = match (self.format, &self.output) {
            (Some(f), _) => f,
            (None, Some(path)) if !self.to_stdout() => {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                match Format::from_extension(ext).or(default) {
                    Some(f) => f,
                    None => bail!(
                        "{}: cannot tell the format from the extension {ext:?}; give -f FORMAT",
                        path.display()
                    ),
                }
            }
            (None, _) => match default {
                Some(f) => f,
                None => bail!("no output format: give -f FORMAT or -o FILE with a known extension"),
            },
        };
        Ok(match format {
            Format::Tsv if self.tsv_plain => Format::TsvPlain,
            other => other,
        })
    }

    /// The exporter options (reads the template file).
    pub fn options(&self) -> Result<ExportOptions> {
        let template = match &self.template {
            Some(path) => Some(Template {
                name: path.display().to_string(),
                source: std::fs::read_to_string(path)
                    .with_context(|| format!("{}: cannot read the template", path.display()))?,
            }),
            None => None,
        };
        Ok(ExportOptions {
            template,
            md_layout: match self.md_layout {
                LayoutArg::Sentence => MdLayout::Sentence,
                LayoutArg::Paragraph => MdLayout::Paragraph,
            },
        })
    }

    /// Renders `bitext` and writes it to `-o` (atomically) or standard output. Returns the
    /// format used.
    pub fn write(&self, bitext: &Bitext, default: Option<Format>) -> Result<Format> {
        let format = self.resolve_format(default)?;
        let text = export::render(bitext, format, &self.options()?)?;
        super::io::write_output(self.output.as_deref(), &text)?;
        Ok(format)
    }
}

pub fn run(args: ExportArgs) -> Result<ExitCode> {
    // Check the format before reading anything.
    args.output.resolve_format(None)?;
    let bitext = super::io::read_bitext(&args.input)?;
    args.output.write(&bitext, None)?;
    Ok(ExitCode::SUCCESS)
}
