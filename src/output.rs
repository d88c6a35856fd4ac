//! Output safety: an output never lands on an input or on another output of the same run
//! (same file through any path, symlink or hard link), and a run that translated less never
//! replaces a better earlier output — it writes `NAME.partial.EXT` beside it instead.
//!
//! The file writing itself (temporary file, fsync, rename, stale temporaries removed) is
//! [`crate::util::atomic_write`].

use crate::export::{self, Format};
use crate::model::{Bitext, FlagCode};
use std::path::{Path, PathBuf};

/// Why an output cannot be written where asked.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{output}: is the input {input} (the same file); refusing to overwrite an input")]
    IsInput { output: String, input: String },
    #[error("{output}: {other} would be written to the same file; choose distinct outputs")]
    SameOutput { output: String, other: String },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl OutputError {
    /// A refusal of the command line as given (exit status 2), not a failure of the run.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            OutputError::IsInput { .. } | OutputError::SameOutput { .. }
        )
    }
}

/// What a file path refers to: the device and inode of an existing file (so symlinks and hard
/// links compare equal), else the absolute path with its directory resolved.
#[derive(Debug, PartialEq, Eq)]
enum FileKey {
    Inode(u64, u64),
    Path(PathBuf),
}

fn inode_key(path: &Path) -> Option<FileKey> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileKey::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        std::fs::canonicalize(path).ok().map(FileKey::Path)
    }
}

/// The path with its directory canonicalised (the file itself may not exist yet).
fn path_key(path: &Path) -> FileKey {
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    FileKey::Path(dir.join(name))
}

/// Whether two paths name the same file: same inode when both exist, else the same resolved
/// path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (inode_key(a), inode_key(b)) {
        (Some(x), Some(y)) => x == y,
        _ => path_key(a) == path_key(b),
    }
}

/// Refuses outputs that are one of the inputs, or that two outputs share. Call it before any
/// work is done. `-` (standard output) is never a file.
pub fn check_outputs(inputs: &[&Path], outputs: &[&Path]) -> Result<(), OutputError> {
    let outputs: Vec<&Path> = outputs
        .iter()
        .copied()
        .filter(|p| *p != Path::new("-"))
        .collect();
    for (i, output) in outputs.iter().enumerate() {
        if let Some(input) = inputs.iter().find(|input| same_file(output, input)) {
            return Err(OutputError::IsInput {
                output: output.display().to_string(),
                input: input.display().to_string(),
            });
        }
        if let Some(other) = outputs[..i].iter().find(|other| same_file(output, other)) {
            return Err(OutputError::SameOutput {
                output: output.display().to_string(),
                other: other.display().to_string(),
            });
        }
    }
    Ok(())
}

/// Pairs with a translation: a non-empty target and no `failed` flag.
pub fn translated_pairs(bitext: &Bitext) -> usize {
    bitext
        .pairs
        .iter()
        .filter(|p| {
            !p.target.trim().is_empty() && !p.flags.iter().any(|f| f.code == FlagCode::Failed)
        })
        .count()
}

/// Translated pairs in an existing output, when its format can be read back (JSON, TSV, TMX,
/// XLIFF); `None` for HTML, Markdown, plain TSV or an unreadable file.
fn existing_translated_pairs(path: &Path, format: Format) -> Option<usize> {
    let format = match format {
        f @ (Format::Json | Format::Tsv | Format::Tmx | Format::Xliff) => f,
        _ => return None,
    };
    let text = std::fs::read_to_string(path).ok()?;
    let bitext = export::read(&text, format, &path.display().to_string()).ok()?;
    Some(translated_pairs(&bitext))
}

/// `dir/NAME.partial.EXT` for `dir/NAME.EXT`.
pub fn partial_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.partial.{}", ext.to_string_lossy()),
        None => format!("{stem}.partial"),
    };
    path.with_file_name(name)
}

/// Where [`write_guarded`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The output itself (new, or replaced by one at least as good).
    Output,
    /// `NAME.partial.EXT` beside an existing output that had more translated pairs (or whose
    /// count cannot be read) — the earlier output is kept.
    Partial { path: PathBuf, kept: PathBuf },
}

/// Writes a rendered bitext to `path` unless that would replace an existing output with one
/// that has fewer translated pairs (a run during an outage): then the new text goes to
/// [`partial_path`]. A complete bitext (every pair translated) always replaces; an incomplete
/// one replaces only an output known to have no more translated pairs. `force` always
/// replaces.
pub fn write_guarded(
    path: &Path,
    text: &[u8],
    bitext: &Bitext,
    format: Format,
    force: bool,
) -> Result<Written, OutputError> {
    let new = translated_pairs(bitext);
    let complete = new == bitext.pairs.len();
    let keep_existing = !force
        && !complete
        && path.exists()
        && existing_translated_pairs(path, format).is_none_or(|old| old > new);
    let (target, written) = if keep_existing {
        let partial = partial_path(path);
        (
            partial.clone(),
            Written::Partial {
                path: partial,
                kept: path.to_path_buf(),
            },
        )
    } else {
        (path.to_path_buf(), Written::Output)
    };
    crate::util::atomic_write(&target, text).map_err(|source| OutputError::Write {
        path: target.display().to_string(),
        source,
    })?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BlockKind, Flag, Meta, Origin, Pair, Severity};

    fn bitext(targets: &[&str]) -> Bitext {
        let pairs = targets
            .iter()
            .enumerate()
            .map(|(i, t)| Pair {
                id: format!("b1.s{}", i + 1),
                block: 1,
                kind: BlockKind::Paragraph,
                source: format!("句子{i}。"),
                target: t.to_string(),
                terms: Vec::new(),
                flags: if t.is_empty() {
                    vec![Flag {
                        code: FlagCode::Failed,
                        severity: Severity::Error,
                        message: "no answer".into(),
                        term: None,
                        expected: None,
                    }]
                } else {
                    Vec::new()
                },
                origin: Origin::Manual,
            })
            .collect();
        Bitext {
            pairs,
            ..Bitext::new("zh", "en", Meta::default())
        }
    }

    #[test]
    fn inputs_links_and_duplicate_outputs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("art.md");
        std::fs::write(&input, "文").unwrap();
        let out = dir.path().join("out.html");
        assert!(check_outputs(&[&input], &[&out]).is_ok());
        let err = check_outputs(&[&input], &[&input]).unwrap_err();
        assert!(
            err.is_usage() && err.to_string().contains("is the input"),
            "{err}"
        );
        // The same file through another spelling of its path.
        let dotted = dir.path().join(".").join("art.md");
        assert!(check_outputs(&[&input], &[&dotted]).is_err());
        #[cfg(unix)]
        {
            let link = dir.path().join("link.md");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(check_outputs(&[&input], &[&link]).is_err());
            let hard = dir.path().join("hard.md");
            std::fs::hard_link(&input, &hard).unwrap();
            assert!(check_outputs(&[&input], &[&hard]).is_err());
        }
        let err = check_outputs(&[&input], &[&out, &dir.path().join("./out.html")]).unwrap_err();
        assert!(matches!(err, OutputError::SameOutput { .. }), "{err}");
        assert!(check_outputs(&[&input], &[Path::new("-"), Path::new("-")]).is_ok());
    }

    #[test]
    fn a_worse_run_writes_beside_the_good_output() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("art.json");
        let good = bitext(&["One.", "Two."]);
        let bad = bitext(&["", ""]);
        let json = |b: &Bitext| crate::export::json::render(b).into_bytes();
        assert_eq!(
            write_guarded(&path, &json(&good), &good, Format::Json, false).unwrap(),
            Written::Output
        );
        let written = write_guarded(&path, &json(&bad), &bad, Format::Json, false).unwrap();
        let partial = dir.path().join("art.partial.json");
        assert_eq!(
            written,
            Written::Partial {
                path: partial.clone(),
                kept: path.clone()
            }
        );
        assert_eq!(std::fs::read(&path).unwrap(), json(&good));
        assert_eq!(std::fs::read(&partial).unwrap(), json(&bad));
        // As good (one of two) as a one-of-two output: replaces it.
        let half = bitext(&["One.", ""]);
        std::fs::write(&path, json(&half)).unwrap();
        assert_eq!(
            write_guarded(&path, &json(&half), &half, Format::Json, false).unwrap(),
            Written::Output
        );
        // --force replaces anything.
        assert_eq!(
            write_guarded(&path, &json(&bad), &bad, Format::Json, true).unwrap(),
            Written::Output
        );
        assert_eq!(std::fs::read(&path).unwrap(), json(&bad));
        // A format that cannot be counted keeps the existing file unless the new one is
        // complete.
        let html = dir.path().join("art.html");
        std::fs::write(&html, "<p>good</p>").unwrap();
        assert!(matches!(
            write_guarded(&html, b"<p>bad</p>", &bad, Format::Html, false).unwrap(),
            Written::Partial { .. }
        ));
        assert_eq!(std::fs::read(&html).unwrap(), b"<p>good</p>");
        assert_eq!(
            write_guarded(&html, b"<p>new</p>", &good, Format::Html, false).unwrap(),
            Written::Output
        );
    }

    #[test]
    fn partial_names_keep_the_extension() {
        assert_eq!(
            partial_path(Path::new("out/art.html")),
            Path::new("out/art.partial.html")
        );
        assert_eq!(partial_path(Path::new("art")), Path::new("art.partial"));
    }
}
