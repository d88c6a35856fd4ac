//! Unit tests of the glossary module: loading, matching, checking, interchange, editing.

use super::*;
use crate::model::{Bitext, BlockKind, Flag, FlagCode, Meta, Origin, Pair, Severity, Span};
use std::path::Path;

fn term(source: &str, target: &str) -> Term {
    Term {
        source: source.into(),
        target: Some(target.into()),
        ..Term::default()
    }
}

fn sco() -> Term {
    Term {
        first: Some("Shanghai Cooperation Organization (SCO)".into()),
        ..term("上合组织", "SCO")
    }
}

fn sample_glossary() -> Glossary {
    Glossary::new(
        "t",
        vec![
            term(
                "中国—上海合作组织数字经济产业论坛",
                "China-SCO Forum on the Digital Economy Industry",
            ),
            Term {
                first: Some("Shanghai Cooperation Organization (SCO)".into()),
                alternates: vec!["SCO".into()],
                ..term("上海合作组织", "Shanghai Cooperation Organization")
            },
            sco(),
            term("上合", "SCO (short)"),
            term("两江新区", "Liangjiang New Area"),
            term("西部(重庆)科学城", "Western (Chongqing) Science City"),
            Term {
                keep: true,
                ..Term {
                    source: "5G".into(),
                    ..Term::default()
                }
            },
        ],
    )
}

fn parse(text: &str) -> Result<Glossary, GlossaryError> {
    Glossary::parse(text, Path::new("g.toml"))
}

// ── loading ──────────────────────────────────────────────────────────────────────────────

#[test]
fn parses_all_fields() {
    let g = parse(
        r#"name = "x"
source_lang = "zh-CN"
target_lang = "en"

# a comment
[[term]]
source = "上合组织"
target = "SCO"
first = "Shanghai Cooperation Organization (SCO)"
alternates = ["Shanghai Cooperation Organisation"]
case_sensitive = true
note = "n"

[[term]]
source = "5G"
keep = true
"#,
    )
    .unwrap();
    assert_eq!(g.name, "x");
    assert_eq!(g.terms.len(), 2);
    assert_eq!(
        g.terms[0].first.as_deref(),
        Some("Shanghai Cooperation Organization (SCO)")
    );
    assert!(g.terms[0].case_sensitive);
    assert_eq!(g.terms[0].alternates, ["Shanghai Cooperation Organisation"]);
    assert!(g.terms[1].keep && g.terms[1].target.is_none());
    assert_eq!(g.origins[0].line, 6);
    assert_eq!(g.origins[1].line, 14);
    assert_eq!(g.terms[1].rendering(true), "5G");
    assert_eq!(
        g.terms[0].rendering(true),
        "Shanghai Cooperation Organization (SCO)"
    );
    assert_eq!(g.terms[0].rendering(false), "SCO");
}

#[test]
fn name_defaults_to_file_stem() {
    let g = Glossary::parse("", Path::new("dir/my-terms.toml")).unwrap();
    assert_eq!(g.name, "my-terms");
    assert_eq!(
        (g.source_lang.as_str(), g.target_lang.as_str()),
        ("zh-CN", "en")
    );
}

#[test]
fn errors_name_file_line_and_column() {
    let cases = [
        ("name = \"x\"\n[[term]\nsource = \"a\"\n", "g.toml:2:"),
        (
            "[[term]]\nsource = \"a\"\ntarget = 3\n",
            "g.toml:3:10: `target` must be a string",
        ),
        (
            "[[term]]\nsource = \"a\"\n",
            "g.toml:1:1: [[term]] \"a\" has no `target`",
        ),
        (
            "[[term]]\ntarget = \"a\"\n",
            "g.toml:1:1: [[term]] without `source`",
        ),
        (
            "[[term]]\nsource = \"a\"\ntarget = \"b\"\n  colour = \"red\"\n",
            "g.toml:4:3: unknown key `colour` in [[term]]",
        ),
        ("title = \"x\"\n", "g.toml:1:1: unknown key `title`"),
        (
            "term = 1\n",
            "g.toml:1:8: `term` must be an array of tables",
        ),
        (
            "[[term]]\nsource = \"a\"\ntarget = \"b\"\nalternates = [\"c\", 2]\n",
            "g.toml:4:20: `alternates` must be an array of strings",
        ),
        (
            "[[term]]\nsource = \"a\"\nkeep = \"yes\"\n",
            "g.toml:3:8: `keep` must be true or false",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(text).unwrap_err().to_string();
        assert!(
            err.starts_with(expected),
            "{err:?} should start with {expected:?}"
        );
        assert!(!err.contains('\n'), "one line: {err:?}");
    }
}

#[test]
fn directory_and_missing_file_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = Glossary::load(dir.path()).unwrap_err().to_string();
    assert!(
        err.ends_with("is a directory, not a glossary file"),
        "{err}"
    );
    let err = Glossary::load(&dir.path().join("none.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("none.toml: cannot read"), "{err}");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, b"name = \"\xff\"\n").unwrap();
    let err = Glossary::load(&bad).unwrap_err().to_string();
    assert!(err.ends_with("bad.toml:1:9: not valid UTF-8"), "{err}");
}

#[test]
fn layers_later_wins_in_place() {
    let a = Glossary::new("a", vec![term("两江新区", "A"), term("重庆", "Chongqing")]);
    let b = Glossary::new(
        "b",
        vec![term("新词", "new"), term("两江新区", "Liangjiang New Area")],
    );
    let g = Glossary::layer(vec![a, b]);
    let pairs: Vec<_> = g
        .terms
        .iter()
        .map(|t| (t.source.as_str(), t.rendering(false)))
        .collect();
    assert_eq!(
        pairs,
        [
            ("两江新区", "Liangjiang New Area"),
            ("重庆", "Chongqing"),
            ("新词", "new")
        ]
    );
}

#[test]
fn layered_files_and_folded_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    std::fs::write(
        &a,
        "[[term]]\nsource = \"西部(重庆)科学城\"\ntarget = \"old\"\n",
    )
    .unwrap();
    std::fs::write(&b, "[[term]]\nsource = \"西部（重庆）科学城\"\ntarget = \"Western (Chongqing) Science City\"\n").unwrap();
    let g = Glossary::load_layered(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(g.terms.len(), 1);
    assert_eq!(
        g.terms[0].rendering(false),
        "Western (Chongqing) Science City"
    );
    assert_eq!(g.origins[0].file, b);
    let findings = lint(&[a, b]);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0]
            .to_string()
            .contains("b.toml:1: warning: 西部（重庆）科学城 is"),
        "{}",
        findings[0]
    );
}

#[test]
fn digest_is_stable_and_ignores_notes() {
    let g = sample_glossary();
    assert_eq!(g.digest(), sample_glossary().digest());
    assert_eq!(g.digest().len(), 64);
    let mut noted = g.clone();
    noted.terms[0].note = Some("a note".into());
    assert_eq!(noted.digest(), g.digest());
    let mut changed = g.clone();
    changed.terms[4].target = Some("Liangjiang New District".into());
    assert_ne!(changed.digest(), g.digest());
    assert_ne!(Glossary::empty().digest(), g.digest());
}

// ── matching ─────────────────────────────────────────────────────────────────────────────

fn found(g: &Glossary, text: &str) -> Vec<(String, String)> {
    g.matcher()
        .find(text)
        .into_iter()
        .map(|m| {
            (
                g.terms[m.term].source.clone(),
                text[m.span.start..m.span.end].to_string(),
            )
        })
        .collect()
}

#[test]
fn leftmost_longest() {
    let g = sample_glossary();
    let text = "中国—上海合作组织数字经济产业论坛在重庆举行,上海合作组织秘书长出席,上合组织国家和上合伙伴参加。";
    let sources: Vec<String> = found(&g, text).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        sources,
        [
            "中国—上海合作组织数字经济产业论坛",
            "上海合作组织",
            "上合组织",
            "上合"
        ]
    );
}

#[test]
fn width_folding_maps_spans_to_the_original() {
    let g = sample_glossary();
    let text =
        "在西部（重庆）科学城和西部(重庆)科学城,５Ｇ与5G,中国-上海合作组织数字经济产业论坛。";
    let hits = found(&g, text);
    assert_eq!(
        hits,
        [
            (
                "西部(重庆)科学城".to_string(),
                "西部（重庆）科学城".to_string()
            ),
            (
                "西部(重庆)科学城".to_string(),
                "西部(重庆)科学城".to_string()
            ),
            ("5G".to_string(), "５Ｇ".to_string()),
            ("5G".to_string(), "5G".to_string()),
            (
                "中国—上海合作组织数字经济产业论坛".to_string(),
                "中国-上海合作组织数字经济产业论坛".to_string()
            ),
        ]
    );
    let matches = g.matcher().find(text);
    assert_eq!(
        matches[0].span,
        Span::new(3, 3 + "西部（重庆）科学城".len())
    );
}

#[test]
fn empty_glossary_matches_nothing() {
    let g = Glossary::empty();
    assert!(g.matcher().is_empty());
    assert!(g.matcher().find("两江新区").is_empty());
    let mut with_empty = Glossary::new("e", vec![term("", "x")]);
    assert!(with_empty.matcher().find("abc").is_empty());
    with_empty.terms.push(term("b", "y"));
    assert_eq!(with_empty.matcher().find("abc").len(), 1);
}

#[test]
fn a_term_cut_by_a_page_break_is_found_in_the_segment() {
    let text = "# 标题\n\n8月23日,记者从两江新\n\n区获悉,西部（重庆）科学城和两江新区合作。\n";
    let doc = crate::document::parse_text("t.md", text, crate::document::Encoding::Utf8);
    assert_eq!(doc.blocks.len(), 2, "the page break is rejoined: {doc:?}");
    let segments = crate::split::segment_document(&doc);
    let g = sample_glossary();
    let matcher = g.matcher();
    let hits: Vec<String> = segments
        .iter()
        .flat_map(|s| {
            matcher
                .find(&s.text)
                .into_iter()
                .map(|m| g.terms[m.term].source.clone())
        })
        .collect();
    assert_eq!(hits, ["两江新区", "西部(重庆)科学城", "两江新区"]);
}

// ── checking ─────────────────────────────────────────────────────────────────────────────

#[test]
fn renderings_are_whole_words_case_insensitive_with_endings() {
    let t = term("两江新区", "Liangjiang New Area");
    assert_eq!(
        find_rendering(&t, "In the liangjiang new area, …", false),
        Some(Span::new(7, 26))
    );
    assert!(find_rendering(&t, "the Liangjiang New Area's firms", false).is_some());
    assert!(find_rendering(&t, "the Liangjiang New Area’s firms", false).is_some());
    assert!(find_rendering(&t, "the Liangjiang\nNew  Area", false).is_some());
    assert!(find_rendering(&t, "the Liangjiang New Areas", false).is_some());
    assert!(find_rendering(&t, "the Liangjiang New Arena", false).is_none());
    assert!(find_rendering(&t, "Liangjiang", false).is_none());
    let s = sco();
    assert!(find_rendering(&s, "SCOPE of work", false).is_none());
    assert!(find_rendering(&s, "the SCO's members", false).is_some());
    let cs = Term {
        case_sensitive: true,
        ..term("芯片", "CPU")
    };
    assert!(find_rendering(&cs, "a cpu", false).is_none());
    assert!(find_rendering(&cs, "a CPU", false).is_some());
    let dash = term("中欧班列", "China-Europe Railway Express");
    assert!(find_rendering(&dash, "the China–Europe Railway Express", false).is_some());
}

#[test]
fn first_mention_counts_only_first() {
    let s = sco();
    assert!(find_rendering(&s, "the SCO met", true).is_none());
    let text = "the Shanghai Cooperation Organization (SCO) met";
    assert_eq!(
        find_rendering(&s, text, true),
        Some(Span::new(4, text.len() - 4))
    );
    // After the first mention every form counts.
    assert!(find_rendering(&s, "the SCO met", false).is_some());
    assert!(find_rendering(&s, text, false).is_some());
}

#[test]
fn keep_terms_must_appear_verbatim() {
    let g = sample_glossary();
    let five_g = &g.terms[6];
    assert!(find_rendering(five_g, "5G networks", false).is_some());
    assert!(find_rendering(five_g, "5g networks", false).is_none());
    assert!(find_rendering(five_g, "15G networks", false).is_none());
    assert!(find_rendering(five_g, "fifth-generation networks", true).is_none());
}

#[test]
fn plan_terms_asks_for_first_then_target() {
    let g = sample_glossary();
    let m = g.matcher();
    let plan = plan_terms(
        &g,
        &m,
        &[
            "上合组织和两江新区。",
            "上合组织在西部（重庆）科学城。",
            "上海合作组织。",
            "无。",
        ],
    );
    let pairs = |i: usize| -> Vec<(String, String)> {
        plan[i]
            .iter()
            .map(|p| (p.source.clone(), p.target.clone()))
            .collect()
    };
    assert_eq!(
        pairs(0),
        [
            (
                "上合组织".into(),
                "Shanghai Cooperation Organization (SCO)".into()
            ),
            ("两江新区".into(), "Liangjiang New Area".into())
        ]
    );
    assert_eq!(
        pairs(1),
        [
            ("上合组织".into(), "SCO".into()),
            (
                "西部（重庆）科学城".into(),
                "Western (Chongqing) Science City".into()
            )
        ]
    );
    // 上海合作组织 shares the spelled-out first form, already introduced.
    assert_eq!(
        pairs(2),
        [(
            "上海合作组织".into(),
            "Shanghai Cooperation Organization".into()
        )]
    );
    assert!(plan[3].is_empty());
}

fn pair(id: &str, source: &str, target: &str) -> Pair {
    Pair {
        id: id.into(),
        block: 1,
        kind: BlockKind::Paragraph,
        source: source.into(),
        target: target.into(),
        terms: vec![],
        flags: vec![],
        origin: Origin::Manual,
    }
}

#[test]
fn annotate_fills_terms_and_flags() {
    let g = sample_glossary();
    let m = g.matcher();
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    bitext.pairs.push(pair(
        "b1.s1",
        "上合组织在两江新区。",
        "The SCO met in the Liangjiang New Area.",
    ));
    bitext.pairs.push(pair(
        "b1.s2",
        "两江新区和上合组织。",
        "Liangjiang New Area and Shanghai Cooperation Organization (SCO).",
    ));
    bitext
        .pairs
        .push(pair("b1.s3", "", "A target without source."));
    let mut old = pair("b1.s4", "两江新区两江新区", "Two areas.");
    old.flags.push(Flag {
        code: FlagCode::MissingTerm,
        severity: Severity::Error,
        message: "stale".into(),
        term: None,
        expected: None,
    });
    old.flags.push(Flag {
        code: FlagCode::NumberMismatch,
        severity: Severity::Warning,
        message: "kept".into(),
        term: None,
        expected: None,
    });
    bitext.pairs.push(old);
    annotate(&mut bitext, &g, &m);

    let p0 = &bitext.pairs[0];
    assert_eq!(p0.terms.len(), 2);
    assert_eq!(p0.terms[0].term, "上合组织");
    assert_eq!(
        p0.terms[0].expected,
        "Shanghai Cooperation Organization (SCO)"
    );
    assert_eq!(p0.terms[0].target_span, None);
    assert_eq!(p0.terms[1].target_span, Some(Span::new(19, 38)));
    assert_eq!(p0.flags.len(), 1);
    assert_eq!(p0.flags[0].code, FlagCode::FirstMention);
    assert_eq!(
        p0.flags[0].message,
        "first mention of 上合组织 should be \"Shanghai Cooperation Organization (SCO)\""
    );
    // Second mention: target "SCO" expected, the spelled-out form is also accepted.
    let p1 = &bitext.pairs[1];
    assert!(p1.flags.is_empty(), "{:?}", p1.flags);
    assert_eq!(p1.terms[1].expected, "SCO");
    assert!(p1.terms[1].target_span.is_some());
    // Empty source: untouched.
    assert!(bitext.pairs[2].terms.is_empty() && bitext.pairs[2].flags.is_empty());
    // Stale glossary flag replaced, other flags kept; one flag per term and pair.
    let p3 = &bitext.pairs[3];
    assert_eq!(p3.terms.len(), 2);
    let messages: Vec<&str> = p3.flags.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["kept", "missing \"Liangjiang New Area\" for 两江新区"]
    );
    assert_eq!(p3.flags[1].severity, Severity::Error);
    assert_eq!(p3.flags[1].term.as_deref(), Some("两江新区"));
    assert_eq!(p3.flags[1].expected.as_deref(), Some("Liangjiang New Area"));
}

#[test]
fn missing_first_form_without_any_rendering_is_missing_term() {
    let g = sample_glossary();
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    bitext
        .pairs
        .push(pair("b1.s1", "上合组织。", "The organisation."));
    let violations = check(&bitext, &g);
    assert_eq!(violations.len(), 1);
    let v = &violations[0];
    assert_eq!(
        (
            v.pair_id.as_str(),
            v.term.as_str(),
            v.expected.as_str(),
            v.code
        ),
        (
            "b1.s1",
            "上合组织",
            "Shanghai Cooperation Organization (SCO)",
            FlagCode::MissingTerm
        )
    );
    assert_eq!(
        v.message,
        "missing \"Shanghai Cooperation Organization (SCO)\" for 上合组织"
    );
    assert_eq!(v.context, "The organisation.");
}

#[test]
fn clean_bitext_has_no_violations() {
    let g = sample_glossary();
    let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
    bitext.pairs.push(pair(
        "b1.s1",
        "中国—上海合作组织数字经济产业论坛在西部（重庆）科学城举行,5G。",
        "The China-SCO Forum on the Digital Economy Industry was held in Western (Chongqing) Science City, 5G.",
    ));
    assert_eq!(check(&bitext, &g), vec![]);
}

// ── interchange ──────────────────────────────────────────────────────────────────────────

fn tricky() -> Glossary {
    Glossary::new(
        "tricky",
        vec![
            Term {
                first: Some("Shanghai Cooperation Organization (SCO)".into()),
                alternates: vec!["a|b".into(), "back\\slash".into(), "x, \"y\"".into()],
                note: Some("tab\there, <xml> & \"quotes\"\nnewline".into()),
                ..term("上合组织", "SCO")
            },
            Term {
                source: "5G".into(),
                keep: true,
                case_sensitive: true,
                ..Term::default()
            },
            Term {
                keep: true,
                target: Some("GDP".into()),
                ..term("GDP", "GDP")
            },
            term("两江新区", "Liangjiang New Area"),
        ],
    )
}

#[test]
fn interchange_round_trips() {
    let g = tricky();
    for format in [
        ExchangeFormat::Tsv,
        ExchangeFormat::Csv,
        ExchangeFormat::Tbx,
        ExchangeFormat::Tbx3,
    ] {
        let text = export(&g, format);
        let back = import(&text, format, "x", &Glossary::empty()).unwrap();
        assert_eq!(back, g.terms, "{format:?}:\n{text}");
        // And once more: export(import(export(g))) is stable.
        assert_eq!(export(&Glossary::new("tricky", back), format), text);
    }
}

#[test]
fn imports_plain_omegat_csv_and_tbx2() {
    let tsv = "# comment\n两江新区\tLiangjiang New Area\tofficial\n\n重庆\tChongqing\n";
    let terms = import(tsv, ExchangeFormat::Tsv, "a.tsv", &Glossary::empty()).unwrap();
    assert_eq!(terms.len(), 2);
    assert_eq!(terms[0].note.as_deref(), Some("official"));
    let csv = "Target,Source,Comment\n\"Chongqing, city\",重庆,\"a \"\"note\"\"\"\n";
    let terms = import(csv, ExchangeFormat::Csv, "a.csv", &Glossary::empty()).unwrap();
    assert_eq!(
        terms,
        [Term {
            note: Some("a \"note\"".into()),
            ..term("重庆", "Chongqing, city")
        }]
    );
    let tbx = r#"<?xml version="1.0"?>
<martif type="TBX-Basic" xml:lang="en">
 <text><body>
  <termEntry id="1">
   <descrip type="definition">a zone</descrip>
   <langSet xml:lang="en"><tig><term>Liangjiang New Area</term></tig>
     <tig><term>Liangjiang District</term><termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></tig>
     <tig><term>Chongqing Liangjiang New Area</term><termNote type="administrativeStatus">admittedTerm-admn-sts</termNote></tig></langSet>
   <langSet xml:lang="zh"><tig><term>两江新区</term></tig></langSet>
  </termEntry>
 </body></text>
</martif>"#;
    let terms = import(tbx, ExchangeFormat::Tbx, "a.tbx", &Glossary::empty()).unwrap();
    assert_eq!(
        terms,
        [Term {
            alternates: vec!["Chongqing Liangjiang New Area".into()],
            note: Some("a zone".into()),
            ..term("两江新区", "Liangjiang New Area")
        }]
    );
}

#[test]
fn tbx_export_is_tbx2_martif_and_tbx3_is_kept() {
    let g = tricky();
    let tbx2 = export(&g, ExchangeFormat::Tbx);
    assert!(
        tbx2.contains("<martif type=\"TBX-Basic\" xml:lang=\"zh-CN\">"),
        "{tbx2}"
    );
    assert!(tbx2.contains("<termEntry id=\"c1\">") && !tbx2.contains("conceptEntry"));
    let tbx3 = export(&g, ExchangeFormat::Tbx3);
    assert!(tbx3.contains("<conceptEntry id=\"c1\">") && !tbx3.contains("martif"));
    // Each imports as either format name: the reader takes both structures.
    for text in [&tbx2, &tbx3] {
        let a = import(text, ExchangeFormat::Tbx, "x", &Glossary::empty()).unwrap();
        let b = import(text, ExchangeFormat::Tbx3, "x", &Glossary::empty()).unwrap();
        assert_eq!(a, g.terms);
        assert_eq!(b, g.terms);
    }
}

#[test]
fn tbx_notes_with_control_characters_stay_well_formed() {
    let g = Glossary::new(
        "c",
        vec![Term {
            note: Some("bell\u{7} and <tag> & \"quote\"\r".into()),
            ..term("两江新区", "Liangjiang New Area")
        }],
    );
    for format in [ExchangeFormat::Tbx, ExchangeFormat::Tbx3] {
        let text = export(&g, format);
        assert!(!text.contains('\u{7}'), "{text}");
        let back = import(&text, format, "x", &Glossary::empty()).unwrap();
        assert_eq!(
            back[0].note.as_deref(),
            Some("bell\u{FFFD} and <tag> & \"quote\"")
        );
    }
}

/// What translate-toolkit's `csv2tbx` writes for a source,target CSV: every source labelled
/// `en`, every target `xx`.
const CSV2TBX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE martif PUBLIC "ISO 12200:1999A//DTD MARTIF core (DXFcdV04)//EN" "TBXcdv04.dtd">
<martif type="TBX" xml:lang="en">
    <martifHeader><fileDesc><sourceDesc><p>Translate Toolkit</p></sourceDesc></fileDesc></martifHeader>
    <text>
        <body>
            <termEntry id="两江新区">
                <langSet xml:lang="en"><tig><term>两江新区</term></tig></langSet>
                <langSet xml:lang="xx"><tig><term>Liangjiang New Area</term></tig></langSet>
            </termEntry>
            <termEntry id="重庆">
                <langSet xml:lang="en"><tig><term>重庆</term></tig></langSet>
                <langSet xml:lang="xx"><tig><term>Chongqing</term></tig></langSet>
            </termEntry>
        </body>
    </text>
</martif>"#;

#[test]
fn csv2tbx_output_imports_by_language_not_position() {
    let imported =
        import_report(CSV2TBX, ExchangeFormat::Tbx, "t.tbx", &Glossary::empty()).unwrap();
    assert_eq!(
        imported.terms,
        [
            term("两江新区", "Liangjiang New Area"),
            term("重庆", "Chongqing")
        ]
    );
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    assert!(
        imported.warnings[0].starts_with("t.tbx: the Chinese terms are labelled \"en\""),
        "{:?}",
        imported.warnings
    );
    // Languages in any order: the labels decide, not the position.
    let swapped = CSV2TBX
        .replace("<langSet xml:lang=\"en\">", "<langSet xml:lang=\"zh\">")
        .replace("<langSet xml:lang=\"xx\">", "<langSet xml:lang=\"en\">");
    let reordered = swapped.replace(
        "<langSet xml:lang=\"zh\"><tig><term>重庆</term></tig></langSet>\n                <langSet xml:lang=\"en\"><tig><term>Chongqing</term></tig></langSet>",
        "<langSet xml:lang=\"en\"><tig><term>Chongqing</term></tig></langSet>\n                <langSet xml:lang=\"zh\"><tig><term>重庆</term></tig></langSet>",
    );
    assert_ne!(reordered, swapped);
    let imported =
        import_report(&reordered, ExchangeFormat::Tbx, "t.tbx", &Glossary::empty()).unwrap();
    assert_eq!(imported.terms[1], term("重庆", "Chongqing"));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

#[test]
fn bad_interchange_input_is_located() {
    let err = import(
        "两江新区\n",
        ExchangeFormat::Tsv,
        "a.tsv",
        &Glossary::empty(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("a.tsv:1:1: expected at least two"),
        "{err}"
    );
    let err = import(
        "a\tb\n两江新区\t\n",
        ExchangeFormat::Tsv,
        "a.tsv",
        &Glossary::empty(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "a.tsv:2:1: 两江新区: no target");
    let err = import(
        "src,tgt\na,b\n",
        ExchangeFormat::Csv,
        "a.csv",
        &Glossary::empty(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("must name `source` and `target`"),
        "{err}"
    );
    let err = import(
        "<tbx><text>\n<body></tbx>",
        ExchangeFormat::Tbx,
        "a.tbx",
        &Glossary::empty(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("a.tbx:"), "{err}");
    assert!(err.to_string().contains("invalid TBX"), "{err}");
}

// ── editing ──────────────────────────────────────────────────────────────────────────────

const COMMENTED: &str = "# header comment\nname = \"c\"   # trailing\n\n[[term]]\n# about A\nsource = \"两江新区\"\ntarget   =   'Liangjiang New Area'\n\n# before B\n[[term]]\nsource = \"重庆\"\ntarget = \"Chongqing\"   # inline\n";

#[test]
fn add_appends_and_keeps_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::write(&path, COMMENTED).unwrap();
    let new = NewTerm {
        source: "上合组织".into(),
        target: Some("SCO".into()),
        first: Some("Shanghai Cooperation Organization (SCO)".into()),
        alternates: vec!["SCO's".into()],
        ..NewTerm::default()
    };
    assert_eq!(add_term(&path, &new, false).unwrap(), AddOutcome::Added);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(COMMENTED));
    assert_eq!(
        &text[COMMENTED.len()..],
        "\n[[term]]\nsource = \"上合组织\"\ntarget = \"SCO\"\nfirst = \"Shanghai Cooperation Organization (SCO)\"\nalternates = [\"SCO's\"]\n"
    );
    assert_eq!(Glossary::load(&path).unwrap().terms.len(), 3);
}

#[test]
fn duplicates_are_refused_after_folding_and_force_updates_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::write(&path, COMMENTED).unwrap();
    let dup = NewTerm {
        source: "两江新区".into(),
        target: Some("Liangjiang New District".into()),
        ..NewTerm::default()
    };
    let err = add_term(&path, &dup, false).unwrap_err().to_string();
    assert!(err.contains("already in the glossary"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), COMMENTED);
    assert_eq!(add_term(&path, &dup, true).unwrap(), AddOutcome::Updated);
    // The inline comment of an updated value stays.
    let chongqing = NewTerm {
        source: "重庆".into(),
        target: Some("Chongqing Municipality".into()),
        ..NewTerm::default()
    };
    assert_eq!(
        add_term(&path, &chongqing, true).unwrap(),
        AddOutcome::Updated
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.ends_with("target = \"Chongqing Municipality\"   # inline\n"),
        "{text}"
    );
    std::fs::write(&path, COMMENTED).unwrap();
    assert_eq!(add_term(&path, &dup, true).unwrap(), AddOutcome::Updated);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        COMMENTED.replace("'Liangjiang New Area'", "\"Liangjiang New District\"")
    );
}

#[test]
fn remove_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::write(&path, COMMENTED).unwrap();
    let removed = remove_term(&path, "两江新区").unwrap();
    assert_eq!(removed.target.as_deref(), Some("Liangjiang New Area"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "# header comment\nname = \"c\"   # trailing\n\n# before B\n[[term]]\nsource = \"重庆\"\ntarget = \"Chongqing\"   # inline\n"
    );
    let err = remove_term(&path, "两江新区").unwrap_err().to_string();
    assert!(err.ends_with("no term \"两江新区\""), "{err}");
}

#[test]
fn read_only_and_invalid_glossaries_are_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::write(&path, COMMENTED).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let new = NewTerm {
        source: "新".into(),
        target: Some("new".into()),
        ..NewTerm::default()
    };
    let err = add_term(&path, &new, false).unwrap_err().to_string();
    assert!(
        err.ends_with("g.toml: the glossary is read-only; not modified"),
        "{err}"
    );
    let err = remove_term(&path, "重庆").unwrap_err().to_string();
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), COMMENTED);

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[term]\n").unwrap();
    let err = add_term(&bad, &new, false).unwrap_err().to_string();
    assert!(err.contains("bad.toml:1:"), "{err}");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "[[term]\n");
    let err = add_term(
        &path,
        &NewTerm {
            source: "x".into(),
            ..NewTerm::default()
        },
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("the target is empty"), "{err}");
}

#[test]
fn add_creates_a_missing_glossary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.toml");
    let new = NewTerm {
        source: "5G".into(),
        keep: true,
        ..NewTerm::default()
    };
    add_term(&path, &new, false).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "name = \"new\"\nsource_lang = \"zh-CN\"\ntarget_lang = \"en\"\n\n[[term]]\nsource = \"5G\"\nkeep = true\n"
    );
}

// ── lint ─────────────────────────────────────────────────────────────────────────────────

#[test]
fn lint_reports_problems() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.toml");
    std::fs::write(
        &path,
        "[[term]]\nsource = \"两江新区\"\ntarget = \"Liangjiang New Area\"\n\n[[term]]\nsource = \"两江新区管委会\"\ntarget = \"Administrative Committee\"\n\n[[term]]\nsource = \"上合组织\"\ntarget = \"SCO\"\nfirst = \"Shanghai Cooperation Organization\"\n\n[[term]]\nsource = \"上合组织\"\ntarget = \"\"\n",
    )
    .unwrap();
    let findings: Vec<String> = lint(std::slice::from_ref(&path))
        .iter()
        .map(|f| f.to_string())
        .collect();
    let name = path.display().to_string();
    assert_eq!(
        findings,
        [
            format!(
                "{name}:9: warning: 上合组织: first \"Shanghai Cooperation Organization\" does not contain target \"SCO\""
            ),
            format!(
                "{name}:14: error: duplicate term 上合组织: same as 上合组织 (line 9) after width folding"
            ),
            format!("{name}:14: error: \"上合组织\": empty `target`"),
            format!(
                "{name}:5: warning: 两江新区管委会 contains 两江新区 but \"Administrative Committee\" does not contain \"Liangjiang New Area\""
            ),
        ]
    );
    std::fs::write(&path, "[[term]]\nsource = 1\n").unwrap();
    let findings = lint(std::slice::from_ref(&path));
    assert_eq!(
        findings[0].to_string(),
        format!("{name}:2:10: error: `source` must be a string")
    );
}

// ── properties ───────────────────────────────────────────────────────────────────────────

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Z0-9 ()（）－—两江新区上合组织重庆西部科学城５Ｇ'’s\n\u{FF01}-\u{FF5E}\u{3000}-\u{303F}]{0,40}")
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn matcher_never_panics_and_spans_are_exact(t in text()) {
            let g = sample_glossary();
            let m = g.matcher();
            let mut last = 0;
            for hit in m.find(&t) {
                prop_assert!(hit.span.start >= last && hit.span.start < hit.span.end);
                prop_assert!(t.is_char_boundary(hit.span.start) && t.is_char_boundary(hit.span.end));
                prop_assert_eq!(fold::fold(&t[hit.span.start..hit.span.end]), g.terms[hit.term].key());
                last = hit.span.end;
            }
        }

        #[test]
        fn checker_never_panics(source in text(), target in text(), first in any::<bool>()) {
            let g = sample_glossary();
            for t in &g.terms {
                if let Some(span) = find_rendering(t, &target, first) {
                    prop_assert!(target.is_char_boundary(span.start) && target.is_char_boundary(span.end));
                }
            }
            let mut bitext = Bitext::new("zh-CN", "en", Meta::default());
            bitext.pairs.push(pair("b1.s1", &source, &target));
            let _ = check(&bitext, &g);
            let _ = plan_terms(&g, &g.matcher(), &[&source, &target]);
        }

        #[test]
        fn arbitrary_toml_never_panics(t in "[\\[\\]a-z=\"' \n0-9{},.#]{0,60}") {
            let _ = Glossary::parse(&t, Path::new("p.toml"));
        }

        #[test]
        fn tsv_round_trips_any_strings(source in "[^\u{0}\u{feff}]{1,12}", target in "[^\u{0}]{1,12}", note in "[^\u{0}]{0,12}") {
            prop_assume!(!source.trim().is_empty() && !source.starts_with('#'));
            let g = Glossary::new("p", vec![Term { note: (!note.is_empty()).then_some(note), ..term(&source, &target) }]);
            for format in [ExchangeFormat::Tsv, ExchangeFormat::Csv, ExchangeFormat::Tbx, ExchangeFormat::Tbx3] {
                let back = import(&export(&g, format), format, "p", &Glossary::empty());
                if matches!(format, ExchangeFormat::Tbx | ExchangeFormat::Tbx3) {
                    // XML normalises surrounding whitespace and cannot carry control characters.
                    continue;
                }
                prop_assert_eq!(back.unwrap(), g.terms.clone());
            }
        }
    }
}
