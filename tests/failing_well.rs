//! Failing well at the edges (issue 12): outputs never land on inputs or on each other, a
//! worse run never replaces a good output, hostile bytes never reach the terminal raw, URL
//! secrets are never printed, and io errors are told once.

use crate::common;
use std::path::Path;

/// Runs `bitext ARGS` in `dir`; returns (status code, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = common::bitext()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn article_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::sample(), dir.path().join("x.md")).unwrap();
    dir
}

/// Each refusal is exit 2, one line naming the output and the input, and the input intact.
fn assert_refused(dir: &Path, args: &[&str], input: &str) {
    let before = std::fs::read(dir.join(input)).unwrap();
    let (code, stderr) = run_in(dir, args);
    assert_eq!(code, 2, "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("refusing to overwrite an input"),
        "{args:?}: {stderr}"
    );
    assert_eq!(std::fs::read(dir.join(input)).unwrap(), before, "{args:?}");
}

#[test]
fn translate_refuses_to_write_over_its_input() {
    let dir = article_dir();
    let d = dir.path();
    let gloss = ["-b", "gloss", "--no-cache"];
    let cases: Vec<Vec<&str>> = vec![
        vec!["translate", "x.md", "-o", "x.md"],
        vec!["translate", "x.md", "-o", "./x.md", "-f", "html"],
        vec!["translate", "x.md", "--out-dir", ".", "-f", "md"],
    ];
    for mut args in cases {
        args.extend(gloss);
        assert_refused(d, &args, "x.md");
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("x.md"), d.join("link.md")).unwrap();
        std::fs::hard_link(d.join("x.md"), d.join("hard.md")).unwrap();
        for out in ["link.md", "hard.md"] {
            let mut args = vec!["translate", "x.md", "-o", out, "-f", "md"];
            args.extend(gloss);
            assert_refused(d, &args, "x.md");
        }
    }
    // Nor over the glossary it reads.
    std::fs::copy(common::glossary(), d.join("g.toml")).unwrap();
    let mut args = vec![
        "translate",
        "x.md",
        "-g",
        "g.toml",
        "-o",
        "g.toml",
        "-f",
        "tsv",
    ];
    args.extend(gloss);
    assert_refused(d, &args, "g.toml");
    // Two inputs with one stem cannot share an output.
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::copy(d.join("x.md"), d.join("sub/x.md")).unwrap();
    let (code, stderr) = run_in(
        d,
        &[
            "translate",
            "x.md",
            "sub/x.md",
            "--out-dir",
            "out",
            "-b",
            "gloss",
            "--no-cache",
        ],
    );
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("two inputs would be written to"),
        "{stderr}"
    );
}

#[test]
fn export_align_and_glossary_export_refuse_their_inputs() {
    let dir = article_dir();
    let d = dir.path();
    let (code, stderr) = run_in(
        d,
        &[
            "translate",
            "x.md",
            "-o",
            "x.json",
            "-b",
            "gloss",
            "--no-cache",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_refused(
        d,
        &["export", "x.json", "-o", "x.json", "-f", "html"],
        "x.json",
    );
    std::fs::write(d.join("en.txt"), "The expo opened. It closed.\n").unwrap();
    assert_refused(d, &["align", "x.md", "en.txt", "-o", "en.txt"], "en.txt");
    std::fs::copy(common::glossary(), d.join("g.toml")).unwrap();
    assert_refused(
        d,
        &[
            "glossary", "-g", "g.toml", "export", "-f", "tsv", "-o", "./g.toml",
        ],
        "g.toml",
    );
}

#[test]
fn io_errors_are_told_once_and_control_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run_in(dir.path(), &["split", "missing.md"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.trim_end(),
        "bitext: error: missing.md: cannot read: No such file or directory (os error 2)"
    );
    // A file name (or any text) with ESC/OSC/BEL is shown escaped, never raw.
    let (code, stderr) = run_in(
        dir.path(),
        &["split", "evil\u{1b}]0;pwned\u{7}\u{1b}[2J.md"],
    );
    assert_eq!(code, 1);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("evil\\x1b]0;pwned\\x07\\x1b[2J.md"),
        "{stderr:?}"
    );
}

#[test]
fn backends_never_print_url_credentials() {
    let output = common::bitext()
        .env(
            "OPENAI_BASE_URL",
            "http://user:sk-SECRET-in-url@127.0.0.1:9/v1?key=sk-SECRET-param&x=1",
        )
        .arg("backends")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(!stdout.contains("SECRET"), "{stdout}");
    assert!(stdout.contains("127.0.0.1:9"), "{stdout}");
}
