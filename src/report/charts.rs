//! PNG charts, one function per chart. Text is drawn with DejaVu Sans compiled into the
//! binary (the `dejavu` crate through plotters' ab_glyph backend), so charts render the
//! same on a server with no fonts installed, Greek and Cyrillic labels included.

use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::capitalised;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

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

/// Stacked bars of the outcome's three answer bands per group (detractors / passives /
/// promoters for NPS), worst at the bottom, with the headline on top.
pub fn composition(c: Canvas, title: &str, outcome: &Outcome, rows: &[ScoreStats]) -> Result<()> {
    let root = c.root(SIZE)?;
    // Bars on the left, legend in its own column on the right, so they never overlap.
    let (plot, legend) = root.split_horizontally(c.px(SIZE.0 as i32 - 230));
    let k = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&plot)
        .caption(display(title), c.bold(30))
        .margin(c.px(20))
        .x_label_area_size(c.px(50))
        .y_label_area_size(c.px(70))
        .build_cartesian_2d(0.0..k, 0.0..112.0)
        .map_err(|e| c.err(e))?;
    let labels: Vec<String> = rows.iter().map(|r| display(&r.group)).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(rows.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 1e-6 {
                labels.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_labels(6)
        .y_label_formatter(&|y| if *y <= 100.0 { format!("{y:.0}%") } else { String::new() })
        .y_desc("share of respondents")
        .label_style(c.font(20))
        .axis_desc_style(c.font(20))
        .draw()
        .map_err(|e| c.err(e))?;
    let centred = Pos::new(HPos::Center, VPos::Center);
    for (i, r) in rows.iter().enumerate() {
        let (x0, x1) = (i as f64 + 0.2, i as f64 + 0.8);
        let mut y = 0.0;
        let pct = r.bands.as_ref().map_or([0.0; 3], |b| b.pct);
        for (band, colour, text_colour) in worst_first(outcome) {
            let share = pct[band as usize];
            chart
                .draw_series(std::iter::once(Rectangle::new([(x0, y), (x1, y + share)], colour.filled())))
                .map_err(|e| c.err(e))?;
            if share >= 4.0 {
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("{share:.0}%"),
                        (i as f64 + 0.5, y + share / 2.0),
                        c.font(19).color(&text_colour).pos(centred),
                    )))
                    .map_err(|e| c.err(e))?;
            }
            y += share;
        }
        chart
            .draw_series(std::iter::once(Text::new(
                outcome.headline(r.score),
                (i as f64 + 0.5, 106.0),
                c.bold(21).color(&BLACK).pos(centred),
            )))
            .map_err(|e| c.err(e))?;
    }
    let entries: Vec<(String, RGBColor)> = worst_first(outcome)
        .into_iter()
        .rev()
        .map(|(band, colour, _)| (capitalised(&outcome.band_legend(band)), colour))
        .collect();
    legend_column(c, &legend, 140, &entries, true)?;
    root.present().map_err(|e| c.err(e))
}

/// The bands from worst to best, with fill and text colours: vermillion for the worst
/// (detractors, the dissatisfied, high effort), grey between, bluish green for the best.
fn worst_first(outcome: &Outcome) -> [(Band, RGBColor, RGBColor); 3] {
    let (worst, best) = if outcome.sign() < 0.0 { (Band::High, Band::Low) } else { (Band::Low, Band::High) };
    [(worst, VERMILLION, WHITE), (Band::Mid, GREY, BLACK), (best, GREEN, WHITE)]
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

/// One bar of [`ranked_bars`], with its 95% interval and tie-group letters when there are.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub ci: Option<(f64, f64)>,
    pub tie: Option<String>,
}

/// Horizontal bars, largest on top; negative values extend left of zero. An interval is
/// drawn as a whisker across the bar's end, and the value label (with the tie letters)
/// moves past it.
pub fn ranked_bars(c: Canvas, title: &str, x_desc: &str, bars: &[Bar], decimals: usize) -> Result<()> {
    let root = c.root(SIZE)?;
    let k = bars.len().max(1) as f64;
    let ends = |b: &Bar| b.ci.map_or((b.value, b.value), |(l, h)| (l.min(b.value), h.max(b.value)));
    let lo = bars.iter().map(|b| ends(b).0).fold(0.0f64, f64::min);
    let hi = bars.iter().map(|b| ends(b).1).fold(0.0f64, f64::max);
    let pad = 0.22 * (hi - lo).max(1e-9);
    let x_range = (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad);
    let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
    let mut chart = rows_chart(c, &root, title, x_desc, &labels, x_range)?;
    let stroke = 2 * c.scale;
    for (i, bar) in bars.iter().enumerate() {
        let v = &bar.value;
        let y = k - i as f64 - 1.0;
        let colour = if *v < 0.0 { VERMILLION } else { BLUE };
        chart
            .draw_series(std::iter::once(Rectangle::new([(0.0, y + 0.18), (*v, y + 0.82)], colour.filled())))
            .map_err(|e| c.err(e))?;
        if let Some((l, h)) = bar.ci {
            let ink = BLACK.stroke_width(stroke);
            let whisker = [
                vec![(l, y + 0.5), (h, y + 0.5)],
                vec![(l, y + 0.32), (l, y + 0.68)],
                vec![(h, y + 0.32), (h, y + 0.68)],
            ];
            chart.draw_series(whisker.into_iter().map(|pts| PathElement::new(pts, ink))).map_err(|e| c.err(e))?;
        }
        let (low_end, high_end) = ends(bar);
        let at = if *v < 0.0 { low_end - pad * 0.6 } else { high_end + pad * 0.05 };
        let text = match &bar.tie {
            Some(letters) => format!("{v:.decimals$}  {letters}"),
            None => format!("{v:.decimals$}"),
        };
        chart.draw_series(std::iter::once(Text::new(text, (at, y + 0.62), c.font(19)))).map_err(|e| c.err(e))?;
    }
    root.present().map_err(|e| c.err(e))
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

/// One wave of [`trend`]: the headline and its 95% interval.
pub struct Wave {
    pub label: String,
    pub value: f64,
    pub ci: (f64, f64),
}

/// A line by wave index beside ours: a benchmark (dashed) or a segment's headline (solid).
pub struct Reference {
    pub label: String,
    pub points: Vec<(usize, f64)>,
}

/// The headline by wave: a line with its 95% band, each segment's headline as a thinner
/// solid line, and each benchmark as a dashed line (a single point as a cross), all named
/// in a legend column of its own, so the legend never sits on the data. Value labels sit
/// below a point that a benchmark marks from above.
pub fn trend(
    c: Canvas,
    title: &str,
    y_desc: &str,
    waves: &[Wave],
    segments: &[Reference],
    references: &[Reference],
    decimals: usize,
) -> Result<()> {
    let root = c.root(SIZE)?;
    let (plot, legend) = root.split_horizontally(c.px(SIZE.0 as i32 - 260));
    let others = segments.iter().chain(references);
    let values = waves.iter().flat_map(|w| [w.ci.0, w.ci.1]).chain(others.flat_map(|r| r.points.iter().map(|p| p.1)));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let pad = 0.15 * (hi - lo).max(1.0);
    let labels: Vec<&str> = waves.iter().map(|w| w.label.as_str()).collect();
    let mut chart = waves_chart(c, &plot, title, &labels, (lo - pad)..(hi + pad), y_desc, &|y| format!("{y:.1}"))?;
    // Segments first, so our line and its band are drawn over them.
    let mut entries = vec![(if segments.is_empty() { "ours, 95% band" } else { "all, 95% band" }.to_string(), BLUE)];
    let mut colours = palette::OTHERS.iter().cycle();
    for (s, colour) in segments.iter().zip(&mut colours) {
        let pts: Vec<(f64, f64)> = s.points.iter().map(|&(i, v)| (i as f64, v)).collect();
        chart.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2 * c.scale))).map_err(|e| c.err(e))?;
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4 * c.scale, colour.filled()))).map_err(|e| c.err(e))?;
        entries.push((s.label.clone(), *colour));
    }
    let band: Vec<(f64, f64)> = waves
        .iter()
        .enumerate()
        .map(|(i, w)| (i as f64, w.ci.1))
        .chain(waves.iter().enumerate().rev().map(|(i, w)| (i as f64, w.ci.0)))
        .collect();
    chart.draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled()))).map_err(|e| c.err(e))?;
    let line: Vec<(f64, f64)> = waves.iter().enumerate().map(|(i, w)| (i as f64, w.value)).collect();
    chart.draw_series(LineSeries::new(line.clone(), BLUE.stroke_width(3 * c.scale))).map_err(|e| c.err(e))?;
    chart.draw_series(line.iter().map(|&p| Circle::new(p, 6 * c.scale, BLUE.filled()))).map_err(|e| c.err(e))?;
    // A value label goes above its point unless a benchmark there sits just above it.
    let crowded = |i: usize, y: f64| {
        references.iter().flat_map(|r| &r.points).any(|&(j, v)| j == i && v > y && v - y < 1.2 * pad)
    };
    chart
        .draw_series(line.iter().enumerate().map(|(i, &(x, y))| {
            let (dy, v) = if crowded(i, y) { (-0.25 * pad, VPos::Top) } else { (0.25 * pad, VPos::Bottom) };
            Text::new(format!("{y:.decimals$}"), (x, y + dy), c.font(19).color(&BLACK).pos(Pos::new(HPos::Center, v)))
        }))
        .map_err(|e| c.err(e))?;
    for (r, colour) in references.iter().zip(colours) {
        let pts: Vec<(f64, f64)> = r.points.iter().map(|&(i, v)| (i as f64, v)).collect();
        let ink = colour.stroke_width(3 * c.scale);
        if pts.len() == 1 {
            chart.draw_series(std::iter::once(Cross::new(pts[0], 9 * c.scale, ink))).map_err(|e| c.err(e))?;
        } else {
            let (dash, gap) = (12 * c.scale, 7 * c.scale);
            chart.draw_series(DashedLineSeries::new(pts, dash, gap, ink)).map_err(|e| c.err(e))?;
        }
        entries.push((r.label.clone(), *colour));
    }
    legend_column(c, &legend, 120, &entries, false)?;
    root.present().map_err(|e| c.err(e))
}

/// One bar of [`waterfall`]: a level (the two waves' headlines) or a step between them.
pub struct Step {
    pub label: String,
    pub from: f64,
    pub to: f64,
    pub level: bool,
}

/// Why the headline moved, as a horizontal waterfall read top to bottom: the earlier
/// wave's level, each driver's step (green when it moves the headline the good way,
/// vermillion the other), what ratings do not explain, and the later wave's level.
pub fn waterfall(
    c: Canvas,
    title: &str,
    x_desc: &str,
    steps: &[Step],
    decimals: usize,
    higher_is_better: bool,
) -> Result<()> {
    let root = c.root(SIZE)?;
    let k = steps.len().max(1) as f64;
    let lo = steps.iter().map(|s| s.from.min(s.to)).fold(f64::INFINITY, f64::min).min(0.0);
    let hi = steps.iter().map(|s| s.from.max(s.to)).fold(f64::NEG_INFINITY, f64::max).max(0.0);
    let pad = 0.12 * (hi - lo).max(1e-9);
    let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
    let x_range = (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad);
    let mut chart = rows_chart(c, &root, title, x_desc, &labels, x_range)?;
    for (i, s) in steps.iter().enumerate() {
        let y = k - i as f64 - 1.0;
        let colour = if s.level {
            BLUE
        } else if (s.to >= s.from) == higher_is_better {
            GREEN
        } else {
            VERMILLION
        };
        let (a, b) = (s.from.min(s.to), s.from.max(s.to));
        chart
            .draw_series(std::iter::once(Rectangle::new([(a, y + 0.2), (b, y + 0.8)], colour.filled())))
            .map_err(|e| c.err(e))?;
        if i + 1 < steps.len() {
            let ink = GREY.stroke_width(c.scale);
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(s.to, y + 0.2), (s.to, y - 0.2)], ink)))
                .map_err(|e| c.err(e))?;
        }
        let text = if s.level { format!("{:.decimals$}", s.to) } else { format!("{:+.decimals$}", s.to - s.from) };
        chart
            .draw_series(std::iter::once(Text::new(text, (b + pad * 0.08, y + 0.62), c.font(19))))
            .map_err(|e| c.err(e))?;
    }
    root.present().map_err(|e| c.err(e))
}

/// One driver on the importance–performance matrix.
pub struct Point {
    pub label: String,
    /// Performance: mean rating.
    pub x: f64,
    /// The mean rating's 95% interval, drawn as a whisker.
    pub x_ci: Option<(f64, f64)>,
    /// Rated no differently from the drivers' average, beyond noise: drawn hollow, and
    /// the report names it "on the line" rather than in a quadrant.
    pub on_line: bool,
    /// Importance: share of R², %.
    pub y: f64,
}

/// The importance–performance matrix: performance across (each mean rating with its 95%
/// whisker), importance up, dashed lines at the drivers' means, the four quadrants named,
/// and each point labelled by [`place_labels`]: beside it where there is room, else
/// further out with a thin leader line to it.
pub fn quadrant(c: Canvas, title: &str, x_desc: &str, points: &[Point]) -> Result<()> {
    let root = c.root(SIZE)?;
    let n = points.len().max(1) as f64;
    let (mx, my) = (points.iter().map(|p| p.x).sum::<f64>() / n, points.iter().map(|p| p.y).sum::<f64>() / n);
    let span = |v: &dyn Fn(&Point) -> (f64, f64), mid: f64| {
        let (lo, hi) = points.iter().map(v).fold((mid, mid), |(a, b), (l, h)| (a.min(l), b.max(h)));
        let pad = 0.25 * (hi - lo).max(1e-6);
        (lo - pad)..(hi + pad)
    };
    let xr = span(&|p| p.x_ci.unwrap_or((p.x, p.x)), mx);
    let yr = span(&|p| (p.y, p.y), my);
    let mut chart = ChartBuilder::on(&root)
        .caption(display(title), c.bold(30))
        .margin(c.px(25))
        .x_label_area_size(c.px(55))
        .y_label_area_size(c.px(75))
        .build_cartesian_2d(xr.clone(), yr.clone())
        .map_err(|e| c.err(e))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(LIGHT)
        .x_desc(x_desc)
        .y_desc("importance: share of R², %")
        .label_style(c.font(20))
        .axis_desc_style(c.font(20))
        .x_label_formatter(&|x| format!("{x:.prec$}", prec = if xr.end - xr.start < 1.0 { 2 } else { 1 }))
        // The padding below may reach under 0 to leave room for the corner names; a share
        // is never negative, so no negative tick is labelled.
        .y_label_formatter(&|y| if *y < -1e-9 { String::new() } else { format!("{y:.0}") })
        .draw()
        .map_err(|e| c.err(e))?;
    let dash = GREY.stroke_width(2 * c.scale);
    let (d, g) = (10 * c.scale, 6 * c.scale);
    chart.draw_series(DashedLineSeries::new([(mx, yr.start), (mx, yr.end)], d, g, dash)).map_err(|e| c.err(e))?;
    chart.draw_series(DashedLineSeries::new([(xr.start, my), (xr.end, my)], d, g, dash)).map_err(|e| c.err(e))?;
    let corner = |x: f64, y: f64, h: HPos, v: VPos, text: &str, colour: RGBColor| {
        Text::new(text.to_string(), (x, y), c.font(22).color(&colour).pos(Pos::new(h, v)))
    };
    let (dx, dy) = (0.02 * (xr.end - xr.start), 0.03 * (yr.end - yr.start));
    chart
        .draw_series([
            corner(xr.start + dx, yr.end - dy, HPos::Left, VPos::Top, "Fix first", VERMILLION),
            corner(xr.end - dx, yr.end - dy, HPos::Right, VPos::Top, "Keep it up", GREEN),
            corner(xr.end - dx, yr.start + dy, HPos::Right, VPos::Bottom, "Possible overkill", GREY),
            corner(xr.start + dx, yr.start + dy, HPos::Left, VPos::Bottom, "Low priority", GREY),
        ])
        .map_err(|e| c.err(e))?;
    let whisker = BLUE.mix(0.55).stroke_width(2 * c.scale);
    for p in points {
        if let Some((lo, hi)) = p.x_ci {
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(lo, p.y), (hi, p.y)], whisker)))
                .map_err(|e| c.err(e))?;
        }
    }
    for p in points {
        let r = 7 * c.scale;
        chart.draw_series(std::iter::once(Circle::new((p.x, p.y), r, BLUE.filled()))).map_err(|e| c.err(e))?;
        if p.on_line {
            chart
                .draw_series(std::iter::once(Circle::new((p.x, p.y), r - 2 * c.scale, WHITE.filled())))
                .map_err(|e| c.err(e))?;
        }
    }

    // Labels, laid out in scale-1 pixels: the points, their whiskers and the corner
    // names are taken.
    let (px, py) = chart.plotting_area().get_pixel_range();
    let one = |v: i32| v / c.scale as i32;
    let at = |x: f64, y: f64| {
        let (a, b) = chart.backend_coord(&(x, y));
        (one(a), one(b))
    };
    let area = [one(px.start), one(py.start), one(px.end), one(py.end)];
    let mut taken: Vec<Box4> = Vec::new();
    for p in points {
        let (x, y) = at(p.x, p.y);
        taken.push([x - 8, y - 8, x + 8, y + 8]);
        if let Some((lo, hi)) = p.x_ci {
            let (a, b) = (at(lo, p.y).0, at(hi, p.y).0);
            taken.push([a, y - 2, b, y + 2]);
        }
    }
    let corner_names = [
        [area[0], area[1], area[0] + 130, area[1] + 40],
        [area[2] - 140, area[1], area[2], area[1] + 40],
        [area[2] - 200, area[3] - 40, area[2], area[3]],
        [area[0], area[3] - 40, area[0] + 150, area[3]],
    ];
    taken.extend(corner_names);
    let font = font_at(19, false);
    let texts: Vec<String> = points.iter().map(|p| display(&p.label)).collect();
    let sizes: Vec<(i32, i32)> = texts.iter().map(|t| extent(&font, t)).collect();
    let anchors: Vec<(i32, i32)> = points.iter().map(|p| at(p.x, p.y)).collect();
    let placed = place_labels(&anchors, &sizes, area, taken);
    for ((text, &(x, y)), (b, leader)) in texts.iter().zip(&anchors).zip(placed) {
        if leader {
            // From the point's edge to the nearest point of the label's box.
            let (tx, ty) = (x.clamp(b[0], b[2]), y.clamp(b[1], b[3]));
            let (vx, vy) = ((tx - x) as f64, (ty - y) as f64);
            let len = vx.hypot(vy).max(1.0);
            let from = (x + (9.0 * vx / len) as i32, y + (9.0 * vy / len) as i32);
            let line = vec![(c.px(from.0), c.px(from.1)), (c.px(tx), c.px(ty))];
            root.draw(&PathElement::new(line, RGBColor(110, 110, 110).stroke_width(c.scale))).map_err(|e| c.err(e))?;
        }
        let style = c.font(19).color(&BLACK).pos(Pos::new(HPos::Left, VPos::Top));
        root.draw(&Text::new(text.clone(), (c.px(b[0]), c.px(b[1])), style)).map_err(|e| c.err(e))?;
    }
    root.present().map_err(|e| c.err(e))
}

/// Where each point's label goes, in pixels: `anchors` are the points, `sizes` their
/// labels' (width, height), `taken` what no label may cover (the points themselves,
/// corner names), `area` where labels must lie. Labels are placed in order: first the
/// eight spots touching the point; when all are taken, the nearest free spot on rings
/// further out, returned with `true` to get a leader line. Returns each label's box.
fn place_labels(anchors: &[(i32, i32)], sizes: &[(i32, i32)], area: Box4, mut taken: Vec<Box4>) -> Vec<(Box4, bool)> {
    let mut out = Vec::with_capacity(anchors.len());
    for (&(x, y), &(w, h)) in anchors.iter().zip(sizes) {
        let beside = [
            (x + 11, y - h - 2),
            (x - w - 11, y - h - 2),
            (x - w / 2, y - h - 12),
            (x - w / 2, y + 12),
            (x + 12, y - h / 2),
            (x - w - 12, y - h / 2),
            (x + 11, y + 4),
            (x - w - 11, y + 4),
        ];
        let rings = (1..=24).flat_map(|k| {
            let d = 12.0 + 16.0 * k as f64;
            (0..24).map(move |a| {
                let t = std::f64::consts::TAU * a as f64 / 24.0;
                let (cx, cy) = (x as f64 + (d + w as f64 / 2.0) * t.cos(), y as f64 + (d + h as f64 / 2.0) * t.sin());
                ((cx - w as f64 / 2.0) as i32, (cy - h as f64 / 2.0) as i32)
            })
        });
        let boxed = |(lx, ly): (i32, i32)| [lx, ly, lx + w, ly + h];
        let inside = |b: &Box4| b[0] >= area[0] && b[1] >= area[1] && b[2] <= area[2] && b[3] <= area[3];
        // A few pixels of air around each label, so neighbours do not read as one.
        let free = |b: &Box4| {
            let airy = [b[0] - 4, b[1] - 2, b[2] + 4, b[3] + 2];
            inside(b) && !taken.iter().any(|t| intersects(&airy, t))
        };
        let choice = match beside.iter().map(|&p| boxed(p)).find(|b| free(b)) {
            Some(b) => (b, false),
            None => match rings.clone().map(boxed).find(|b| free(b)) {
                Some(b) => (b, true),
                None => {
                    // Nowhere free: the spot beside the point that covers least.
                    let cover = |b: &Box4| {
                        taken
                            .iter()
                            .map(|t| {
                                ((b[2].min(t[2]) - b[0].max(t[0])).max(0)) * ((b[3].min(t[3]) - b[1].max(t[1])).max(0))
                            })
                            .sum::<i32>()
                    };
                    (beside.iter().map(|&p| boxed(p)).min_by_key(cover).expect("eight spots"), false)
                }
            },
        };
        taken.push(choice.0);
        out.push(choice);
    }
    out
}

/// One driver's line in [`slopes`]: its share (%) in each wave, and whether it moved
/// beyond noise between the last two waves (+1 up, −1 down, 0 not).
pub struct Slope {
    pub label: String,
    pub shares: Vec<Option<f64>>,
    pub moved: i8,
}

/// Line colours for charts with one line per driver (the Okabe–Ito palette with black and
/// a dark grey), paired with [`MARKERS`] so lines stay apart past eight.
const LINE_COLOURS: [RGBColor; 8] = [
    BLUE,
    palette::ORANGE,
    GREEN,
    VERMILLION,
    palette::PURPLE,
    palette::SKY,
    RGBColor(0, 0, 0),
    RGBColor(110, 110, 110),
];

/// Marker shapes, cycled after the colours: the nth line is colour n mod 8, shape n / 8.
#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}
const MARKERS: [Marker; 4] = [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Diamond];

/// The polygon (or circle) of `marker` of radius `r` around pixel (x, y).
fn marker_at(
    c: Canvas,
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    marker: Marker,
    (x, y): (i32, i32),
    colour: RGBColor,
) -> Result<()> {
    let (style, r) = (colour.filled(), c.px(5));
    let drawn = match marker {
        Marker::Circle => root.draw(&Circle::new((x, y), r, style)),
        Marker::Square => root.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], style)),
        Marker::Triangle => {
            root.draw(&Polygon::new(vec![(x, y - r - 1), (x - r - 1, y + r), (x + r + 1, y + r)], style))
        }
        Marker::Diamond => {
            root.draw(&Polygon::new(vec![(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)], style))
        }
    };
    drawn.map_err(|e| c.err(e))
}

/// Drivers' shares by wave, one line each in its own colour and marker, named at the right
/// end in the same colour after its marker: a driver that moved beyond noise between the
/// last two waves is drawn thicker, its name in bold with ▲ or ▼. End labels are pushed
/// apart so none overlaps another; a label moved off its line's end is joined to it by a
/// thin leader line.
pub fn slopes(c: Canvas, title: &str, waves: &[String], lines: &[Slope], note: &str) -> Result<()> {
    let root = c.root(SIZE)?;
    let label_font = font_at(18, true);
    let end_text = |l: &Slope, v: f64| {
        let mark = match l.moved {
            1 => " ▲",
            -1 => " ▼",
            _ => "",
        };
        format!("{} {v:.1}%{mark}", display(&l.label))
    };
    let widest = lines.iter().map(|l| extent(&label_font, &end_text(l, 88.8)).0).max().unwrap_or(100);
    let names_w = (widest + 70).clamp(200, 460);
    let (plot, names) = root.split_horizontally(c.px(SIZE.0 as i32 - names_w));
    let all = lines.iter().flat_map(|l| l.shares.iter().flatten().copied());
    let hi = all.fold(0.0f64, f64::max) * 1.12 + 1.0;
    let labels: Vec<&str> = waves.iter().map(String::as_str).collect();
    let mut chart = waves_chart(c, &plot, title, &labels, 0.0..hi, "share of R², %", &|y| format!("{y:.0}%"))?;
    let style = |i: usize| (LINE_COLOURS[i % LINE_COLOURS.len()], MARKERS[(i / LINE_COLOURS.len()) % MARKERS.len()]);
    // Movers last, so they are drawn on top.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| lines[i].moved != 0);
    for &i in &order {
        let l = &lines[i];
        let (colour, marker) = style(i);
        let pts: Vec<(f64, f64)> = l.shares.iter().enumerate().filter_map(|(i, v)| Some((i as f64, (*v)?))).collect();
        let width = if l.moved != 0 { 4 } else { 2 } * c.scale;
        chart.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(width))).map_err(|e| c.err(e))?;
        for p in &pts {
            marker_at(c, &root, marker, chart.backend_coord(p), colour)?;
        }
    }
    // End labels: at each line's last value, then spread so that none overlaps.
    let mut ends: Vec<(i32, i32, usize, f64)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let (w, v) = l.shares.iter().enumerate().rev().find_map(|(w, v)| Some((w, (*v)?)))?;
            let (x, y) = chart.backend_coord(&(w as f64, v));
            Some((y, x, i, v))
        })
        .collect();
    ends.sort_by_key(|e| e.0);
    let gap = c.px(24);
    let ys = spread(&ends.iter().map(|e| e.0).collect::<Vec<_>>(), gap, chart.plotting_area().get_pixel_range().1);
    let names_x = c.px(SIZE.0 as i32 - names_w);
    for (&(y_end, x_end, i, v), y) in ends.iter().zip(ys) {
        let l = &lines[i];
        let (colour, marker) = style(i);
        if (y - y_end).abs() > c.px(3) || x_end + c.px(12) < names_x {
            let leader = vec![(x_end + c.px(7), y_end), (names_x + c.px(4), y)];
            root.draw(&PathElement::new(leader, colour.mix(0.7).stroke_width(c.scale))).map_err(|e| c.err(e))?;
        }
        marker_at(c, &names, marker, (c.px(14), y), colour)?;
        let font = if l.moved != 0 { c.bold(18) } else { c.font(18) };
        names
            .draw(&Text::new(
                end_text(l, v),
                (c.px(26), y),
                font.color(&colour).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(|e| c.err(e))?;
    }
    let grey = c.font(17).color(&RGBColor(90, 90, 90));
    root.draw(&Text::new(display(note), (c.px(90), c.px(SIZE.1 as i32 - 28)), grey)).map_err(|e| c.err(e))?;
    root.present().map_err(|e| c.err(e))
}

/// Positions `at` (sorted, in pixels) moved as little as possible so that neighbours are at
/// least `gap` apart, kept inside `range` where there is room.
fn spread(at: &[i32], gap: i32, range: std::ops::Range<i32>) -> Vec<i32> {
    let mut y: Vec<i32> = at.to_vec();
    for i in 1..y.len() {
        y[i] = y[i].max(y[i - 1] + gap);
    }
    // Pushed past the bottom: shift the tail back up, keeping the gaps.
    if let Some(&last) = y.last() {
        let over = last - (range.end - gap / 2);
        if over > 0 {
            for i in (0..y.len()).rev() {
                let limit = if i + 1 < y.len() { y[i + 1] - gap } else { y[i] - over };
                y[i] = y[i].min(limit);
            }
        }
    }
    y
}

/// A column of a [`heatmap`]; `group` names the block it belongs to (the segment
/// variable), drawn once above its columns.
pub struct HeatColumn {
    pub label: String,
    pub group: Option<String>,
}

/// One cell: its text and its colour intensity, −1…1 (negative in vermillion, positive in
/// blue, 0 white). `None` is an empty grey cell.
pub struct HeatCell {
    pub text: String,
    pub intensity: f64,
}

/// One text of a chart layout: its lines, where they are centred (the first line's
/// centre; each further line `LINE` pixels lower), how they are anchored and in what font.
struct Label {
    lines: Vec<String>,
    x: i32,
    y: i32,
    h: HPos,
    size: u32,
    bold: bool,
}

/// Distance between the lines of a wrapped label.
const LINE: i32 = 21;

impl Label {
    #[cfg(test)]
    fn font(&self) -> FontDesc<'static> {
        font_at(self.size, self.bold)
    }

    /// The box the label's lines cover.
    #[cfg(test)]
    fn bounds(&self) -> Box4 {
        let font = self.font();
        let w = self.lines.iter().map(|l| extent(&font, l).0).max().unwrap_or(0);
        let h = extent(&font, "Ag").1;
        let x0 = match self.h {
            HPos::Left => self.x,
            HPos::Center => self.x - w / 2,
            HPos::Right => self.x - w,
        };
        let y0 = self.y - h / 2;
        [x0, y0, x0 + w, y0 + h + LINE * (self.lines.len() as i32 - 1)]
    }

    fn draw(&self, c: Canvas, root: &DrawingArea<BitMapBackend<'_>, Shift>) -> Result<()> {
        let font = if self.bold { c.bold(self.size) } else { c.font(self.size) };
        for (i, line) in self.lines.iter().enumerate() {
            let at = (c.px(self.x), c.px(self.y + LINE * i as i32));
            let style = font.clone().color(&BLACK).pos(Pos::new(self.h, VPos::Center));
            root.draw(&Text::new(line.clone(), at, style)).map_err(|e| c.err(e))?;
        }
        Ok(())
    }
}

/// Where a heatmap's texts and cells go, in scale-1 pixels: row names on the left (up to
/// two lines), column names on top (up to two lines, within their column), each group's
/// name above its columns (within them). Computed from the font's metrics, so no two
/// texts overlap whatever the labels.
struct HeatLayout {
    left: i32,
    top: i32,
    /// A column's width.
    width: i32,
    row_h: i32,
    height: i32,
    labels: Vec<Label>,
    /// Each group's rule under its name: from x to x at y.
    rules: Vec<(i32, i32, i32)>,
}

impl HeatLayout {
    fn of(rows: &[String], columns: &[HeatColumn]) -> HeatLayout {
        let row_h = 44;
        let row_font = font_at(19, false);
        let longest = rows.iter().map(|r| extent(&row_font, &display(r)).0).max().unwrap_or(60);
        let left = (longest + 40).clamp(140, 440);
        let width = ((SIZE.0 as i32 - left - 30) / columns.len().max(1) as i32).min(150);
        let col_font = font_at(18, false);
        let col_lines: Vec<Vec<String>> =
            columns.iter().map(|c| wrap(&col_font, &display(&c.label), width - 10, 2)).collect();
        let deepest = col_lines.iter().map(Vec::len).max().unwrap_or(1) as i32;
        let grouped = columns.iter().any(|col| col.group.is_some());
        let group_band = if grouped { 46 } else { 0 };
        let heads = 72 + group_band;
        let top = heads + LINE * deepest + 12;
        let mut labels = Vec::new();
        let mut rules = Vec::new();
        for (j, (col, lines)) in columns.iter().zip(col_lines).enumerate() {
            let x = left + width * j as i32 + width / 2;
            labels.push(Label { lines, x, y: heads + 11, h: HPos::Center, size: 18, bold: false });
            let starts_group = col.group.is_some() && (j == 0 || columns[j - 1].group != col.group);
            if starts_group {
                let span = columns[j..].iter().take_while(|x| x.group == col.group).count() as i32;
                let (x0, x1) = (left + width * j as i32 + 6, left + width * (j as i32 + span) - 6);
                let name = shorten(&font_at(18, true), &display(col.group.as_deref().unwrap_or_default()), x1 - x0);
                labels.push(Label {
                    lines: vec![name],
                    x: (x0 + x1) / 2,
                    y: heads - 34,
                    h: HPos::Center,
                    size: 18,
                    bold: true,
                });
                rules.push((x0, x1, heads - 14));
            }
        }
        for (i, name) in rows.iter().enumerate() {
            let lines = wrap(&row_font, &display(name), left - 24, 2);
            let y = top + row_h * i as i32 + row_h / 2 - (LINE / 2) * (lines.len() as i32 - 1);
            labels.push(Label { lines, x: left - 12, y, h: HPos::Right, size: 19, bold: false });
        }
        let height = top + row_h * rows.len() as i32 + 60;
        HeatLayout { left, top, width, row_h, height, labels, rules }
    }
}

/// A table of coloured cells with their values written in: rows named on the left,
/// columns on top (under their group's name), `note` under the table. The canvas grows
/// with the number of rows, so 30 drivers stay legible; long names wrap onto two lines or
/// are shortened with "…" (see [`HeatLayout`]).
pub fn heatmap(
    c: Canvas,
    title: &str,
    rows: &[String],
    columns: &[HeatColumn],
    cells: &[Vec<Option<HeatCell>>],
    note: &str,
) -> Result<()> {
    let layout = HeatLayout::of(rows, columns);
    let HeatLayout { left, top, width, row_h, height, .. } = layout;
    let root = c.root((SIZE.0, height as u32))?;
    let s = |v: i32| c.px(v);
    let heading = c.bold(30).color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top));
    let title = shorten(&font_at(30, true), &display(title), SIZE.0 as i32 - 40);
    root.draw(&Text::new(title, (s(SIZE.0 as i32 / 2), s(22)), heading)).map_err(|e| c.err(e))?;
    for label in &layout.labels {
        label.draw(c, &root)?;
    }
    for &(x0, x1, y) in &layout.rules {
        root.draw(&PathElement::new(vec![(s(x0), s(y)), (s(x1), s(y))], BLACK.stroke_width(c.scale)))
            .map_err(|e| c.err(e))?;
    }
    let centre = Pos::new(HPos::Center, VPos::Center);
    for (i, row) in cells.iter().enumerate() {
        let y = top + row_h * i as i32;
        for (j, cell) in row.iter().enumerate() {
            let x = left + width * j as i32;
            let (fill, ink, text) = match cell {
                Some(cell) => {
                    let hue = if cell.intensity < 0.0 { VERMILLION } else { BLUE };
                    let ink = if cell.intensity.abs() > 0.55 { WHITE } else { BLACK };
                    (palette::tint(hue, cell.intensity.abs()), ink, cell.text.as_str())
                }
                None => (LIGHT, BLACK, "—"),
            };
            root.draw(&Rectangle::new([(s(x + 2), s(y + 2)), (s(x + width - 2), s(y + row_h - 2))], fill.filled()))
                .map_err(|e| c.err(e))?;
            let text = shorten(&font_at(18, false), text, width - 8);
            root.draw(&Text::new(text, (s(x + width / 2), s(y + row_h / 2)), c.font(18).color(&ink).pos(centre)))
                .map_err(|e| c.err(e))?;
        }
    }
    let y = top + row_h * rows.len() as i32 + 18;
    let note = shorten(&font_at(17, false), &display(note), SIZE.0 as i32 - 20);
    let at = (left.min(SIZE.0 as i32 - 10 - extent(&font_at(17, false), &note).0)).max(10);
    root.draw(&Text::new(note, (s(at), s(y)), c.font(17).color(&RGBColor(90, 90, 90)))).map_err(|e| c.err(e))?;
    root.present().map_err(|e| c.err(e))
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

    /// Fourteen drivers named with 35 characters, as real exports name them.
    fn long_names() -> Vec<String> {
        (0..14).map(|i| format!("Satisfaction with service aspect {i:02}")).collect()
    }

    fn assert_apart(boxes: &[Box4], what: &str) {
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!intersects(a, b), "{what}: {a:?} and {b:?} overlap");
            }
        }
    }

    #[test]
    fn heatmap_texts_never_overlap() {
        let rows = long_names();
        assert!(rows.iter().all(|r| r.chars().count() == 35));
        let levels = [
            ("Customer Type", "Loyal Customer"),
            ("Customer Type", "disloyal Customer"),
            ("Type of Travel", "Business travel"),
            ("Type of Travel", "Personal Travel"),
            ("Class", "Business"),
            ("Class", "Eco"),
            ("Class", "Eco Plus"),
        ];
        let columns: Vec<HeatColumn> =
            levels.iter().map(|(g, l)| HeatColumn { label: l.to_string(), group: Some(g.to_string()) }).collect();
        let layout = HeatLayout::of(&rows, &columns);
        let boxes: Vec<Box4> = layout.labels.iter().map(Label::bounds).collect();
        assert_eq!(boxes.len(), 14 + 7 + 3);
        assert_apart(&boxes, "heatmap");
        // Row names stay left of the cells, column and group names above them; all on
        // the canvas.
        for (label, b) in layout.labels.iter().zip(&boxes) {
            assert!(b[0] >= 0 && b[2] <= SIZE.0 as i32, "{b:?} leaves the canvas");
            if matches!(label.h, HPos::Right) {
                assert!(b[2] <= layout.left, "{b:?}");
            } else {
                assert!(b[3] <= layout.top && b[0] >= layout.left, "{b:?}");
            }
        }
        // Each long level name is on two lines rather than cut.
        let two_lines = layout.labels.iter().filter(|l| l.lines.len() == 2).count();
        assert!(two_lines >= 2, "{two_lines}");
    }

    #[test]
    fn crowded_quadrant_labels_never_overlap_and_far_ones_get_leaders() {
        let names = long_names();
        let font = font_at(19, false);
        let sizes: Vec<(i32, i32)> = names.iter().map(|n| extent(&font, n)).collect();
        // Twelve points bunched within 40 pixels, two apart: the bundled example's spread.
        let anchors: Vec<(i32, i32)> = (0..14)
            .map(|i| if i < 12 { (560 + 7 * (i % 6), 300 + 9 * (i / 6)) } else { (200 + 500 * (i - 12), 120) })
            .collect();
        let area = [100, 60, 1150, 600];
        let points: Vec<Box4> = anchors.iter().map(|&(x, y)| [x - 8, y - 8, x + 8, y + 8]).collect();
        let placed = place_labels(&anchors, &sizes, area, points.clone());
        let boxes: Vec<Box4> = placed.iter().map(|p| p.0).collect();
        assert_apart(&boxes, "quadrant labels");
        for b in &boxes {
            assert!(points.iter().all(|p| !intersects(b, p)), "{b:?} covers a point");
            assert!(b[0] >= area[0] && b[1] >= area[1] && b[2] <= area[2] && b[3] <= area[3], "{b:?} outside");
        }
        assert!(placed.iter().any(|p| p.1), "a bunched point needs a leader line");
        assert!(!placed[12].1 && !placed[13].1, "a lone point is labelled beside it");
    }

    #[test]
    fn end_labels_are_spread_a_line_apart() {
        let ys = spread(&[300, 300, 301, 305, 306, 590], 24, 60..600);
        assert!(ys.windows(2).all(|w| w[1] - w[0] >= 24), "{ys:?}");
        assert!(*ys.last().unwrap() <= 600 - 12, "{ys:?}");
    }

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
