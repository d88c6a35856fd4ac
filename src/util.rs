//! Small file helpers shared by the stages that write files.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, then
/// rename. An error leaves the old file (if any) untouched and no half-written file behind.
/// A new file gets the usual permissions (0666 less the umask), a replaced file keeps its own.
///
/// Each temporary file is locked while it is written; temporaries of the same name pattern
/// left by a killed run (unlocked) are removed first, so a kill leaves nothing behind for long.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    remove_stale_temps(dir, path);
    let (tmp_path, mut file) = create_temp_beside(dir, path)?;
    let result = (|| {
        file.lock()?;
        file.write_all(bytes)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        // The lock is held through the rename, so no other run takes the file for stale.
        std::fs::rename(&tmp_path, path)
    })();
    drop(file);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    result
}

/// Checks, before any work is done, that [`atomic_write`] to `path` can succeed: the path is
/// not a directory and a file can be created beside it (the probe file is removed).
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let dir = parent_dir(path);
    let (probe, file) = create_temp_beside(dir, path)?;
    drop(file);
    std::fs::remove_file(probe)
}

/// The directory a file is written in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The name pattern of our temporary files for `path`: `.NAME.bitext-XXXXXXXX.tmp`.
fn temp_name(path: &Path, tag: u32) -> String {
    format!(".{}.bitext-{tag:08x}.tmp", file_name(path))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `name` is one of our temporary files for the file named `stem`.
fn is_our_temp(name: &str, stem: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|n| n.strip_prefix(stem))
        .and_then(|n| n.strip_prefix(".bitext-"))
        .and_then(|n| n.strip_suffix(".tmp"))
        .is_some_and(|tag| tag.len() == 8 && tag.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Removes temporary files of ours for `path` that no live writer holds (a writer locks its
/// file until the rename). Best effort: a file that cannot be opened or removed stays.
fn remove_stale_temps(dir: &Path, path: &Path) {
    let stem = file_name(path);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !is_our_temp(&name.to_string_lossy(), &stem) {
            continue;
        }
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(entry.path()) else {
            continue;
        };
        if file.try_lock().is_ok() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Creates a new, uniquely named file in `dir` with the default mode (the umask applies, which
/// tempfile's 0600 files would not honour).
fn create_temp_beside(dir: &Path, path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut attempts = 0;
    loop {
        let tmp_path = dir.join(temp_name(path, fastrand::u32(..)));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
        {
            Ok(file) => return Ok((tmp_path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 16 => {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        atomic_write(&path, b"one").unwrap();
        atomic_write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_default_permissions_and_replaced_files_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.txt");
        atomic_write(&path, b"x").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // The same mode as a file created the ordinary way (0666 less the umask).
        let reference = dir.path().join("reference.txt");
        std::fs::write(&reference, b"r").unwrap();
        let expected = std::fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        atomic_write(&path, b"y").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn stale_temps_of_a_killed_run_are_removed_on_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.html");
        // Left by a killed run (nobody holds them), and other files that merely look alike.
        let stale = dir.path().join(".a.html.bitext-0123abcd.tmp");
        std::fs::write(&stale, b"half").unwrap();
        let other = dir.path().join(".b.html.bitext-0123abcd.tmp");
        std::fs::write(&other, b"x").unwrap();
        let user = dir.path().join(".a.html.bitext-notmine.tmp");
        std::fs::write(&user, b"x").unwrap();
        // A live writer holds its lock: its file stays.
        let live = dir.path().join(".a.html.bitext-89abcdef.tmp");
        let held = std::fs::File::create(&live).unwrap();
        held.lock().unwrap();
        atomic_write(&path, b"ok").unwrap();
        assert!(!stale.exists());
        assert!(other.exists() && user.exists() && live.exists());
        drop(held);
        atomic_write(&path, b"ok2").unwrap();
        assert!(!live.exists());
        assert_eq!(std::fs::read(&path).unwrap(), b"ok2");
    }

    #[test]
    fn writability_is_checked_without_leaving_files() {
        let dir = tempfile::tempdir().unwrap();
        check_writable(&dir.path().join("out.html")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(check_writable(&dir.path().join("missing/out.html")).is_err());
        assert!(check_writable(dir.path()).is_err());
    }

    #[test]
    fn atomic_write_into_missing_dir_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("a.txt");
        assert!(atomic_write(&path, b"x").is_err());
        assert!(!path.exists());
    }
}

/// Escapes a TSV field: backslash, tab, newline and carriage return become `\\`, `\t`, `\n`
/// and `\r`. The one escaping used by every TSV that bitext writes.
pub fn escape_tsv(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

/// Reverses [`escape_tsv`]. An unknown escape keeps its backslash.
pub fn unescape_tsv(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tsv_tests {
    use super::*;

    #[test]
    fn tsv_escaping_round_trips() {
        let text = "a\tb\nc\\d\re";
        assert_eq!(escape_tsv(text), "a\\tb\\nc\\\\d\\re");
        assert_eq!(unescape_tsv(&escape_tsv(text)), text);
        assert_eq!(unescape_tsv("x\\q"), "x\\q");
    }
}
