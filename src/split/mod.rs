//! Sentence boundaries inside a block, by the Chinese rules of SEGMENTATION.md (R1-R7).
//!
//! The splitter never changes a character: a segment is a slice of its block's text with the
//! whitespace around it trimmed (T1, T2). Headings, bylines and captions are one segment each
//! (B4). Segment ids are `b{block}.s{sentence}`, both numbered from 1 in reading order, so the
//! same file always yields the same ids.

pub mod english;

use crate::document::{Block, Document};
use crate::model::{BlockKind, Segment, SegmentId};
use crate::text::{is_closer, is_sentence_mark};
use std::ops::Range;

/// Cuts every block of a document into segments, in reading order.
pub fn segment_document(document: &Document) -> Vec<Segment> {
    document.blocks.iter().flat_map(segment_block).collect()
}

/// Cuts one block into segments with their ids.
pub fn segment_block(block: &Block) -> Vec<Segment> {
    let ranges = match block.kind {
        BlockKind::Paragraph => sentence_ranges(&block.text),
        _ => whole_block(&block.text),
    };
    ranges
        .into_iter()
        .enumerate()
        .map(|(index, range)| Segment {
            id: SegmentId::new(block.number, u32::try_from(index + 1).unwrap_or(u32::MAX)),
            block: block.number,
            kind: block.kind,
            line: block.line_of(range.start),
            text: block.text[range].to_string(),
        })
        .collect()
}

fn whole_block(text: &str) -> Vec<Range<usize>> {
    trim_range(text, 0..text.len()).into_iter().collect()
}

/// The byte ranges of the sentences of a paragraph, trimmed, in order. Gaps between ranges
/// hold only whitespace, so the ranges and gaps together are exactly the text.
pub fn sentence_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for end in boundaries(text) {
        ranges.extend(trim_range(text, start..end));
        start = end;
    }
    ranges.extend(trim_range(text, start..text.len()));
    ranges
}

fn trim_range(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let slice = &text[range.clone()];
    let trimmed_start = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    (!trimmed.is_empty())
        .then(|| range.start + trimmed_start..range.start + trimmed_start + trimmed.len())
}

fn opening_for(close: char) -> Option<char> {
    match close {
        '”' => Some('“'),
        '’' => Some('‘'),
        '」' => Some('「'),
        '』' => Some('『'),
        _ => None,
    }
}

/// An open quotation: its opening character and how many sentence marks it holds so far.
#[derive(Debug, Clone, Copy)]
struct OpenQuote {
    open: char,
    marks: u32,
}

/// Byte offsets of the sentence boundaries inside a paragraph (not including its end).
fn boundaries(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut quotes: Vec<OpenQuote> = Vec::new();
    let mut ascii_quote_open = false;
    // Marks inside a title in 《…》 (`《为什么？》一书`) end no sentence.
    let mut title_depth = 0u32;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        match c {
            '“' | '‘' | '「' | '『' => quotes.push(OpenQuote { open: c, marks: 0 }),
            '《' => title_depth += 1,
            '》' => title_depth = title_depth.saturating_sub(1),
            '"' => {
                if ascii_quote_open {
                    close_quote(&mut quotes, '"');
                } else {
                    quotes.push(OpenQuote {
                        open: '"',
                        marks: 0,
                    });
                }
                ascii_quote_open = !ascii_quote_open;
            }
            _ if is_closer(c) => {
                if let Some(open) = opening_for(c) {
                    close_quote(&mut quotes, open);
                }
            }
            _ if is_sentence_mark(c) => {
                if title_depth > 0 || ((c == '!' || c == '?') && is_inside_ascii_word(bytes, i)) {
                    continue; // `Yahoo!Japan`, `a.php?id=1`
                }
                // A run of marks is one mark (R1).
                let mut end = i + c.len_utf8();
                while let Some(&(j, next)) = iter.peek() {
                    if !is_sentence_mark(next) {
                        break;
                    }
                    end = j + next.len_utf8();
                    iter.next();
                }
                for quote in &mut quotes {
                    quote.marks += 1;
                }
                // Closing quotes and brackets right after the mark belong to the sentence (R2).
                let mut closed_one_sentence_quote = false;
                while let Some(&(j, next)) = iter.peek() {
                    let closes_ascii = next == '"' && ascii_quote_open;
                    if !is_closer(next) && !closes_ascii {
                        break;
                    }
                    let open = if closes_ascii {
                        ascii_quote_open = false;
                        Some('"')
                    } else {
                        opening_for(next)
                    };
                    if let Some(open) = open
                        && let Some(quote) = close_quote(&mut quotes, open)
                    {
                        closed_one_sentence_quote = quote.marks == 1;
                    }
                    end = j + next.len_utf8();
                    iter.next();
                }
                if end >= text.len() {
                    break;
                }
                // A quoted exclamation inside a sentence (`‘做到了！’，这话…`): no sentence
                // starts with a comma, so the mark ends none.
                if text[end..].starts_with(['，', ',', '、', '；', ';', '：', ':']) {
                    continue;
                }
                // R5: a one-sentence quotation followed by its attribution is one sentence.
                if closed_one_sentence_quote && starts_with_attribution(&text[end..]) {
                    continue;
                }
                out.push(end);
            }
            _ => {}
        }
    }
    out
}

/// Pops the innermost open quote with this opening character (and any unclosed quotes inside
/// it). A closing quote without an opening one is ignored.
fn close_quote(quotes: &mut Vec<OpenQuote>, open: char) -> Option<OpenQuote> {
    let index = quotes.iter().rposition(|q| q.open == open)?;
    let quote = quotes[index];
    quotes.truncate(index);
    Some(quote)
}

/// An ASCII `!`/`?` between two ASCII letters, digits or URL characters is not a mark.
fn is_inside_ascii_word(bytes: &[u8], i: usize) -> bool {
    let before = i.checked_sub(1).and_then(|j| bytes.get(j));
    let after = bytes.get(i + 1);
    let wordy =
        |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b"/=&_-".contains(b));
    wordy(before) && wordy(after)
}

/// Verbs of saying, stating or perceiving that report a quotation (R5).
const SPEECH_VERBS: &[&str] = &[
    "说",
    "说道",
    "表示",
    "指出",
    "介绍",
    "介绍说",
    "告诉记者",
    "对记者说",
    "坦言",
    "认为",
    "强调",
    "称",
    "表明",
    "透露",
    "感叹",
    "感慨",
    "感慨道",
    "反问",
    "回忆",
    "回忆说",
    "感受到",
    "感到",
    "笑着说",
    "补充道",
    "补充说",
    "解释",
    "解释说",
    "谈到",
    "提到",
    "问",
    "问道",
    "答",
    "答道",
    "道",
    "直言",
    "相信",
    "觉得",
    "坦承",
    "形容",
    "评价",
    "回答",
    "回应",
    "告诉",
    "写道",
    "呼吁",
    "提醒",
    "说着",
];

/// Punctuation that may follow the speech verb of an attribution clause.
fn ends_attribution(c: char) -> bool {
    matches!(c, '，' | ',' | '：' | ':' | '。' | '！' | '!' | '；' | ';')
}

/// The longest text an attribution clause may have before its verb, in characters.
const MAX_ATTRIBUTION_CHARS: usize = 64;

/// Words that end a person's title (`…管委会主任`, `…公司董事长`): a comma after one of them
/// still belongs to the speaker's name, as in `…管委会主任,重庆高新区…主任商奎表示,`.
const TITLE_ENDINGS: &[&str] = &[
    "主任",
    "书记",
    "局长",
    "处长",
    "科长",
    "部长",
    "厅长",
    "市长",
    "区长",
    "县长",
    "镇长",
    "主席",
    "院长",
    "校长",
    "所长",
    "会长",
    "理事长",
    "秘书长",
    "董事长",
    "总经理",
    "经理",
    "总裁",
    "总监",
    "负责人",
    "教授",
    "研究员",
    "院士",
    "委员",
    "代表",
    "专家",
    "队长",
    "站长",
];

/// Whether `rest` (the text after a closing quote) starts with an attribution: a speaker
/// (name, title and name, he/she) and a verb of saying that ends the first clause, as in
/// `市发展改革委主任董建国说,…` or `他表示,…`. The first clause may run across a comma
/// only where the comma follows a title (`…管委会主任,重庆高新区…主任商奎表示,`); an
/// adverbial first clause (`近年来,他表示`) is not an attribution.
fn starts_with_attribution(rest: &str) -> bool {
    let first = rest.chars().next();
    // A new quotation or a bracket is not a speaker.
    if first
        .is_none_or(|c| c.is_whitespace() || "“「『‘\"(（《【".contains(c) || is_sentence_mark(c))
    {
        return false;
    }
    let ends_with_verb = |clause: &str| {
        SPEECH_VERBS
            .iter()
            .any(|v| clause.ends_with(v) && clause.len() > v.len())
    };
    let mut clause_start = 0;
    for (seen, (i, c)) in rest.char_indices().enumerate() {
        if seen > MAX_ATTRIBUTION_CHARS {
            return false;
        }
        if ends_attribution(c) && i > clause_start {
            if ends_with_verb(&rest[..i]) {
                return true;
            }
            let clause = &rest[clause_start..i];
            let title_goes_on =
                matches!(c, '，' | ',') && TITLE_ENDINGS.iter().any(|t| clause.ends_with(t));
            if !title_goes_on {
                return false;
            }
            clause_start = i + c.len_utf8();
        }
        if is_sentence_mark(c) || c == '；' || c == ';' {
            return false;
        }
    }
    // The attribution may end the paragraph: `“…。”他说` (no punctuation after).
    ends_with_verb(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentence_ranges(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn marks_split_and_runs_are_one_mark() {
        assert_eq!(split("甲。乙！丙？丁"), ["甲。", "乙！", "丙？", "丁"]);
        assert_eq!(split("真的吗？！是的!?好"), ["真的吗？！", "是的!?", "好"]);
        assert_eq!(split("Good! Fine? 好。"), ["Good!", "Fine?", "好。"]);
    }

    #[test]
    fn decimals_money_times_abbreviations_are_not_boundaries() {
        let text = "增长3.5%,达86.4亿元和1.2万亿元,约３．１４倍。会议10:30开始,7:40结束。";
        assert_eq!(
            split(text),
            [
                "增长3.5%,达86.4亿元和1.2万亿元,约３．１４倍。",
                "会议10:30开始,7:40结束。"
            ]
        );
        let text = "U.S. 与 Dr. Li 见面,Co., Ltd. 发布 v2.0 版本。下一句。";
        assert_eq!(split(text).len(), 2);
    }

    #[test]
    fn ellipsis_dashes_semicolons_colons_do_not_split() {
        assert_eq!(split("某某……一个个“IP”出现。"), ["某某……一个个“IP”出现。"]);
        assert_eq!(split("等等……。下一句。"), ["等等……。", "下一句。"]);
        assert_eq!(
            split("他说——这是真的；那是假的：对。"),
            ["他说——这是真的；那是假的：对。"]
        );
        assert_eq!(
            split("一是加强;二是推进;三是落实。"),
            ["一是加强;二是推进;三是落实。"]
        );
    }

    #[test]
    fn closing_quotes_and_brackets_stay_with_their_sentence() {
        assert_eq!(
            split("他说完成了。”工区很忙。"),
            ["他说完成了。”", "工区很忙。"]
        );
        assert_eq!(
            split("（注：见上文。）下文。"),
            ["（注：见上文。）", "下文。"]
        );
        assert_eq!(
            split("要落到实处”。下一句。"),
            ["要落到实处”。", "下一句。"]
        );
    }

    #[test]
    fn nested_quotes_split_inside() {
        let text = "“大家常说:‘我们做到了!’这话不夸张。我们还要努力。”";
        assert_eq!(
            split(text),
            ["“大家常说:‘我们做到了!’", "这话不夸张。", "我们还要努力。”"]
        );
        assert_eq!(split("“A。B。”C。"), ["“A。", "B。”", "C。"]);
    }

    #[test]
    fn one_sentence_quote_with_attribution_is_one_sentence() {
        let text = "“总书记的贺信让我们备受鼓舞,使命光荣。”市大数据发展局党组书记、局长代小红说,市大数据发展局将加快发展。";
        assert_eq!(split(text).len(), 1);
        let text = "“让人备受鼓舞、倍增信心!”两江新区党工委副书记、管委会主任罗茜表示,两江新区将推动发展。一是加快。";
        assert_eq!(split(text).len(), 2);
        let text = "“指明了方向。”西部(重庆)科学城党工委副书记、管委会主任,重庆高新区党工委副书记、管委会主任商奎表示,科学城将推进。";
        assert_eq!(split(text).len(), 1);
        assert_eq!(split("“不仅有思想碰撞。”他表示,平台将转化成果。").len(), 1);
        assert_eq!(
            split("“我很期待。”居民蒋晓霞近年来深深感受到,生活变了。").len(),
            1
        );
        assert_eq!(split("“好。”他说。").len(), 1);
    }

    #[test]
    fn an_adverbial_first_clause_is_not_an_attribution() {
        assert_eq!(split("“我们做到了。”近年来,他表示,发展很快。").len(), 2);
        assert_eq!(split("“我们做到了。”对此,专家表示,发展很快。").len(), 2);
        // Titles joined by a comma still name the speaker.
        assert_eq!(
            split("“好。”某公司董事长,某协会会长张三说,发展很快。").len(),
            1
        );
    }

    #[test]
    fn several_sentence_quote_keeps_the_boundary_before_attribution() {
        let text = "“推动深度融合。对此,我们深有感触。”市发展改革委党组书记、主任董建国说,近年来,重庆积极开展建设。";
        assert_eq!(
            split(text),
            [
                "“推动深度融合。",
                "对此,我们深有感触。”",
                "市发展改革委党组书记、主任董建国说,近年来,重庆积极开展建设。"
            ]
        );
    }

    #[test]
    fn quote_followed_by_non_attribution_is_a_boundary() {
        let text = "“希望家里充满‘智慧’,让生活更加便捷。”蒋晓霞准备让新家的电灯实现智能控制。";
        assert_eq!(split(text).len(), 2);
        let text = "“这让我们更加坚信数字经济未来可期!”近年来,渝丰科技走上了转型的道路。";
        assert_eq!(split(text).len(), 2);
        assert_eq!(split("“好。”“走。”他说。"), ["“好。”", "“走。”他说。"]);
    }

    #[test]
    fn quote_without_inner_mark_never_triggers_attribution_rule() {
        assert_eq!(
            split("“不再是障碍……”她介绍说,这是好事。"),
            ["“不再是障碍……”她介绍说,这是好事。"]
        );
    }

    #[test]
    fn list_markers_stay_with_their_sentence() {
        assert_eq!(
            split("一是加快。二是推进。三是落实。"),
            ["一是加快。", "二是推进。", "三是落实。"]
        );
        assert_eq!(
            split("（一）通道更通畅。内容很多。"),
            ["（一）通道更通畅。", "内容很多。"]
        );
        assert_eq!(
            split("1. 数字产业。发展迅速。"),
            ["1. 数字产业。", "发展迅速。"]
        );
    }

    #[test]
    fn text_ending_inside_an_open_quote() {
        assert_eq!(
            split("他说：“我们走。大家好"),
            ["他说：“我们走。", "大家好"]
        );
    }

    #[test]
    fn a_mark_followed_by_a_comma_ends_no_sentence() {
        assert_eq!(
            split("大家常说‘做到了！’，这话不夸张。好。"),
            ["大家常说‘做到了！’，这话不夸张。", "好。"]
        );
    }

    #[test]
    fn marks_inside_book_titles_are_not_boundaries() {
        assert_eq!(
            split("《为什么？》一书出版。好。"),
            ["《为什么？》一书出版。", "好。"]
        );
    }

    #[test]
    fn urls_are_not_split() {
        assert_eq!(
            split("访问 http://a.cn/x.php?id=1 查看。好。"),
            ["访问 http://a.cn/x.php?id=1 查看。", "好。"]
        );
    }

    #[test]
    fn whitespace_between_sentences_is_trimmed() {
        assert_eq!(split(" 甲。 乙。  "), ["甲。", "乙。"]);
    }

    #[test]
    fn headings_bylines_captions_are_one_segment() {
        let doc = crate::document::parse_text(
            "t",
            "# 为什么选择某地？三组数据给出答案\n\n▲8月23日。嘉宾参观。\n\n记者 谢智强 摄",
            crate::document::Encoding::Utf8,
        );
        let segments = segment_document(&doc);
        assert_eq!(segments.len(), 3);
        assert_eq!(segments[0].text, "为什么选择某地？三组数据给出答案");
        assert_eq!(segments[1].id.to_string(), "b2.s1");
    }

    #[test]
    fn ids_number_blocks_and_sentences_from_one() {
        let doc = crate::document::parse_text(
            "t",
            "# 题\n\n甲。乙。\n\n丙。",
            crate::document::Encoding::Utf8,
        );
        let ids: Vec<String> = segment_document(&doc)
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        assert_eq!(ids, ["b1.s1", "b2.s1", "b2.s2", "b3.s1"]);
    }

    proptest::proptest! {
        #[test]
        fn segments_tile_the_block(text in "[甲乙“”‘’。！？!?，,：:；… \"()（）a-c0-9.\n]{0,60}") {
            let ranges = sentence_ranges(&text);
            let mut at = 0;
            for range in &ranges {
                proptest::prop_assert!(text[at..range.start].trim().is_empty());
                proptest::prop_assert!(!text[range.clone()].trim().is_empty());
                proptest::prop_assert_eq!(text[range.clone()].trim(), &text[range.clone()]);
                at = range.end;
            }
            proptest::prop_assert!(text[at..].trim().is_empty());
        }

        #[test]
        fn any_text_parses_and_splits(text in "\\PC{0,200}") {
            let doc = crate::document::parse_text("p", &text, crate::document::Encoding::Utf8);
            for block in &doc.blocks {
                let joined: String = segment_block(block).iter().map(|s| s.text.as_str()).collect();
                let without_space: String = block.text.chars().filter(|c| !c.is_whitespace()).collect();
                let joined_without_space: String = joined.chars().filter(|c| !c.is_whitespace()).collect();
                proptest::prop_assert_eq!(joined_without_space, without_space);
            }
        }
    }
}
