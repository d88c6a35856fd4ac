//! The bad-input corpus for `bitext translate`: bad glossaries, an unknown backend, a missing
//! API key, HTTP 401, DeepL 456, an output path in a missing directory and an unwritable
//! output. Each case fails with exit status 1 and one line on stderr (pinned in a snapshot,
//! temporary paths and the server's port replaced), and leaves no output file behind.

use crate::common::bitext;
use crate::sim::{Outcome, Sim, SimConfig};
use std::fmt::Write;
use std::path::Path;

/// A small article (two sentences, one glossary term).
const ARTICLE: &str = "# 两江新区\n\n两江新区举办智博会。重庆发展数字经济。\n";

struct Case {
    name: &'static str,
    /// Glossary file bytes, when the case brings its own glossary.
    glossary: Option<Vec<u8>>,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// Output path relative to the case directory (`-o`).
    output: &'static str,
}

/// Runs a case in its own directory; returns the report line and asserts the contract.
fn run_case(case: &Case, dir: &Path, sim: Option<&Sim>) -> String {
    let article = dir.join("article.zh.md");
    std::fs::write(&article, ARTICLE).unwrap();
    let mut cmd = bitext();
    cmd.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
        .arg("translate")
        .arg("article.zh.md")
        .arg("-o")
        .arg(case.output)
        .arg("--cache")
        .arg(dir.join("cache"));
    if let Some(bytes) = &case.glossary {
        std::fs::write(dir.join("glossary.toml"), bytes).unwrap();
        cmd.args(["-g", "glossary.toml"]);
    }
    cmd.args(&case.args);
    for (key, value) in &case.env {
        cmd.env(key, value);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}: {stderr}", case.name);
    assert!(out.stdout.is_empty(), "{}", case.name);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("bitext: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}: one error line: {stderr}", case.name);
    assert!(
        !stderr.contains("sk-canary"),
        "{}: key leaked: {stderr}",
        case.name
    );
    // Nothing half-written: no output file, no temporary file beside it.
    let output = dir.join(case.output);
    if output.parent().is_some_and(Path::is_dir) {
        let leftovers: Vec<String> = std::fs::read_dir(output.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".bitext-") || n == "out.json")
            .collect();
        assert_eq!(leftovers, Vec::<String>::new(), "{}", case.name);
    }
    let mut line = errors[0].replace(dir.to_str().unwrap(), "[DIR]");
    // tempfile's random name for the atomic write.
    line = regex::Regex::new(r"\.bitext-[A-Za-z0-9]+\.tmp")
        .unwrap()
        .replace_all(&line, ".bitext-[RANDOM].tmp")
        .into_owned();
    if let Some(sim) = sim {
        line = line.replace(&sim.addr().port().to_string(), "[PORT]");
    }
    if let Some(sim) = sim {
        // The one request the case needed, no retry of a fatal answer.
        assert_eq!(sim.stats().requests, 1, "{}: {:?}", case.name, sim.stats());
        assert_eq!(sim.stats().outcome(Outcome::Fixed), 1);
    }
    line
}

fn s(text: &str) -> String {
    text.to_string()
}

#[test]
fn translate_bad_inputs_give_one_line_errors() {
    let openai = |sim: &Sim| {
        vec![
            ("OPENAI_BASE_URL", sim.base_url()),
            ("OPENAI_API_KEY", s("sk-canary-0123456789abcdef")),
        ]
    };
    let mut report = String::new();
    let mut run = |case: Case, sim: Option<&Sim>| {
        let dir = tempfile::tempdir().unwrap();
        let line = run_case(&case, dir.path(), sim);
        writeln!(report, "{}\n  {line}", case.name).unwrap();
    };

    let mut not_utf8 = b"[[term]]\nsource = \"".to_vec();
    not_utf8.extend_from_slice(&[0xC1, 0xBD, 0xBD, 0xAD]); // 两江 in GBK
    not_utf8.extend_from_slice(b"\"\ntarget = \"Liangjiang\"\n");
    // Every case talks to loopback only: a server that would answer well.
    let fine = Sim::start(SimConfig::default());
    let glossary_cases: [(&str, Vec<u8>); 4] = [
        (
            "glossary: bad TOML",
            "[[term]\nsource = \"两江新区\"\n".into(),
        ),
        (
            "glossary: wrong type",
            "[[term]]\nsource = \"两江新区\"\ntarget = 3\n".into(),
        ),
        (
            "glossary: missing target",
            "[[term]]\nsource = \"两江新区\"\n".into(),
        ),
        ("glossary: not UTF-8", not_utf8),
    ];
    for (name, text) in glossary_cases {
        run(
            Case {
                name,
                glossary: Some(text),
                args: vec![s("-b"), s("openai")],
                env: openai(&fine),
                output: "out.json",
            },
            None,
        );
    }
    run(
        Case {
            name: "unknown backend",
            glossary: None,
            args: vec![s("-b"), s("nosuch")],
            env: vec![],
            output: "out.json",
        },
        None,
    );
    // The default base URL (api.openai.com) needs a key. Should the check ever be missing,
    // the request goes to a dead proxy on loopback, never to the internet.
    let dead_proxy = || {
        [
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "ALL_PROXY",
            "https_proxy",
            "http_proxy",
        ]
        .map(|var| (var, s("http://127.0.0.1:9")))
        .to_vec()
    };
    run(
        Case {
            name: "missing API key (openai)",
            glossary: None,
            args: vec![s("-b"), s("openai")],
            env: dead_proxy(),
            output: "out.json",
        },
        None,
    );
    let mut deepl_env = dead_proxy();
    deepl_env.push(("DEEPL_SERVER_URL", format!("http://{}", fine.addr())));
    run(
        Case {
            name: "missing API key (deepl)",
            glossary: None,
            args: vec![s("-b"), s("deepl")],
            env: deepl_env,
            output: "out.json",
        },
        None,
    );
    let unauthorized = Sim::start(SimConfig {
        fixed_status: Some((
            401,
            s(
                r#"{"error":{"message":"Incorrect API key provided: sk-canar************cdef.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
            ),
        )),
        ..SimConfig::default()
    });
    run(
        Case {
            name: "HTTP 401",
            glossary: None,
            args: vec![s("-b"), s("openai")],
            env: openai(&unauthorized),
            output: "out.json",
        },
        Some(&unauthorized),
    );
    let quota = Sim::start(SimConfig {
        fixed_status: Some((456, s(r#"{"message":"Quota exceeded"}"#))),
        ..SimConfig::default()
    });
    run(
        Case {
            name: "DeepL 456",
            glossary: None,
            args: vec![s("-b"), s("deepl")],
            env: vec![
                ("DEEPL_SERVER_URL", format!("http://{}", quota.addr())),
                ("DEEPL_AUTH_KEY", s("sk-canary-0123456789abcdef")),
            ],
            output: "out.json",
        },
        Some(&quota),
    );
    let requests_before = fine.stats().requests;
    run(
        Case {
            name: "output in a missing directory",
            glossary: None,
            args: vec![s("-b"), s("openai")],
            env: openai(&fine),
            output: "missing/dir/out.json",
        },
        None,
    );
    // A path through a regular file cannot be created, even by root.
    run(
        Case {
            name: "output under a regular file",
            glossary: None,
            args: vec![s("-b"), s("openai")],
            env: openai(&fine),
            output: "article.zh.md/out.json",
        },
        None,
    );
    assert_eq!(
        fine.stats().requests,
        requests_before,
        "an unwritable output is refused before any request is sent"
    );
    insta::assert_snapshot!("translate_bad_inputs", report);
}

/// An output file that cannot be written (a read-only directory): exit 1, one line, the old
/// file untouched and no temporary file left. Skipped as root, who can write anywhere (the
/// snapshot's "output under a regular file" case fails for root too).
#[test]
fn unwritable_output_leaves_the_old_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let out = locked.join("out.json");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(locked.join("probe"), "x").is_ok() {
        eprintln!("running as root: a read-only directory is writable; case skipped");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let sim = Sim::start(SimConfig::default());
    std::fs::write(dir.path().join("a.zh.md"), ARTICLE).unwrap();
    let output = bitext()
        .current_dir(dir.path())
        .env("OPENAI_BASE_URL", sim.base_url())
        .env("OPENAI_API_KEY", "sk-sim")
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .args([
            "translate",
            "a.zh.md",
            "-b",
            "openai",
            "-o",
            "locked/out.json",
        ])
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .output()
        .unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("locked/out.json: cannot write"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
    assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 1);
}

/// An output path that is a directory: the same contract.
#[test]
fn output_path_that_is_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out.json")).unwrap();
    std::fs::write(dir.path().join("a.zh.md"), ARTICLE).unwrap();
    let sim = Sim::start(SimConfig::default());
    let output = bitext()
        .current_dir(dir.path())
        .env("OPENAI_BASE_URL", sim.base_url())
        .env("OPENAI_API_KEY", "sk-sim")
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .args(["translate", "a.zh.md", "-b", "openai", "-o", "out.json"])
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("bitext: error:"))
            .count(),
        1,
        "{stderr}"
    );
}

/// Issue 8 lists "duplicate terms" among the glossary inputs that must be refused with a
/// one-line error. `bitext glossary lint` reports them (checked below), but `translate` loads
/// such a glossary and the later entry silently wins (src/glossary/mod.rs documents this).
#[test]

fn translate_refuses_duplicate_terms() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig::default());
    let case = Case {
        name: "glossary: duplicate terms",
        glossary: Some(DUPLICATES.into()),
        args: vec![s("-b"), s("openai")],
        env: vec![
            ("OPENAI_BASE_URL", sim.base_url()),
            ("OPENAI_API_KEY", s("sk-sim")),
        ],
        output: "out.json",
    };
    let line = run_case(&case, dir.path(), None);
    assert!(line.contains("glossary.toml:5"), "{line}");
}

const DUPLICATES: &str = "[[term]]\nsource = \"两江新区\"\ntarget = \"Liangjiang New Area\"\n\n[[term]]\nsource = \"两江新区\"\ntarget = \"Liangjiang District\"\n";

#[test]
fn glossary_lint_reports_duplicate_terms() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dup.toml"), DUPLICATES).unwrap();
    let out = bitext()
        .current_dir(dir.path())
        .args(["glossary", "-g", "dup.toml", "lint"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
    insta::assert_snapshot!("glossary_lint_duplicates", text);
}
