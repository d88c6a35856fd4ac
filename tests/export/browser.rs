//! The HTML export in a real browser: headless Chromium lays out the sample article (plus the
//! small bitext's hostile text) at 1280 and 390 px; an inline script, injected only into the
//! test copy, writes measurements into the DOM, which `--dump-dom` hands back. Screenshots of
//! the real page go to `target/`.

use super::small;
use crate::common::root;
use bitext::Bitext;
use bitext::export::{self, ExportOptions, Format};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n";

/// Measures the framed page after everything has loaded and writes the result into the
/// wrapper's DOM for `--dump-dom`.
const PROBE: &str = r##"<script>
window.addEventListener("load", function () {
  try { measure(); } catch (e) {
    var out = document.createElement("pre");
    out.id = "bitext-test-result";
    out.textContent = JSON.stringify({error: String(e)});
    document.body.appendChild(out);
  }
});
function measure() {
  var w = document.getElementById("page").contentWindow;
  var d = w.document;
  var root = d.documentElement;
  var r = {
    innerWidth: w.innerWidth,
    clientWidth: root.clientWidth,
    scrollWidth: Math.max(root.scrollWidth, d.body.scrollWidth),
    pairs: 0, misaligned: [], stacked: 0, overflow: [],
    ran: typeof w.bitextPwned !== "undefined",
    scripts: d.scripts.length,
    shown: d.body.textContent.indexOf("<script>window.bitextPwned=1<" + "/script>") >= 0
  };
  d.querySelectorAll(".pair").forEach(function (p) {
    r.pairs++;
    var s = p.querySelector(".src").getBoundingClientRect();
    var t = p.querySelector(".tgt").getBoundingClientRect();
    if (Math.abs(s.top - t.top) > 0.5) r.misaligned.push(p.id);
    if (t.top >= s.bottom - 0.5) r.stacked++;
  });
  d.querySelectorAll("body *").forEach(function (e) {
    var b = e.getBoundingClientRect();
    if (b.width > 0 && (b.right > root.clientWidth + 0.5 || b.left < -0.5)) {
      r.overflow.push(e.tagName + "." + e.className + "#" + e.id + " " + b.left + ".." + b.right);
    }
  });
  var out = document.createElement("pre");
  out.id = "bitext-test-result";
  out.textContent = JSON.stringify(r);
  document.body.appendChild(out);
}
</script>
"##;

/// Headless Chromium will not make a window narrower than 500 px, so the page is laid out in
/// an iframe of exactly `width` px (a `srcdoc` frame: same origin as the wrapper, so the probe
/// can measure it). The frame has its own viewport, so the page's media queries see `width`.
fn wrapper(page: &str, width: u32, height: u32, probe: bool) -> String {
    let srcdoc = page.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>html, body {{ margin: 0; padding: 0; overflow: hidden; }}</style></head>\n<body><iframe id=\"page\" style=\"display: block; border: 0; width: {width}px; height: {height}px\" srcdoc=\"{srcdoc}\"></iframe>\n{}</body></html>\n",
        if probe { PROBE } else { "" }
    )
}

fn chromium() -> Option<PathBuf> {
    crate::common::require_tool(
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install chromium",
    )
}

/// Runs headless Chromium on `page` with a fresh profile; kills it after two minutes.
fn run(browser: &Path, width: u32, height: u32, extra: &[String], page: &Path) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={width},{height}"))
        .arg("--virtual-time-budget=5000")
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let id = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output());
    while !waiter.is_finished() {
        if Instant::now() > deadline {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    waiter.join().unwrap().expect("chromium output")
}

/// The sample article's gloss translation with the small bitext's pairs appended (ids and
/// blocks moved after it), so the page has real length and hostile text.
fn page_bitext() -> Bitext {
    let mut b = super::gloss_sample();
    let last = b.pairs.last().map_or(0, |p| p.block);
    for mut pair in small().pairs {
        pair.block += last;
        let (_, rest) = pair.id.split_once('.').unwrap();
        pair.id = format!("b{}.{rest}", pair.block);
        b.pairs.push(pair);
    }
    // A long unbreakable token (a URL) must wrap rather than widen the page.
    let mut long = b.pairs[b.pairs.len() - 2].clone();
    long.id = format!("b{}.s1", long.block + 1);
    long.block += 1;
    long.source = format!("详见https://example.org/{}。", "0123456789".repeat(15));
    long.target = format!("See https://example.org/{}.", "0123456789".repeat(15));
    b.pairs.push(long);
    b
}

fn measurements(dom: &str) -> serde_json::Value {
    let start = dom
        .find("<pre id=\"bitext-test-result\">")
        .unwrap_or_else(|| {
            let tail = dom.len().saturating_sub(1500);
            let tail = (tail..dom.len())
                .find(|&i| dom.is_char_boundary(i))
                .unwrap_or(0);
            panic!("no result in the DOM; it ends with:\n{}", &dom[tail..])
        });
    let rest = &dom[start + "<pre id=\"bitext-test-result\">".len()..];
    let json = &rest[..rest.find("</pre>").unwrap()];
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

#[test]
fn html_in_headless_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    let b = page_bitext();
    let html = export::render(&b, Format::Html, &ExportOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The measured copy is without the CSP, to see that escaping alone keeps the text's
    // script from running.
    assert!(
        html.contains(CSP),
        "the page sets its Content-Security-Policy"
    );
    let bare = html.replace(CSP, "");

    for width in [1280u32, 390] {
        let probe = dir.path().join(format!("probe-{width}.html"));
        std::fs::write(&probe, wrapper(&bare, width, 900, true)).unwrap();
        let out = run(&browser, width, 900, &["--dump-dom".to_string()], &probe);
        let dom = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let m = measurements(&dom);
        assert_eq!(m["innerWidth"], width, "viewport width: {m}");
        assert_eq!(m["pairs"], b.pairs.len(), "{m}");
        assert_eq!(m["ran"], false, "a <script> in the text ran");
        assert_eq!(m["scripts"], 0, "the page has no script");
        assert_eq!(m["shown"], true, "the script text shows as text");
        assert!(
            m["scrollWidth"].as_f64() <= m["clientWidth"].as_f64(),
            "horizontal overflow at {width}px: {m}"
        );
        assert_eq!(m["overflow"], serde_json::json!([]), "at {width}px");
        if width == 1280 {
            assert_eq!(m["misaligned"], serde_json::json!([]), "rows at 1280px");
        } else {
            assert_eq!(m["stacked"], b.pairs.len(), "stacked at {width}px: {m}");
        }
        assert!(!stderr.contains(":CONSOLE"), "console output: {stderr}");
    }

    // Screenshots of the real page (with its CSP) for people to look at; the console must
    // stay quiet there too (a blocked request would be reported).
    let target = root().join("target");
    let small_html = export::render(&small(), Format::Html, &ExportOptions::default()).unwrap();
    let shots = [
        ("sample", &html, 1280u32, 2400u32),
        ("sample", &html, 390, 3000),
        ("small", &small_html, 1280, 1100),
        ("small", &small_html, 390, 1800),
    ];
    for (name, page, width, height) in shots {
        let framed = dir.path().join(format!("shot-{name}-{width}.html"));
        std::fs::write(&framed, wrapper(page, width, height, false)).unwrap();
        let shot = target.join(format!("export-{name}-{width}.png"));
        let _ = std::fs::remove_file(&shot);
        let arg = format!("--screenshot={}", shot.display());
        let out = run(&browser, width, height, &[arg], &framed);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(shot.exists(), "no screenshot: {stderr}");
        // A blocked request (the page's CSP forbids them all) is reported on the console.
        assert!(!stderr.contains(":CONSOLE"), "console output: {stderr}");
        println!("screenshot: {}", shot.display());
    }
}
