//! Text from the data (labels, headers, segment and wave values) as it may enter
//! report.md: a vendor's file must not be able to add markup, links, images or raw HTML to
//! a report that is mailed around, nor break the table a value sits in. The template
//! escapes every value it prints with [`escape`] (minijinja's auto-escaping), so a team's
//! own template is as safe as the built-in one.

/// `s` as literal markdown text: punctuation that starts emphasis, code, links, images,
/// tables, headings or strike-through is backslash-escaped; `<` (where it could open a tag),
/// `>` and `&` become entities (so no HTML tag or entity survives, and report.md itself
/// holds no `<script`);
/// line breaks become spaces (a value is one line of a table or a sentence).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `<` opens a tag, comment or autolink only before a letter, `/`, `!` or `?`:
            // "<0.001" stays as written.
            '<' if chars.peek().is_some_and(|n| n.is_ascii_digit() || *n == ' ' || *n == '=') => out.push('<'),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `s` as an inline code span (a column or file name): fenced by more backticks than any
/// run inside it, so the span cannot be closed early; pipes escaped so a table keeps its
/// columns (GitHub and pulldown-cmark read `\|` in a cell's code span as a pipe).
pub fn code(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let longest = one_line.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", one_line.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text() {
        assert_eq!(escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
        assert_eq!(escape("a|b *c* _d_ `e`"), "a\\|b \\*c\\* \\_d\\_ \\`e\\`");
        assert_eq!(escape("two\nlines &amp;"), "two lines &amp;amp;");
        assert_eq!(escape("Quality / accuracy +19.2 (95% CI)"), "Quality / accuracy +19.2 (95% CI)");
        assert_eq!(escape("<0.001"), "<0.001");
        assert_eq!(escape("</b><!-- <?x <a"), "&lt;/b&gt;&lt;\\!-- &lt;?x &lt;a");
    }

    #[test]
    fn code_spans_cannot_be_closed_early() {
        assert_eq!(code("wait_time"), "`wait_time`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
