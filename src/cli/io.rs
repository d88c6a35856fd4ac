//! Files and standard streams, one convention for every command: `-` as an input argument is
//! standard input, `-` (or no `-o`) as the output is standard output. Bilingual files go
//! through the library's one reader ([`bitext::export::bilingual`]), whose warnings are
//! printed here.

use anyhow::{Context as _, Result, bail};
use bitext::Bitext;
use bitext::export::bilingual::{self, Loaded};
use std::io::Read as _;
use std::path::Path;

/// Whether a path argument means a standard stream.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The name of an input in messages: the path, or `<stdin>`.
pub fn input_name(path: &Path) -> String {
    if is_stdio(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads a file, or standard input for `-`, as bytes.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let name = input_name(path);
    if is_stdio(path) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .with_context(|| format!("{name}: cannot read"))?;
        return Ok(bytes);
    }
    if path.is_dir() {
        bail!("{name}: is a directory");
    }
    std::fs::read(path).with_context(|| format!("{name}: cannot read"))
}

/// Reads a UTF-8 text file (a leading BOM is kept for the readers to skip), or standard input
/// for `-`.
pub fn read_text(path: &Path) -> Result<String> {
    let name = input_name(path);
    String::from_utf8(read_bytes(path)?).map_err(|e| {
        anyhow::anyhow!(
            "{name}: not UTF-8 (byte offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Writes `text` to `output` atomically, or to standard output when it is `None` or `-`.
pub fn write_output(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) if !is_stdio(path) => bitext::util::atomic_write(path, text.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display())),
        _ => super::print_stdout(text),
    }
}

/// Reads a bilingual file in any format bitext reads (or standard input for `-`), printing
/// the reader's warnings (a file whose language sides were settled from its content).
pub fn read_bilingual(path: &Path) -> Result<Loaded> {
    let text = read_text(path)?;
    parse_bilingual(&text, path)
}

fn extension(path: &Path) -> Option<&str> {
    (!is_stdio(path))
        .then(|| path.extension().and_then(|e| e.to_str()))
        .flatten()
}

/// [`read_bilingual`] on text already read from `path`.
pub fn parse_bilingual(text: &str, path: &Path) -> Result<Loaded> {
    let loaded = bilingual::read(text, &input_name(path), extension(path))?;
    for warning in &loaded.warnings {
        eprintln!("bitext: warning: {warning}");
    }
    Ok(loaded)
}

/// [`read_bilingual`], keeping only the bitext.
pub fn read_bitext(path: &Path) -> Result<Bitext> {
    Ok(read_bilingual(path)?.bitext)
}
