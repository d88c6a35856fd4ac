//! Which glossary files a command uses — one rule for `translate`, `align`, `check`,
//! `terms` and `glossary`. First `-g` files (repeatable; a directory means every `*.toml`
//! in it), else `glossary` in `bitext.toml`, else `glossary/zh-en.toml` in the current
//! folder (or every `*.toml` in `./glossary/` when that file is absent); `--no-glossary`
//! turns it off.

use super::{Glossary, GlossaryError};
use std::path::{Path, PathBuf};

/// Where the glossary files came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GlossaryOrigin {
    /// `-g`/`--glossary` on the command line.
    CommandLine,
    /// `glossary = [...]` in `bitext.toml`.
    Config,
    /// The project's `glossary/` folder, found by default.
    ProjectFolder,
    /// None: `--no-glossary`, or nothing configured and no `glossary/` folder.
    None,
}

/// The glossary files a command uses and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryChoice {
    pub paths: Vec<PathBuf>,
    pub origin: GlossaryOrigin,
}

impl GlossaryChoice {
    /// Loads the files as layers (later wins); `None` when there are none.
    pub fn load(&self) -> Result<Option<Glossary>, GlossaryError> {
        if self.paths.is_empty() {
            return Ok(None);
        }
        Glossary::load_layered(&self.paths).map(Some)
    }

    /// For run summaries: `glossary: glossary/zh-en.toml (project folder)` or
    /// `glossary: none`.
    pub fn describe(&self) -> String {
        if self.paths.is_empty() {
            return "glossary: none".to_string();
        }
        let files: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        let why = match self.origin {
            GlossaryOrigin::CommandLine => "-g",
            GlossaryOrigin::Config => "bitext.toml",
            GlossaryOrigin::ProjectFolder => "project folder",
            GlossaryOrigin::None => "none",
        };
        format!("glossary: {} ({why})", files.join(", "))
    }
}

/// The project glossary file looked for in `dir` when nothing else is given.
pub const DEFAULT_GLOSSARY: &str = "glossary/zh-en.toml";

/// Resolves the glossary files: `given` (`-g`) > `configured` (`bitext.toml`) > the project
/// folder under `dir`. Directories among `given` and `configured` expand to their `*.toml`
/// files (sorted by name). A given or configured path that does not exist is an error.
pub fn resolve(
    given: &[PathBuf],
    configured: &[PathBuf],
    no_glossary: bool,
    dir: &Path,
) -> Result<GlossaryChoice, GlossaryError> {
    if no_glossary {
        return Ok(GlossaryChoice {
            paths: Vec::new(),
            origin: GlossaryOrigin::None,
        });
    }
    let (listed, origin) = if !given.is_empty() {
        (given, GlossaryOrigin::CommandLine)
    } else if !configured.is_empty() {
        (configured, GlossaryOrigin::Config)
    } else {
        return Ok(project_default(dir));
    };
    let mut paths = Vec::new();
    if listed.iter().filter(|p| super::is_stdin(p)).count() > 1 {
        return Err(GlossaryError::file(
            Path::new("-"),
            "standard input can be read as one glossary only",
        ));
    }
    for path in listed {
        if super::is_stdin(path) {
            paths.push(path.clone());
        } else if path.is_dir() {
            let files = toml_files(path)?;
            if files.is_empty() {
                return Err(GlossaryError::file(
                    path,
                    "directory has no *.toml glossary",
                ));
            }
            paths.extend(files);
        } else if path.exists() {
            paths.push(path.clone());
        } else {
            return Err(GlossaryError::file(path, "glossary file does not exist"));
        }
    }
    Ok(GlossaryChoice { paths, origin })
}

/// `dir/glossary/zh-en.toml`, else every `*.toml` in `dir/glossary/`, else none.
fn project_default(dir: &Path) -> GlossaryChoice {
    let none = GlossaryChoice {
        paths: Vec::new(),
        origin: GlossaryOrigin::None,
    };
    let file = dir.join(DEFAULT_GLOSSARY);
    // Shown relative when `dir` is the current folder (`glossary/zh-en.toml`).
    let shown = |p: PathBuf| {
        if dir == Path::new(".") || dir.as_os_str().is_empty() {
            p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p)
        } else {
            p
        }
    };
    if file.is_file() {
        return GlossaryChoice {
            paths: vec![shown(file)],
            origin: GlossaryOrigin::ProjectFolder,
        };
    }
    match toml_files(&dir.join("glossary")) {
        Ok(files) if !files.is_empty() => GlossaryChoice {
            paths: files.into_iter().map(shown).collect(),
            origin: GlossaryOrigin::ProjectFolder,
        },
        _ => none,
    }
}

/// The `*.toml` files of a directory, sorted by name.
fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, GlossaryError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| GlossaryError::file(dir, format!("cannot read directory: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    const ONE: &str = "[[term]]\nsource = \"两江新区\"\ntarget = \"Liangjiang New Area\"\n";

    #[test]
    fn standard_input_is_one_given_glossary_at_most() {
        let dir = tempfile::tempdir().unwrap();
        let dash = PathBuf::from("-");
        let one = resolve(std::slice::from_ref(&dash), &[], false, dir.path()).unwrap();
        assert_eq!(one.paths, std::slice::from_ref(&dash));
        let err = resolve(&[dash.clone(), dash], &[], false, dir.path()).unwrap_err();
        assert!(err.to_string().contains("one glossary only"), "{err}");
    }

    #[test]
    fn precedence_flags_config_project_folder() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("glossary/zh-en.toml");
        write(&project, ONE);
        let other = dir.path().join("other.toml");
        write(&other, ONE);
        let choice = resolve(&[], &[], false, dir.path()).unwrap();
        assert_eq!(
            (choice.paths, choice.origin),
            (vec![project.clone()], GlossaryOrigin::ProjectFolder)
        );
        let choice = resolve(&[], std::slice::from_ref(&other), false, dir.path()).unwrap();
        assert_eq!(choice.origin, GlossaryOrigin::Config);
        let choice = resolve(
            std::slice::from_ref(&other),
            std::slice::from_ref(&project),
            false,
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            (choice.paths, choice.origin),
            (vec![other.clone()], GlossaryOrigin::CommandLine)
        );
        let choice = resolve(&[other], &[], true, dir.path()).unwrap();
        assert!(choice.paths.is_empty());
        assert_eq!(choice.describe(), "glossary: none");
        assert!(choice.load().unwrap().is_none());
    }

    #[test]
    fn folder_of_toml_files_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("glossary/b.toml"), ONE);
        write(&dir.path().join("glossary/a.toml"), ONE);
        write(&dir.path().join("glossary/notes.txt"), "x");
        let choice = resolve(&[], &[], false, dir.path()).unwrap();
        let names: Vec<_> = choice
            .paths
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.toml", "b.toml"]);
        assert_eq!(choice.load().unwrap().unwrap().terms.len(), 1);
        // A directory given with -g, one broken file: the error names it and its line.
        write(&dir.path().join("glossary/c.toml"), "[[term]]\nsource = \n");
        let choice = resolve(&[dir.path().join("glossary")], &[], false, dir.path()).unwrap();
        let err = choice.load().unwrap_err().to_string();
        assert!(err.contains("c.toml:2:"), "{err}");
        assert!(!err.contains('\n'));
        let missing = resolve(&[dir.path().join("nope.toml")], &[], false, dir.path()).unwrap_err();
        assert!(
            missing
                .to_string()
                .ends_with("nope.toml: glossary file does not exist"),
            "{missing}"
        );
        let empty = tempfile::tempdir().unwrap();
        let choice = resolve(&[], &[], false, empty.path()).unwrap();
        assert_eq!(choice.origin, GlossaryOrigin::None);
    }
}
