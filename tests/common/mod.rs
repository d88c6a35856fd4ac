//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample article (the seed, Chongqing Daily, 24 August 2021).
pub fn sample() -> PathBuf {
    root().join("samples/smart-china-expo-2021.zh.md")
}

/// The shipped glossary.
pub fn glossary() -> PathBuf {
    root().join("glossary/zh-en.toml")
}

/// A fresh folder for one command's user cache (`XDG_CACHE_HOME`), so that what a run keeps
/// there (the memory, what it learned about servers) never leaks into another test.
fn private_cache_home() -> PathBuf {
    static BASE: std::sync::LazyLock<tempfile::TempDir> =
        std::sync::LazyLock::new(|| tempfile::tempdir().expect("temp dir"));
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    BASE.path().join(format!("xdg-cache-{n}"))
}

/// The `bitext` binary, with a clean environment for backend settings and a private user
/// cache folder (a test that wants two runs to share it sets `XDG_CACHE_HOME` itself).
pub fn bitext() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_bitext"));
    cmd.env("XDG_CACHE_HOME", private_cache_home());
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "DEEPL_AUTH_KEY",
        "DEEPL_SERVER_URL",
        "LIBRETRANSLATE_URL",
        "LIBRETRANSLATE_API_KEY",
        "BITEXT_CONFIG",
        "BITEXT_BACKEND",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(root());
    cmd
}

/// The shared/ folder beside the checkout, when present (evaluation data).
pub fn shared() -> Option<PathBuf> {
    let dir = root().join("../shared");
    dir.is_dir().then_some(dir)
}

/// Finds an external tool the test needs (a real client: xmllint, chromium, translate-toolkit,
/// OmegaT, LibreOffice …). `candidates` are command names or absolute paths, tried in order.
///
/// When none is found: under CI (`CI` set, as `.ci/run` runs) the test fails, because `.ci/run`
/// installs every tool the tests need and a missing one is a broken set-up, not a pass; on a
/// developer's machine the test prints why it did not run and returns `None`.
pub fn require_tool(candidates: &[&str], install_hint: &str) -> Option<PathBuf> {
    let found = candidates.iter().find_map(|name| find_in_path(name));
    if found.is_none() {
        let msg = format!(
            "none of {candidates:?} found; install with: {install_hint} (.ci/run does this)"
        );
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("NOT RUN (not under CI): {msg}");
    }
    found
}

/// A condition the test needs besides a tool (a file inside a package, a Python module):
/// fails under CI, returns `false` with a note elsewhere. See [`require_tool`].
pub fn require(available: bool, what: &str, install_hint: &str) -> bool {
    if !available {
        let msg = format!("{what} not available; install with: {install_hint} (.ci/run does this)");
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("NOT RUN (not under CI): {msg}");
    }
    available
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::path::Path::new(name);
    if path.is_absolute() {
        return path.is_file().then(|| path.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}
