use super::*;

fn info() -> BackendInfo {
    BackendInfo {
        name: "openai".into(),
        kind: "openai".into(),
        model: Some("gpt-4o-mini".into()),
        endpoint: Some("https://api.openai.com/v1".into()),
        max_items: 50,
        max_chars: 6000,
        native_terms: false,
        default_concurrency: 4,
        protocol_version: 1,
    }
}

fn term(s: &str, t: &str) -> TermPair {
    TermPair {
        source: s.into(),
        target: t.into(),
    }
}

#[test]
fn key_changes_with_every_field_and_ignores_term_order() {
    let base = CacheKey::new(
        &info(),
        "zh-CN",
        "en",
        "两江新区",
        &[term("a", "b"), term("c", "d")],
    );
    let swapped = CacheKey::new(
        &info(),
        "zh-CN",
        "en",
        "两江新区",
        &[term("c", "d"), term("a", "b")],
    );
    assert_eq!(base, swapped);
    let mut variants = Vec::new();
    let mut i = info();
    i.model = Some("gpt-4o".into());
    variants.push(CacheKey::new(
        &i,
        "zh-CN",
        "en",
        "两江新区",
        &[term("a", "b"), term("c", "d")],
    ));
    let mut i = info();
    i.endpoint = Some("http://127.0.0.1:1/v1".into());
    variants.push(CacheKey::new(
        &i,
        "zh-CN",
        "en",
        "两江新区",
        &[term("a", "b"), term("c", "d")],
    ));
    let mut i = info();
    i.protocol_version = 2;
    variants.push(CacheKey::new(
        &i,
        "zh-CN",
        "en",
        "两江新区",
        &[term("a", "b"), term("c", "d")],
    ));
    let mut i = info();
    i.kind = "deepl".into();
    variants.push(CacheKey::new(
        &i,
        "zh-CN",
        "en",
        "两江新区",
        &[term("a", "b"), term("c", "d")],
    ));
    variants.push(CacheKey::new(
        &info(),
        "zh-CN",
        "de",
        "两江新区",
        &[term("a", "b"), term("c", "d")],
    ));
    variants.push(CacheKey::new(
        &info(),
        "zh-CN",
        "en",
        "两江",
        &[term("a", "b"), term("c", "d")],
    ));
    variants.push(CacheKey::new(
        &info(),
        "zh-CN",
        "en",
        "两江新区",
        &[term("a", "b")],
    ));
    variants.push(CacheKey::new(
        &info(),
        "zh-CN",
        "en",
        "两江新区",
        &[term("a", "B"), term("c", "d")],
    ));
    // Field boundaries matter: "ab"+"c" differs from "a"+"bc".
    variants.push(CacheKey::new(
        &info(),
        "zh-CN",
        "en",
        "两江新区",
        &[term("ab", ""), term("c", "d")],
    ));
    for (n, v) in variants.iter().enumerate() {
        assert_ne!(*v, base, "variant {n}");
    }
    assert_eq!(base.hex().len(), 64);
}

#[test]
fn entries_persist_across_reopen_and_clear_empties() {
    let dir = tempfile::tempdir().unwrap();
    let k1 = CacheKey::new(&info(), "zh-CN", "en", "一", &[]);
    let k2 = CacheKey::new(&info(), "zh-CN", "en", "二", &[]);
    let entry = |t: &str| Entry {
        target: t.into(),
        usage: Usage {
            input_tokens: 10,
            output_tokens: 4,
        },
        checked: false,
        ..Entry::default()
    };
    {
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.get(&k1).unwrap(), None);
        cache
            .put_many(&[(k1, entry("one")), (k2, entry("two"))])
            .unwrap();
    }
    let mut cache = Cache::open(dir.path()).unwrap();
    let got = cache.get_many(&[k2, k1]).unwrap();
    assert_eq!(got[0].as_ref().unwrap().target, "two");
    assert_eq!(got[1].as_ref().unwrap().target, "one");
    let stats = cache.stats().unwrap();
    assert_eq!(
        (stats.entries, stats.input_tokens, stats.output_tokens),
        (2, 20, 8)
    );
    assert!(stats.file_bytes > 0);
    assert_eq!(cache.clear(OriginFilter::All).unwrap(), 2);
    assert_eq!(cache.get(&k1).unwrap(), None);
    assert_eq!(cache.stats().unwrap().entries, 0);
}

#[test]
fn notes_persist_across_opens_and_filter_by_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    assert!(cache.notes("probe:").unwrap().is_empty());
    let notes = vec![
        (
            "probe:http://a/v1\tm".to_string(),
            "json_object".to_string(),
        ),
        ("other:x".to_string(), "y".to_string()),
    ];
    cache.put_notes(&notes).unwrap();
    drop(cache);
    let cache = Cache::open(dir.path()).unwrap();
    assert_eq!(
        cache.notes("probe:").unwrap(),
        vec![(
            "probe:http://a/v1\tm".to_string(),
            "json_object".to_string()
        )]
    );
    cache
        .put_notes(&[("probe:http://a/v1\tm".into(), "none".into())])
        .unwrap();
    assert_eq!(cache.notes("probe:").unwrap()[0].1, "none");
    let mut cache = cache;
    cache.clear(OriginFilter::All).unwrap();
    assert!(
        cache.notes("").unwrap().is_empty(),
        "clear forgets the notes too"
    );
}

fn pair(origin: PairOrigin, source: &str, target: &str) -> PairEntry {
    PairEntry {
        origin,
        source_lang: "zh-CN".into(),
        target_lang: "en".into(),
        source: source.into(),
        target: target.into(),
        time: "2026-01-01T00:00:00Z".into(),
        file: Some("edited.tsv".into()),
        author: None,
        note: None,
    }
}

#[test]
fn pair_keys_ignore_spacing_and_region_but_not_script() {
    let base = PairKey::new("zh-CN", "en", "两江新区 发展");
    assert_eq!(
        base,
        PairKey::new("zh", "en-US", "  两江新区\u{3000}\t发展 ")
    );
    assert_eq!(base, PairKey::new("ZH_cn", "EN-gb", "两江新区 发展"));
    assert_ne!(base, PairKey::new("zh-TW", "en", "两江新区 发展"));
    assert_ne!(base, PairKey::new("zh-CN", "de", "两江新区 发展"));
    assert_ne!(base, PairKey::new("zh-CN", "en", "两江新区发展"));
    assert_eq!(language_key("zh-Hant-HK"), "zh-hant");
}

#[test]
fn imports_count_added_updated_unchanged_and_humans_outrank_machines() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    assert!(
        !cache.path().exists(),
        "opening alone creates no store file"
    );
    let first = [
        pair(PairOrigin::Human, "一", "one"),
        pair(PairOrigin::Human, "二", "two"),
        pair(PairOrigin::Machine, "三", "three"),
    ];
    let counts = cache.import(&first).unwrap();
    assert_eq!((counts.added, counts.updated, counts.unchanged), (3, 0, 0));
    let again = cache.import(&first).unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));
    let second = [
        pair(PairOrigin::Human, "一", "One!"),   // edited
        pair(PairOrigin::Machine, "二", "deux"), // a machine pair never replaces a human one
        pair(PairOrigin::Human, "三", "Three"),  // a human pair replaces a machine one
        pair(PairOrigin::Human, "四", "four"),
    ];
    let counts = cache.import(&second).unwrap();
    assert_eq!((counts.added, counts.updated, counts.unchanged), (1, 2, 1));
    let got = cache
        .pairs_many("zh", "en-US", &["一", "二", "三", "五"])
        .unwrap();
    let targets: Vec<Option<&str>> = got
        .iter()
        .map(|p| p.as_ref().map(|p| p.target.as_str()))
        .collect();
    assert_eq!(targets, [Some("One!"), Some("two"), Some("Three"), None]);
    let stats = cache.stats().unwrap();
    assert_eq!(
        (
            stats.human,
            stats.imported_machine,
            stats.machine,
            stats.entries
        ),
        (4, 0, 0, 4)
    );
}

#[test]
fn records_and_clear_follow_the_origin_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(dir.path()).unwrap();
    cache
        .import(&[
            pair(PairOrigin::Human, "一", "one"),
            pair(PairOrigin::Machine, "二", "two"),
        ])
        .unwrap();
    let key = CacheKey::new(&info(), "zh-CN", "en", "三", &[]);
    let old_style = CacheKey::new(&info(), "zh-CN", "en", "四", &[]);
    cache
        .put_many(&[
            (
                key,
                Entry {
                    target: "three".into(),
                    source: "三".into(),
                    source_lang: "zh-CN".into(),
                    target_lang: "en".into(),
                    backend: "openai".into(),
                    ..Entry::default()
                },
            ),
            (
                old_style,
                Entry {
                    target: "four".into(),
                    ..Entry::default()
                },
            ),
        ])
        .unwrap();
    assert_eq!(
        cache.records(OriginFilter::All).unwrap().len(),
        3,
        "the entry without source is left out"
    );
    assert_eq!(cache.records(OriginFilter::Human).unwrap().len(), 1);
    assert_eq!(cache.records(OriginFilter::Machine).unwrap().len(), 2);
    let index = cache.fuzzy_index("zh-CN", "en").unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(cache.clear(OriginFilter::Machine).unwrap(), 3);
    let stats = cache.stats().unwrap();
    assert_eq!(
        (stats.human, stats.imported_machine, stats.machine),
        (1, 0, 0)
    );
    assert_eq!(cache.clear(OriginFilter::All).unwrap(), 1);
    assert_eq!(cache.stats().unwrap().entries, 0);
}

#[test]
fn two_handles_in_one_process_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cache::open(dir.path()).unwrap();
    let b = Cache::open(dir.path()).unwrap();
    let threads: Vec<_> = [a, b]
        .into_iter()
        .enumerate()
        .map(|(n, cache)| {
            std::thread::spawn(move || {
                for i in 0..20 {
                    let source = format!("{n}-{i}");
                    let key = CacheKey::new(&info(), "zh-CN", "en", &source, &[]);
                    let entry = Entry {
                        target: source.clone(),
                        ..Entry::default()
                    };
                    cache.put_many(&[(key, entry)]).unwrap();
                    assert_eq!(cache.get(&key).unwrap().unwrap().target, source);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        Cache::open(dir.path()).unwrap().stats().unwrap().machine,
        40
    );
}

#[test]
fn a_held_memory_is_waited_for_then_reported_busy() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path())
        .unwrap()
        .with_wait(Duration::from_millis(200));
    cache
        .import(&[pair(PairOrigin::Human, "一", "one")])
        .unwrap();
    let holder = Database::create(cache.path()).unwrap();
    let started = Instant::now();
    let err = cache.pairs_many("zh", "en", &["一"]).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(matches!(err, CacheError::Busy { .. }), "{err}");
    drop(holder);
    assert_eq!(
        cache.pairs_many("zh", "en", &["一"]).unwrap()[0]
            .as_ref()
            .unwrap()
            .target,
        "one"
    );
}
