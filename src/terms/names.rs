//! People's and places' names: where a person's name starts and ends in running text
//! (titles before it, speech verbs after it, bylines), and how a name is written in English
//! (pinyin, surname first; places in pinyin with their English head). Shared by
//! `bitext terms` and the offline gloss engine.

use crate::backend::gloss::Lexicon;
pub use crate::text::is_han;
use std::ops::Range;

/// Common surnames that CC-CEDICT does not mark as such (it marks most).
const COMMON_SURNAMES: &str = "代漆戴付闫覃";

/// Job titles and roles that precede a person's name in news copy (市长张三, 记者李四).
const TITLES: &[&str] = &[
    "主任",
    "书记",
    "记者",
    "经理",
    "主席",
    "总裁",
    "董事",
    "总监",
    "教授",
    "研究员",
    "工程师",
    "专家",
    "村民",
    "居民",
    "市民",
    "员工",
    "院士",
    "医生",
    "老师",
    "博士",
    "代表",
    "负责人",
    "创始人",
    "律师",
    "民警",
    "警官",
    "主管",
    "委员",
    "秘书",
    "局长",
    "部长",
    "厅长",
    "关长",
    "市长",
    "省长",
    "县长",
    "区长",
    "镇长",
    "乡长",
    "村长",
    "校长",
    "院长",
    "所长",
    "处长",
    "科长",
    "会长",
    "社长",
    "行长",
    "站长",
    "馆长",
    "队长",
    "组长",
    "厂长",
    "船长",
    "机长",
    "店长",
    "理事长",
    "董事长",
    "秘书长",
    "总经理",
    "主持人",
    "通讯员",
    "农民",
    "游客",
    "学生",
    "志愿者",
    "发言人",
    "大使",
    "总理",
    "总统",
    "部长",
    "首相",
    "司令",
    "政委",
    "党委书记",
    "村支书",
];

/// Words that follow a person's name (speech verbs, prepositions, common adverbs).
const FOLLOWERS: &[&str] = &[
    "说",
    "表示",
    "介绍",
    "认为",
    "指出",
    "告诉",
    "称",
    "透露",
    "坦言",
    "强调",
    "谈到",
    "回忆",
    "提到",
    "感叹",
    "解释",
    "补充",
    "建议",
    "希望",
    "相信",
    "在",
    "的",
    "和",
    "与",
    "同",
    "等",
    "也",
    "还",
    "就",
    "都",
    "则",
    "又",
    "曾",
    "是",
    "从",
    "对",
    "向",
    "将",
    "把",
    "被",
    "给",
    "为",
    "已",
    "正",
    "非常",
    "近年来",
    "一直",
    "今年",
    "目前",
    "现在",
    "当时",
    "所在",
    "带领",
    "率领",
    "主持",
    "出席",
    "参加",
    "会见",
    "看到",
    "准备",
    "正在",
    "已经",
];

/// Characters that never belong to a given name here (particles, verbs of speech, measure
/// words): a name candidate that contains one is cut short.
const NOT_GIVEN: &str = "的了在是和与说等也还就都则又将把被给为对向从到于及并以之其这那该个着过们";

/// Words that mark a byline: the names after them are separated by spaces.
const BYLINE_MARKS: &[&str] = &["记者", "通讯员", "摄影", "编辑", "实习生", "作者"];

/// Whether `c` can start a person's name: a surname CC-CEDICT marks as one, or a common one.
pub fn is_surname(lex: &Lexicon, c: char) -> bool {
    let mut buf = [0u8; 4];
    COMMON_SURNAMES.contains(c) || lex.surname_pinyin(c.encode_utf8(&mut buf)).is_some()
}

/// A person's name found in a text: its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSpan {
    pub range: Range<usize>,
}

/// People's names in `text` found by their context: after a title or role (主任董建国说,
/// 村民李秀兰说), before a speech verb at the start of a clause (”陈立群说), and in bylines
/// (记者 徐静怡 周海涛). Names are a surname and one or two Han characters; the length is
/// chosen by what follows (a speech verb, a preposition, punctuation). Sorted, not
/// overlapping.
pub fn find_people(lex: &Lexicon, text: &str) -> Vec<Range<usize>> {
    let mut found: Vec<Range<usize>> = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (at, c) = chars[k];
        if is_surname(lex, c)
            && anchored(text, at, lex)
            && let Some(len) = name_len(lex, text, at)
        {
            found.push(at..at + len);
            k += text[at..at + len].chars().count();
            continue;
        }
        k += 1;
    }
    found.extend(byline_names(lex, text));
    found.sort_by_key(|r| (r.start, r.end));
    found.dedup_by(|b, a| b.start < a.end);
    found
}

/// Whether a name may start at byte `at`: after a title, or at a clause start followed
/// (within three characters) by a speech verb.
fn anchored(text: &str, at: usize, lex: &Lexicon) -> bool {
    let before = &text[..at];
    if TITLES.iter().any(|t| before.ends_with(t)) {
        return true;
    }
    let clause_start = before
        .chars()
        .next_back()
        .is_none_or(|c| !is_han(c) && !c.is_ascii_alphanumeric());
    clause_start
        && [2usize, 3].iter().any(|&n| {
            let end = text[at..].char_indices().nth(n).map(|(i, _)| at + i);
            end.is_some_and(|end| {
                SPEECH_VERBS.iter().any(|v| text[end..].starts_with(v))
                    && given_ok(lex, &text[at..end])
            })
        })
}

/// Verbs that follow a speaker's name in news copy.
pub const SPEECH_VERBS: &[&str] = &[
    "说", "表示", "介绍", "认为", "指出", "告诉", "称", "透露", "坦言", "强调", "谈到",
];

/// Whether the characters after the surname can be a given name.
fn given_ok(_lex: &Lexicon, name: &str) -> bool {
    let mut chars = name.chars();
    chars.next();
    let given: Vec<char> = chars.collect();
    !given.is_empty() && given.iter().all(|&c| is_han(c) && !NOT_GIVEN.contains(c))
}

/// Whether a name may end at byte `end`: punctuation, a space, the end, or a follower word.
fn ends_name(text: &str, end: usize) -> bool {
    let rest = &text[end..];
    match rest.chars().next() {
        None => true,
        Some(c) if !is_han(c) => true,
        Some(_) => FOLLOWERS.iter().any(|f| rest.starts_with(f)),
    }
}

/// The byte length of the name starting at `at` (surname + 2 characters preferred, else
/// surname + 1), or `None` when neither ends at a name boundary.
fn name_len(lex: &Lexicon, text: &str, at: usize) -> Option<usize> {
    let offsets: Vec<usize> = text[at..]
        .char_indices()
        .map(|(i, _)| at + i)
        .chain(std::iter::once(text.len()))
        .take(4)
        .collect();
    for n in [3usize, 2] {
        let Some(&end) = offsets.get(n) else {
            continue;
        };
        let name = &text[at..end];
        if !given_ok(lex, name) || !ends_name(text, end) {
            continue;
        }
        // The last character starts a follower word (漆丹表示: 表 starts 表示): shorter.
        let last = offsets[n - 1];
        if n == 3
            && FOLLOWERS
                .iter()
                .any(|f| f.chars().count() > 1 && text[last..].starts_with(f))
        {
            continue;
        }
        // A dictionary word is not a name (主任委员, 书记处), nor a surname before a
        // proper noun (向中国: "to China").
        if lex.senses(name).is_some() && !lex.is_proper(name) {
            continue;
        }
        let given = &name[name.chars().next().map_or(0, char::len_utf8)..];
        if given.chars().count() == 2 && lex.is_proper(given) && lex.senses(given).is_some() {
            continue;
        }
        return Some(end - at);
    }
    None
}

/// Names in bylines: after 记者/通讯员 …, space-separated words of 2–4 Han characters that
/// start with a surname (本报记者 王亚同 中晓佳 彭瑜).
fn byline_names(lex: &Lexicon, text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for mark in BYLINE_MARKS {
        for (at, _) in text.match_indices(mark) {
            let mut pos = at + mark.len();
            loop {
                let rest = &text[pos..];
                let gap = rest.len() - rest.trim_start().len();
                if gap == 0 && pos != at + mark.len() {
                    break;
                }
                let start = pos + gap;
                let word_len = text[start..]
                    .char_indices()
                    .find(|&(_, c)| !is_han(c))
                    .map_or(text.len() - start, |(i, _)| i);
                let word = &text[start..start + word_len];
                let n = word.chars().count();
                let first = word.chars().next();
                let is_name = (2..=4).contains(&n)
                    && first.is_some_and(|c| is_surname(lex, c))
                    && given_ok(lex, word)
                    && (lex.senses(word).is_none() || lex.is_proper(word));
                if gap == 0 || !is_name {
                    break;
                }
                out.push(start..start + word_len);
                pos = start + word_len;
            }
        }
    }
    out
}

/// A word jieba tags as a person's name is read as one when the dictionary does not know
/// it, it starts with a surname, and it does not start with or end in a dictionary word
/// (智能化 starts with 智能, 高水平 ends in 水平: not names).
pub fn looks_like_name(lex: &Lexicon, word: &str) -> bool {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    if !(2..=4).contains(&chars.len()) || lex.contains(word) {
        return false;
    }
    // Places and institutions (高新区, 江北区), not people.
    if word.ends_with([
        '区', '市', '县', '省', '镇', '村', '路', '街', '园', '院', '局', '网', '站', '城', '港',
        '馆', '厂', '所', '会', '社', '部', '团', '队', '厅', '委', '办', '司',
    ]) {
        return false;
    }
    if !is_surname(lex, chars[0].1) {
        return false;
    }
    let given = &word[chars[1].0..];
    let prefix_word = (2..chars.len()).any(|n| lex.senses(&word[..chars[n].0]).is_some());
    let given_word = given.chars().count() > 1 && lex.senses(given).is_some();
    !prefix_word && !given_word
}

/// A person's name in pinyin: surname, then the given name as one word (`代小红` →
/// `Dai Xiaohong`, `曾令果` → `Zeng Lingguo`).
pub fn pinyin_name(lex: &Lexicon, word: &str) -> Option<String> {
    let first = word.chars().next()?;
    let mut buf = [0u8; 4];
    let first_str = first.encode_utf8(&mut buf);
    let surname = match lex.surname_pinyin(first_str) {
        // 曾 reads Zeng as a surname, ceng otherwise.
        Some(p) => clean_syllable(p),
        None => syllables_of(lex, first_str)?.into_iter().next()?,
    };
    let given_text = &word[first.len_utf8()..];
    let mut given = Vec::new();
    for c in given_text.chars() {
        given.extend(syllables_of(lex, c.encode_utf8(&mut buf))?);
    }
    Some(format!(
        "{} {}",
        capitalise_first(&surname),
        capitalise_first(&join_syllables(&given))
    ))
}

/// Syllables written as one word, with an apostrophe before a syllable that starts with a
/// vowel (`Xi'an`).
pub fn join_syllables(syllables: &[String]) -> String {
    let mut out = String::new();
    for (i, s) in syllables.iter().enumerate() {
        if i > 0 && s.starts_with(['a', 'e', 'o']) {
            out.push('\'');
        }
        out.push_str(s);
    }
    out
}

/// Toneless pinyin of a word as one capitalised word (`重庆` → `Chongqing`).
pub fn pinyin_word(lex: &Lexicon, word: &str) -> Option<String> {
    Some(capitalise_first(&join_syllables(&syllables_of(lex, word)?)))
}

fn clean_syllable(s: &str) -> String {
    s.trim_end_matches(|c: char| c.is_ascii_digit())
        .replace("u:", "ü")
        .to_lowercase()
}

/// Toneless lower-case syllables of a word, read from the dictionary (the word itself, or
/// char by char).
pub fn syllables_of(lex: &Lexicon, word: &str) -> Option<Vec<String>> {
    let clean = |p: &str| -> Vec<String> { p.split_whitespace().map(clean_syllable).collect() };
    if let Some(p) = lex.pinyin(word) {
        return Some(clean(p));
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4];
    for c in word.chars() {
        out.extend(clean(lex.pinyin(c.encode_utf8(&mut buf))?));
    }
    Some(out)
}

pub fn capitalise_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Administrative and place heads with their English (longest first when matching).
pub const PLACE_HEADS: &[(&str, &str)] = &[
    ("特别行政区", "Special Administrative Region"),
    ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("开发区", "Development Zone"),
    ("自贸区", "Free Trade Zone"),
    ("新区", "New Area"),
    ("新城", "New City"),
    ("街道", "Subdistrict"),
    ("社区", "Community"),
    ("省", "Province"),
    ("市", "City"),
    ("区", "District"),
    ("县", "County"),
    ("镇", "Town"),
    ("乡", "Township"),
    ("村", "Village"),
    ("州", "Prefecture"),
];

/// A place name's English head: the longest place head `word` ends with, and the proper
/// part before it (`简阳市` → (`简阳`, "City")).
pub fn split_place(word: &str) -> Option<(&str, &'static str)> {
    PLACE_HEADS.iter().find_map(|(head, english)| {
        let proper = word.strip_suffix(head)?;
        (proper.chars().count() >= 2).then_some((proper, *english))
    })
}

/// The romanised form of a proper name: CC-CEDICT's own spelling when its sense starts with
/// the name's pinyin (`九龙坡区` → `Jiulongpo`), else the pinyin as one word.
pub fn romanise(lex: &Lexicon, word: &str) -> Option<String> {
    let syllables = syllables_of(lex, word)?;
    if let Some(senses) = lex.senses(word) {
        let squash = |s: &str| s.replace([' ', '\'', '-'], "").to_lowercase();
        for sense in senses {
            for n in (2.min(syllables.len())..=syllables.len()).rev() {
                let name = syllables[..n].concat();
                let mut taken = String::new();
                for c in sense.chars() {
                    taken.push(c);
                    let sq = squash(&taken);
                    if sq == name && !sense[taken.len()..].starts_with(char::is_alphanumeric) {
                        return Some(taken);
                    }
                    if sq.len() > name.len() {
                        break;
                    }
                }
            }
        }
    }
    Some(capitalise_first(&join_syllables(&syllables)))
}

/// A place name in English: the romanised proper part and the English head (`简阳市` →
/// `Jianyang City`, `石桥镇` → `Shiqiao Town`); a name without a known head is romanised.
pub fn place_english(lex: &Lexicon, word: &str) -> Option<String> {
    match split_place(word) {
        Some((proper, head)) => Some(format!("{} {head}", romanise(lex, proper)?)),
        None => romanise(lex, word),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(text: &str) -> Vec<&str> {
        find_people(Lexicon::global(), text)
            .into_iter()
            .map(|r| &text[r])
            .collect::<Vec<_>>()
    }

    #[test]
    fn names_after_titles_and_before_speech_verbs() {
        assert_eq!(people("市委书记张建华表示，当地将"), ["张建华"]);
        assert_eq!(people("公司总经理漆丹表示，"), ["漆丹"]);
        assert_eq!(people("副总经理何勃说，作为"), ["何勃"]);
        assert_eq!(people("“我们希望。”陈立群说。"), ["陈立群"]);
        assert_eq!(people("总工程师罗家明表示，这条"), ["罗家明"]);
        assert_eq!(people("总经理曾令果非常激动"), ["曾令果"]);
        assert_eq!(people("（记者 徐静怡 周海涛）"), ["徐静怡", "周海涛"]);
        assert!(people("经济增长高于预期，市场说明").is_empty());
    }

    #[test]
    fn names_in_pinyin() {
        let lex = Lexicon::global();
        assert_eq!(pinyin_name(lex, "张建华").unwrap(), "Zhang Jianhua");
        assert_eq!(pinyin_name(lex, "曾令果").unwrap(), "Zeng Lingguo");
        assert_eq!(pinyin_name(lex, "龙丹梅").unwrap(), "Long Danmei");
        assert_eq!(pinyin_name(lex, "漆丹").unwrap(), "Qi Dan");
        assert_eq!(place_english(lex, "简阳市").unwrap(), "Jianyang City");
        assert_eq!(place_english(lex, "石桥镇").unwrap(), "Shiqiao Town");
        assert_eq!(
            place_english(lex, "九龙坡区").unwrap(),
            "Jiulongpo District"
        );
    }
}
