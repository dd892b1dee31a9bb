//! The report's wording: a minijinja template over [`super::context::Report`]. The
//! built-in English template (`templates/report.md.j2`) is compiled into the binary;
//! `--template FILE` swaps in a team's own wording or language. Undefined names are
//! errors (not silent blanks), so a typo in a template is caught on the first run, and a
//! template that does not compile is refused before any data is read. Every value a
//! template prints is escaped as markdown text ([`super::markdown::escape`]): data can
//! add no markup to a report, whoever wrote the template.

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::charts::{Chart, Words};
use crate::error::{Error, Result};

const BUILTIN: &str = include_str!("../../templates/report.md.j2");

/// The template as report.md (markdown-escaped) and as the charts' words (plain).
const REPORT: &str = "report";
const CHARTS: &str = "charts";
const BUILTIN_CHARTS: &str = "built-in charts";
/// The macro that gives a chart's words.
const CHART_WORDS: &str = "chart_words";

/// What a template made of a report: report.md's text, and the language it is written in
/// (the template's `{% set lang = "fr" %}`; English when it sets none), for report.html.
#[derive(Debug)]
pub struct Rendered {
    pub markdown: String,
    pub lang: String,
}

/// A checked template: its text, and the file it came from (none for the built-in one).
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    file: Option<PathBuf>,
}

impl Template {
    pub fn builtin() -> Template {
        Template { source: BUILTIN.to_string(), file: None }
    }

    /// Reads and compiles `path`; a syntax error names the file and line.
    pub fn from_file(path: &Path) -> Result<Template> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| Error::Unreadable { file: path.to_path_buf(), reason: e.to_string() })?;
        let t = Template { source, file: Some(path.to_path_buf()) };
        t.environment()?;
        Ok(t)
    }

    fn environment(&self) -> Result<Environment<'_>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        // A block tag on a line of its own leaves no blank line behind.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        // A macro's output is already escaped: capitalising keeps it so.
        env.add_filter("capitalised", |v: Value| {
            let s = super::capitalised(&v.to_string());
            if v.is_safe() {
                Value::from_safe_string(s)
            } else {
                Value::from(s)
            }
        });
        // Data-derived text is printed escaped; `code` prints a column or file name as a
        // code span (already safe, so not escaped twice).
        // The charts' words are the same template read as plain text: a PNG is no markdown.
        env.set_auto_escape_callback(|name| match name {
            CHARTS | BUILTIN_CHARTS => AutoEscape::None,
            _ => AutoEscape::Custom("markdown"),
        });
        env.set_formatter(|out, state, value| {
            if value.is_safe() || state.auto_escape() == AutoEscape::None {
                return minijinja::escape_formatter(out, state, value);
            }
            out.write_str(&super::markdown::escape(&value.to_string())).map_err(minijinja::Error::from)
        });
        env.add_filter("code", |s: String| Value::from_safe_string(super::markdown::code(&s)));
        env.add_template(REPORT, &self.source).map_err(|e| self.error(e))?;
        env.add_template(CHARTS, &self.source).map_err(|e| self.error(e))?;
        env.add_template(BUILTIN_CHARTS, BUILTIN).map_err(|e| self.error(e))?;
        Ok(env)
    }

    /// The report text for `context`; before it is written, `draw` gets the charts' words
    /// (the template's `chart_words` macro, as plain text).
    pub fn render(&self, context: &impl Serialize, draw: impl FnOnce(&Words) -> Result<()>) -> Result<Rendered> {
        let env = self.environment()?;
        // The words are evaluated when the first chart asks for them: a report without
        // charts needs none.
        let captured = std::cell::OnceCell::new();
        let evaluate = || -> Result<minijinja::Captured> {
            let own = env.get_template(CHARTS).and_then(|t| t.render_captured(context)).map_err(|e| self.error(e))?;
            if own.state().lookup(CHART_WORDS).is_some() {
                return Ok(own);
            }
            // A template that words no chart leaves them the built-in (English) words.
            env.get_template(BUILTIN_CHARTS).and_then(|t| t.render_captured(context)).map_err(|e| self.error(e))
        };
        let words = |chart: &Chart, part: &str| {
            if captured.get().is_none() {
                let _ = captured.set(evaluate()?);
            }
            let state = captured.get().expect("set above").state();
            state.call_macro(CHART_WORDS, &[Value::from_serialize(chart), Value::from(part)]).map_err(|e| self.error(e))
        };
        draw(&words)?;
        let template = env.get_template(REPORT).map_err(|e| self.error(e))?;
        let captured = template.render_captured(context).map_err(|e| self.error(e))?;
        let lang = captured.state().lookup("lang").filter(|v| !v.is_undefined() && !v.is_none());
        let lang = lang.map_or_else(|| "en".to_string(), |v| v.to_string());
        Ok(Rendered { markdown: captured.into_output(), lang })
    }

    fn error(&self, e: minijinja::Error) -> Error {
        let file = self.file.clone().unwrap_or_else(|| PathBuf::from("built-in report template"));
        let what = match e.detail() {
            Some(d) => format!("{}: {d}", e.kind()),
            None => e.kind().to_string(),
        };
        let reason = match e.line() {
            Some(line) => format!("template line {line}: {what}"),
            None => format!("template: {what}"),
        };
        Error::Config { file, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.md.j2");
        std::fs::write(&path, "# Report\n\n{% for o in outcomes %}\n{{ o.label }\n").unwrap();
        let e = Template::from_file(&path).unwrap_err().to_string();
        assert!(e.starts_with(&path.display().to_string()) && e.contains("template line 4"), "{e}");
    }

    #[test]
    fn an_unknown_name_is_an_error_not_a_blank() {
        let t = Template { source: "{{ outcome.labl }}".into(), file: None };
        let e = t.render(&serde_json::json!({ "outcome": { "label": "NPS" } }), |_| Ok(())).unwrap_err().to_string();
        assert!(e.contains("template line 1") && e.contains("undefined"), "{e}");
        let t = Template { source: "{{ outcome.label | capitalised }}".into(), file: None };
        assert_eq!(
            t.render(&serde_json::json!({ "outcome": { "label": "mean effort" } }), |_| Ok(())).unwrap().markdown,
            "Mean effort"
        );
    }

    #[test]
    fn a_template_names_its_language() {
        let t = Template { source: "{% set lang = \"fr\" %}Bonjour".into(), file: None };
        let r = t.render(&serde_json::json!({}), |_| Ok(())).unwrap();
        assert_eq!((r.markdown.as_str(), r.lang.as_str()), ("Bonjour", "fr"));
        let r = Template { source: "Hello".into(), file: None }.render(&serde_json::json!({}), |_| Ok(())).unwrap();
        assert_eq!(r.lang, "en");
    }
}
