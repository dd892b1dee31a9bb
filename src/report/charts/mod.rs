//! PNG charts, one file per chart; here the canvas, the font and the text measuring they
//! share. Text is drawn with DejaVu Sans compiled into the
//! binary (the `dejavu` crate through plotters' ab_glyph backend), so charts render the
//! same on a server with no fonts installed, Greek and Cyrillic labels included.

use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

mod bars;
mod composition;
mod heatmap;
mod plan;
mod quadrant;
mod slopes;
mod trend;
mod waterfall;

pub use bars::{ranked_bars, Bar};
pub use composition::composition;
pub use heatmap::{heatmap, HeatCell, HeatColumn};
pub use plan::{draw, plan, Chart, OutcomeCharts, Words};
pub use quadrant::{quadrant, Point};
pub use slopes::{slopes, Slope};
pub use trend::{trend, Reference, Wave};
pub use waterfall::{waterfall, Step};

use crate::error::{Error, Result};
use crate::headline::scores::ScoreStats;
use crate::schema::outcome::{Band, Outcome};

const FONT: &str = "sans-serif";
/// Every chart's size at `--scale 1`: 16:9, readable on a slide.
const SIZE: (u32, u32) = (1200, 675);

/// The Okabe–Ito palette (Okabe & Ito 2008), safe for every common form of colour
/// blindness, used by every chart: blue for our figures, bluish green for good news,
/// vermillion for bad, orange/purple/sky for references, grey for what is in between.
mod palette {
    use plotters::style::RGBColor;
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const GREEN: RGBColor = RGBColor(0, 158, 115);
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
    pub const SKY: RGBColor = RGBColor(86, 180, 233);
    pub const GREY: RGBColor = RGBColor(160, 160, 160);
    pub const LIGHT: RGBColor = RGBColor(235, 235, 235);
    /// Colours for lines beside ours (segments, then benchmarks), in order of use.
    pub const OTHERS: [RGBColor; 6] = [ORANGE, PURPLE, SKY, VERMILLION, GREEN, RGBColor(0, 0, 0)];

    /// `t` in 0..=1 from white to `to`: the fill of a heatmap cell.
    pub fn tint(to: RGBColor, t: f64) -> RGBColor {
        let t = t.clamp(0.0, 1.0);
        let mix = |c: u8| (255.0 + (c as f64 - 255.0) * t).round() as u8;
        RGBColor(mix(to.0), mix(to.1), mix(to.2))
    }
}
use palette::{BLUE, GREEN, GREY, LIGHT, VERMILLION};

/// Where a chart goes and how large: `scale` 2 doubles every dimension (pixels, type,
/// strokes) for print and large screens, so a chart looks the same, only sharper.
#[derive(Clone, Copy)]
pub struct Canvas<'a> {
    pub path: &'a Path,
    pub scale: u32,
}

impl Canvas<'_> {
    /// `v` pixels at scale 1.
    fn px(&self, v: i32) -> i32 {
        v * self.scale as i32
    }

    fn font(&self, size: u32) -> FontDesc<'static> {
        (FONT, (size * self.scale) as f64).into_font()
    }

    fn bold(&self, size: u32) -> FontDesc<'static> {
        self.font(size).style(FontStyle::Bold)
    }

    /// A white canvas of `size` pixels at scale 1.
    fn root(&self, size: (u32, u32)) -> Result<DrawingArea<BitMapBackend<'_>, Shift>> {
        register_font();
        let root = BitMapBackend::new(self.path, (size.0 * self.scale, size.1 * self.scale)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| self.err(e))?;
        Ok(root)
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::output(self.path, format!("cannot draw chart: {e}"))
    }
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (style, bytes) in [(FontStyle::Normal, dejavu::sans::regular()), (FontStyle::Bold, dejavu::sans::bold())] {
            // Only fails on a corrupt font, and the font is compiled in.
            plotters::style::register_font(FONT, style, bytes).ok();
        }
    });
}

/// Text as it must be drawn. The font rasteriser draws one glyph per character, left to
/// right, so Arabic-script labels (Persian, Arabic, Urdu) are first shaped into their
/// joined presentation forms and then put in visual order (Unicode bidi algorithm).
/// Greek, Cyrillic and Latin pass through unchanged.
pub fn display(text: &str) -> String {
    let rtl = text.chars().any(|c| matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF));
    if !rtl {
        return text.to_string();
    }
    let shaped = ar_reshaper::reshape_line(text);
    // Charts read left to right: a numbered label keeps its number in front ("7. …").
    let bidi = unicode_bidi::BidiInfo::new(&shaped, Some(unicode_bidi::Level::ltr()));
    bidi.paragraphs.iter().map(|para| bidi.reorder_line(para, para.range.clone()).into_owned()).collect()
}

/// A font at scale 1, for measuring: layouts are computed in scale-1 pixels.
fn font_at(size: u32, bold: bool) -> FontDesc<'static> {
    register_font();
    let f = (FONT, size as f64).into_font();
    if bold {
        f.style(FontStyle::Bold)
    } else {
        f
    }
}

/// Width and height in pixels of `text` as `font` draws it, from the bundled font's own
/// metrics: every layout below is computed from these, never from a character count.
fn extent(font: &FontDesc, text: &str) -> (i32, i32) {
    match font.box_size(text) {
        Ok((w, h)) => (w as i32, (h as i32).max(font.get_size() as i32)),
        Err(_) => ((text.chars().count() as f64 * font.get_size() * 0.6) as i32, font.get_size() as i32),
    }
}

/// `text` (already [`display`]ed) in at most `lines` lines no wider than `max_w` pixels,
/// broken at spaces; what still does not fit is cut with "…".
fn wrap(font: &FontDesc, text: &str, max_w: i32, lines: usize) -> Vec<String> {
    let fits = |t: &str| extent(font, t).0 <= max_w;
    let mut out: Vec<String> = Vec::new();
    let mut words = text.split_whitespace().peekable();
    while words.peek().is_some() {
        if out.len() == lines {
            // More text than lines: the last line ends in an ellipsis.
            let last = out.pop().unwrap_or_default();
            let rest: Vec<&str> = words.collect();
            out.push(shorten(font, &format!("{last} {}", rest.join(" ")), max_w));
            return out;
        }
        let mut line = words.next().unwrap_or_default().to_string();
        while let Some(next) = words.peek() {
            let longer = format!("{line} {next}");
            if !fits(&longer) {
                break;
            }
            line = longer;
            words.next();
        }
        out.push(if fits(&line) { line } else { shorten(font, &line, max_w) });
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// `text` cut to fit `max_w` pixels, ending in "…" when cut.
fn shorten(font: &FontDesc, text: &str, max_w: i32) -> String {
    if extent(font, text).0 <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t: String = chars[..mid].iter().collect::<String>().trim_end().to_string() + "…";
        if extent(font, &t).0 <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo].iter().collect::<String>().trim_end().to_string() + "…"
}

/// A label's box, [left, top, right, bottom] in pixels.
type Box4 = [i32; 4];

/// Whether two boxes share any area (touching edges do not).
fn intersects(a: &Box4, b: &Box4) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// A legend in a column of its own, from `top` pixels down: a swatch (a block, or a
/// line for line charts) and a name per entry.
fn legend_column(
    c: Canvas,
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    top: i32,
    entries: &[(String, RGBColor)],
    blocks: bool,
) -> Result<()> {
    for (i, (name, colour)) in entries.iter().enumerate() {
        let y = top + 40 * i as i32;
        let swatch = if blocks { [(10, y), (34, y + 24)] } else { [(10, y + 9), (40, y + 15)] };
        let swatch = swatch.map(|(x, y)| (c.px(x), c.px(y)));
        area.draw(&Rectangle::new(swatch, colour.filled())).map_err(|e| c.err(e))?;
        let x = if blocks { 44 } else { 50 };
        area.draw(&Text::new(display(name), (c.px(x), c.px(y + 3)), c.font(19))).map_err(|e| c.err(e))?;
    }
    Ok(())
}

/// A chart of two float axes on a bitmap: what the frame builders hand back.
type Rows2d<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart with one row per label, first label on top, and a value axis across: the
/// frame the ranked bars and the waterfall share. Row i spans y = k − i − 1 … k − i.
fn rows_chart<'a, 'b>(
    c: Canvas,
    root: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
    x_desc: &str,
    labels: &[&str],
    x_range: std::ops::Range<f64>,
) -> Result<Rows2d<'a, 'b>> {
    let k = labels.len().max(1) as f64;
    let label_font = font_at(20, false);
    let area =
        (SIZE.0 as i32 * 2 / 5).min(labels.iter().map(|l| extent(&label_font, &display(l)).0 + 24).max().unwrap_or(80));
    let area = area.max(80);
    // The axis title fits under the plot: smaller type first, then shortened.
    let plot_w = SIZE.0 as i32 - 40 - area;
    let desc_size = (14..=20).rev().find(|&z| extent(&font_at(z, false), x_desc).0 <= plot_w).unwrap_or(14);
    let x_desc = shorten(&font_at(desc_size, false), x_desc, plot_w);
    let mut chart = ChartBuilder::on(root)
        .caption(display(title), c.bold(30))
        .margin(c.px(20))
        .x_label_area_size(c.px(55))
        .y_label_area_size(c.px(area))
        .build_cartesian_2d(x_range, 0.0..k)
        .map_err(|e| c.err(e))?;
    let names: Vec<String> = labels.iter().map(|l| shorten(&label_font, &display(l), area - 16)).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .y_labels(labels.len() * 2 + 1)
        .y_label_formatter(&|y| {
            let from_top = (k - y).floor() as usize;
            if (y - y.floor() - 0.5).abs() < 1e-6 {
                names.get(from_top).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc(x_desc)
        .label_style(c.font(20))
        .axis_desc_style(c.font(desc_size))
        .draw()
        .map_err(|e| c.err(e))?;
    Ok(chart)
}

/// A chart with the waves across (wave i at x = i, named below it) and a value axis up:
/// the frame the trend and the shares-by-wave lines share.
fn waves_chart<'a, 'b>(
    c: Canvas,
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
    waves: &[&str],
    y_range: std::ops::Range<f64>,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> Result<Rows2d<'a, 'b>> {
    let k = waves.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(display(title), c.bold(30))
        .margin(c.px(20))
        .x_label_area_size(c.px(60))
        .y_label_area_size(c.px(75))
        .build_cartesian_2d(-0.4..k - 0.6, y_range)
        .map_err(|e| c.err(e))?;
    let labels: Vec<String> = waves.iter().map(|w| display(w)).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(waves.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(y_format)
        .y_desc(y_desc)
        .label_style(c.font(20))
        .axis_desc_style(c.font(20))
        .draw()
        .map_err(|e| c.err(e))?;
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::display;

    #[test]
    fn greek_and_cyrillic_pass_through() {
        assert_eq!(display("Χρόνος αναμονής"), "Χρόνος αναμονής");
        assert_eq!(display("Качество"), "Качество");
    }

    #[test]
    fn persian_is_shaped_and_put_in_visual_order() {
        // "کیفیت" (quality): five letters, joined. Shaped, each becomes a presentation
        // form (U+FB50–U+FEFF); in visual order the last letter (ت) comes first.
        let shown: Vec<char> = display("کیفیت").chars().collect();
        assert_eq!(shown.len(), 5);
        assert!(shown.iter().all(|&c| (0xFB50..=0xFEFF).contains(&(c as u32))), "{shown:?}");
        assert_eq!(shown[0], '\u{FE96}', "final form of ت drawn first");
    }

    #[test]
    fn numbers_beside_persian_stay_where_a_left_to_right_reader_expects_them() {
        assert!(display("7. کیفیت").starts_with("7. "));
    }
}

#[cfg(test)]
mod render_tests {
    /// Draws labels in four scripts; `KEYDRIVER_KEEP_CHART=path` keeps the PNG to look at.
    #[test]
    fn chart_with_greek_cyrillic_and_persian_labels_renders() {
        let dir = tempfile::tempdir().unwrap();
        let path = std::env::var("KEYDRIVER_KEEP_CHART")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| dir.path().join("scripts.png"));
        let bar =
            |label: &str, value: f64, ci| super::Bar { label: label.to_string(), value, ci, tie: Some("ab".into()) };
        let bars = [
            bar("Χρόνος αναμονής", 31.2, Some((27.0, 35.5))),
            bar("Качество", 24.0, Some((20.1, 28.0))),
            bar("کیفیت خدمات", 18.5, None),
            bar("Problem solving", 9.1, Some((6.0, 12.2))),
        ];
        super::ranked_bars(
            super::Canvas { path: &path, scale: 1 },
            "Drivers · Οδηγοί · Факторы · عوامل",
            "share, %",
            &bars,
            1,
        )
        .unwrap();
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn wrapping_measures_the_font() {
        let font = font_at(18, false);
        assert_eq!(wrap(&font, "disloyal Customer", 90, 2), ["disloyal", "Customer"]);
        let cut = wrap(&font, "A very long segment level name indeed", 90, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…') && cut.iter().all(|l| extent(&font, l).0 <= 90), "{cut:?}");
        assert!(extent(&font, "WWWW").0 > extent(&font, "iiii").0);
    }
}

/// What the charts' layout tests share.
#[cfg(test)]
mod test_layout {
    use super::*;

    /// Fourteen drivers named with 35 characters, as real exports name them.
    pub fn long_names() -> Vec<String> {
        (0..14).map(|i| format!("Satisfaction with service aspect {i:02}")).collect()
    }

    pub fn assert_apart(boxes: &[Box4], what: &str) {
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!intersects(a, b), "{what}: {a:?} and {b:?} overlap");
            }
        }
    }
}
