//! report.html: the markdown report as one self-contained page for readers who never open
//! a markdown file. pulldown-cmark renders it; each chart is embedded as a data URI, so
//! the file can be mailed or printed to PDF on its own.

use std::path::Path;

use base64::Engine;
use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

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

/// The page for `markdown`, with images read from `dir` (where the report is being written).
pub fn render(markdown: &str, title: &str, dir: &Path) -> Result<String> {
    let mut failure = None;
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            let path = dir.join(dest_url.as_ref());
            let dest_url = match std::fs::read(&path) {
                Ok(bytes) => {
                    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                    CowStr::from(format!("data:image/png;base64,{data}"))
                }
                Err(e) => {
                    failure.get_or_insert(Error::output(&path, format!("cannot embed in report.html: {e}")));
                    dest_url
                }
            };
            Event::Start(Tag::Image { link_type, dest_url, title, id })
        }
        other => other,
    });
    let mut body = String::new();
    html::push_html(&mut body, events);
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
