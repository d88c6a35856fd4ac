//! Builds small Word documents (DOCX) and HTML pages for the document tests and the bench,
//! with the zip crate, the way Word lays out a package: `[Content_Types].xml`, relationships,
//! styles, the body, footnotes and a PNG image.
#![allow(dead_code)]

use std::io::Write;

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

const W: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" \
xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"";

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/xinhua" TargetMode="External"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style><w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="FootnoteText"><w:name w:val="footnote text"/></w:style><w:style w:type="character" w:styleId="FootnoteReference"><w:name w:val="footnote reference"/><w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/></w:style></w:styles>"#;

const FOOTNOTES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> 数据来自重庆市统计局。</w:t></w:r></w:p></w:footnote></w:footnotes>"#;

fn image_run() -> String {
    r#"<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="952500" cy="952500"/><wp:docPr id="1" name="Picture 1"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="1" name="image1.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rId3"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#.to_string()
}

fn cell(text: &str) -> String {
    format!(
        "<w:tc><w:tcPr><w:tcW w:w=\"4000\" w:type=\"dxa\"/></w:tcPr><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"
    )
}

/// The body of the test article: a heading, a paragraph with bold and italic runs, a
/// hyperlink and a footnote mark, a 2×2 table, an image with a caption paragraph.
pub fn article_body() -> String {
    let mut body = String::new();
    body.push_str(r#"<w:p><w:pPr><w:pStyle w:val="1"/></w:pPr><w:bookmarkStart w:id="0" w:name="_Toc1"/><w:r><w:t>两江新区发展迅速</w:t></w:r><w:bookmarkEnd w:id="0"/></w:p>"#);
    body.push_str(r#"<w:p><w:r w:rsidR="00A1"><w:t xml:space="preserve">据</w:t></w:r><w:hyperlink r:id="rId4" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>新华社</w:t></w:r></w:hyperlink><w:r><w:t>报道，</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>重庆市</w:t></w:r><w:r><w:t>经济增长了百分之五。</w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>智能产业</w:t></w:r><w:r><w:t>发展很快。</w:t></w:r><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="1"/></w:r></w:p>"#);
    body.push_str("<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"8000\" w:type=\"dxa\"/></w:tblPr><w:tblGrid><w:gridCol w:w=\"4000\"/><w:gridCol w:w=\"4000\"/></w:tblGrid>");
    body.push_str(&format!("<w:tr>{}{}</w:tr>", cell("城市"), cell("人口")));
    body.push_str(&format!("<w:tr>{}{}</w:tr>", cell("重庆"), cell("三千万")));
    body.push_str("</w:tbl>");
    body.push_str(&format!("<w:p>{}</w:p>", image_run()));
    body.push_str(r#"<w:p><w:r><w:t>图为两江新区的夜景。</w:t></w:r></w:p>"#);
    body
}

/// A paragraph of running text for the long document.
pub fn filler_paragraph(n: usize) -> String {
    format!(
        r#"<w:p><w:r><w:t xml:space="preserve">第{n}段：重庆市两江新区今年上半年实现地区生产总值一千二百亿元，同比增长百分之八点五。</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>智能制造</w:t></w:r><w:r><w:t>和数字经济成为新的增长点，</w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>新华社</w:t></w:r><w:r><w:t>记者在现场看到，多家企业正在扩大生产规模。</w:t></w:r></w:p>"#
    )
}

/// A DOCX package around a body.
pub fn docx(body: &str) -> Vec<u8> {
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {W}><w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1440\" w:right=\"1440\" w:bottom=\"1440\" w:left=\"1440\" w:header=\"720\" w:footer=\"720\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.as_bytes()),
        ("word/styles.xml", STYLES.as_bytes()),
        ("word/footnotes.xml", FOOTNOTES.as_bytes()),
        ("word/media/image1.png", PNG),
    ] {
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(data).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

/// The test article as a DOCX.
pub fn article_docx() -> Vec<u8> {
    docx(&article_body())
}

/// About `pages` pages of text (eight paragraphs of about 105 characters a page) with formatting in every paragraph.
pub fn long_docx(pages: usize) -> Vec<u8> {
    let mut body = article_body();
    for n in 0..pages * 8 {
        body.push_str(&filler_paragraph(n + 1));
    }
    docx(&body)
}

/// The test page: navigation, a script, a figure with a caption, links, a `translate="no"`
/// span, a table and preformatted code.
pub const ARTICLE_HTML: &str = r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>两江新区发展报告</title>
<link rel="stylesheet" href="/static/site.css">
<script>var message = "中文脚本不翻译"; if (1 < 2) { console.log(message); }</script>
<style>.lead { color: #333; }</style>
</head>
<body>
<nav class="top"><a href="/">首页</a> | <a href="/news">新闻</a></nav>
<h1 id="title">两江新区<em>发展</em>迅速</h1>
<p class="lead">据<a href="https://example.com/xinhua" title="来源">新华社</a>报道，<b>重庆市</b>经济增长了百分之五。<span translate="no">BrandX品牌</span>保持不变。</p>
<figure><img src="/img/night.jpg" alt="夜景" width="640"><figcaption>图为两江新区的夜景。</figcaption></figure>
<table><tr><th>城市</th><th>人口</th></tr><tr><td>重庆</td><td>三千万</td></tr></table>
<pre>代码块不翻译</pre>
<script src="/static/app.js"></script>
</body>
</html>
"#;
