//! report.html: the markdown report as one self-contained page for readers who never open
//! a markdown file. pulldown-cmark renders it; each chart is embedded as a data URI, so
//! the file can be mailed or printed to PDF on its own.

use std::path::Path;

use base64::Engine;
use pulldown_cmark::{html, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::error::{Error, Result};

/// Print-friendly styling: readable widths, tables that scroll on screen and do not split
/// across pages, charts scaled to the page.
const STYLE: &str = "
body { font-family: 'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif; color: #222; max-width: 1200px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { border-bottom: 2px solid #2f5f98; padding-bottom: .3em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .86em; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .3em .55em; }
th { background: #eef2f7; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; height: auto; display: block; margin: 1em 0; }
blockquote { border-left: 4px solid #d0a43c; margin: 1em 0; padding: .2em 1em; background: #fbf7ea; }
code { font-size: .92em; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  table { display: table; overflow: visible; }
  table, img, blockquote { page-break-inside: avoid; }
  h2, h3 { page-break-after: avoid; }
}
";

/// Forbids scripts, frames, forms and remote loads: only inline styles and the charts'
/// data URIs. A browser enforces it even if something slipped past the escaping.
const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// The page for `markdown`, with images read from `dir` (where the report is being written).
///
/// Nothing in the markdown can become markup the template did not write: raw HTML is shown
/// as text, links keep their text but lose their target, and an image is embedded only when
/// it is a chart file in `dir` (anything else shows its alt text). Text is written with
/// every character that could start a tag, an attribute or a URL scheme as an entity, so
/// the page holds no `<script`, `on…=` or `javascript:` from the data, even as text a mail
/// filter would flag.
pub fn render(markdown: &str, lang: &str, dir: &Path) -> Result<String> {
    let mut failure = None;
    // The page's title is the report's first heading, in the template's words.
    let (mut title, mut in_title) = (None::<String>, false);
    let mut events = Vec::new();
    let mut image: Option<(String, String)> = None; // (source, alt text so far)
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        if let Some((_, alt)) = image.as_mut() {
            match event {
                Event::End(TagEnd::Image) => {
                    let (src, alt) = image.take().expect("inside an image");
                    events.push(match embed(&src, dir) {
                        Some(Ok(uri)) => Event::Html(format!("<img src=\"{uri}\" alt=\"{}\" />", escape(&alt)).into()),
                        Some(Err(e)) => {
                            failure.get_or_insert(e);
                            Event::Html(String::new().into())
                        }
                        None => Event::Html(escape(&alt).into()),
                    });
                }
                Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => alt.push_str(&t),
                _ => {}
            }
            continue;
        }
        match &event {
            Event::Start(Tag::Heading { level: HeadingLevel::H1, .. }) if title.is_none() => {
                (title, in_title) = (Some(String::new()), true);
            }
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => in_title = false,
            Event::Text(t) | Event::Code(t) if in_title => title.get_or_insert_with(String::new).push_str(t),
            _ => {}
        }
        events.push(match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                image = Some((dest_url.to_string(), String::new()));
                continue;
            }
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => continue,
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => Event::Html(escape(&t).into()),
            Event::Code(t) => Event::Html(format!("<code>{}</code>", escape(&t)).into()),
            Event::FootnoteReference(t) => Event::Html(escape(&t).into()),
            other => other,
        });
    }
    let mut body = String::new();
    html::push_html(&mut body, events.into_iter());
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(lang),
        escape(title.as_deref().unwrap_or("keydriver"))
    ))
}

/// A chart of the report as a data URI: `None` when `src` is not a plain PNG file name
/// (the template wrote no such image; it is not fetched from anywhere).
fn embed(src: &str, dir: &Path) -> Option<Result<String>> {
    let plain = !src.is_empty() && !src.contains(['/', '\\', ':']) && !src.starts_with('.') && src.ends_with(".png");
    if !plain {
        return None;
    }
    let path = dir.join(src);
    Some(match std::fs::read(&path) {
        Ok(bytes) => Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))),
        Err(e) => Err(Error::output(&path, format!("cannot embed in report.html: {e}"))),
    })
}

/// Text for an HTML body or a quoted attribute.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '=' => out.push_str("&#61;"),
            ':' => out.push_str("&#58;"),
            c => out.push(c),
        }
    }
    out
}
