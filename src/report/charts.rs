//! PNG charts, one function per chart. Text is drawn with DejaVu Sans compiled into the
//! binary (the `dejavu` crate through plotters' ab_glyph backend), so charts render the
//! same on a server with no fonts installed, Greek and Cyrillic labels included.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use super::capitalised;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::outcome::{Band, Outcome};
use crate::scores::ScoreStats;

const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (1200, 675);
const RED: RGBColor = RGBColor(214, 69, 65);
const GREY: RGBColor = RGBColor(170, 170, 170);
const GREEN: RGBColor = RGBColor(46, 139, 87);
const BLUE: RGBColor = RGBColor(52, 101, 164);

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
    let bidi = unicode_bidi::BidiInfo::new(&shaped, None);
    bidi.paragraphs.iter().map(|para| bidi.reorder_line(para, para.range.clone()).into_owned()).collect()
}

fn draw_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::output(path, format!("cannot draw chart: {e}"))
}

/// Stacked bars of the outcome's three answer bands per group (detractors / passives /
/// promoters for NPS), worst at the bottom, with the headline on top.
pub fn composition(path: &Path, title: &str, outcome: &Outcome, rows: &[ScoreStats]) -> Result<()> {
    register_font();
    let err = |e: &dyn std::fmt::Display| draw_error(path, e);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    // Bars on the left, legend in its own column on the right, so they never overlap.
    let (plot, legend) = root.split_horizontally(SIZE.0 - 230);
    let k = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&plot)
        .caption(display(title), (FONT, 30).into_font().style(FontStyle::Bold))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..k, 0.0..112.0)
        .map_err(|e| err(&e))?;
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
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 20))
        .draw()
        .map_err(|e| err(&e))?;
    let centred = Pos::new(HPos::Center, VPos::Center);
    let label_font = (FONT, 19).into_font();
    for (i, r) in rows.iter().enumerate() {
        let (x0, x1) = (i as f64 + 0.2, i as f64 + 0.8);
        let mut y = 0.0;
        let pct = r.bands.as_ref().map_or([0.0; 3], |b| b.pct);
        for (band, colour, text_colour) in worst_first(outcome) {
            let share = pct[band as usize];
            chart
                .draw_series(std::iter::once(Rectangle::new([(x0, y), (x1, y + share)], colour.filled())))
                .map_err(|e| err(&e))?;
            if share >= 4.0 {
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("{share:.0}%"),
                        (i as f64 + 0.5, y + share / 2.0),
                        label_font.clone().color(&text_colour).pos(centred),
                    )))
                    .map_err(|e| err(&e))?;
            }
            y += share;
        }
        chart
            .draw_series(std::iter::once(Text::new(
                outcome.headline(r.score),
                (i as f64 + 0.5, 106.0),
                (FONT, 21).into_font().style(FontStyle::Bold).color(&BLACK).pos(centred),
            )))
            .map_err(|e| err(&e))?;
    }
    for (i, (band, colour, _)) in worst_first(outcome).into_iter().rev().enumerate() {
        let y = 140 + 40 * i as i32;
        let name = display(&capitalised(&outcome.band_legend(band)));
        legend.draw(&Rectangle::new([(10, y), (34, y + 24)], colour.filled())).map_err(|e| err(&e))?;
        legend.draw(&Text::new(name.as_str(), (44, y + 3), (FONT, 19).into_font())).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// The bands from worst to best, with fill and text colours: red for the worst (detractors,
/// the dissatisfied, high effort), grey between, green for the best.
fn worst_first(outcome: &Outcome) -> [(Band, RGBColor, RGBColor); 3] {
    let (worst, best) = if outcome.sign() < 0.0 { (Band::High, Band::Low) } else { (Band::Low, Band::High) };
    [(worst, RED, WHITE), (Band::Mid, GREY, BLACK), (best, GREEN, WHITE)]
}

/// A chart with one row per label, first label on top, and a value axis across: the
/// frame the ranked bars and the waterfall share. Row i spans y = k − i − 1 … k − i.
fn rows_chart<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    path: &Path,
    title: &str,
    x_desc: &str,
    labels: &[&str],
    x_range: std::ops::Range<f64>,
) -> Result<
    ChartContext<
        'a,
        BitMapBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
> {
    let err = |e: &dyn std::fmt::Display| draw_error(path, e);
    let k = labels.len().max(1) as f64;
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(5) as u32;
    let mut chart = ChartBuilder::on(root)
        .caption(display(title), (FONT, 30).into_font().style(FontStyle::Bold))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size((longest * 11 + 20).clamp(80, 420))
        .build_cartesian_2d(x_range, 0.0..k)
        .map_err(|e| err(&e))?;
    let names: Vec<String> = labels.iter().map(|l| display(l)).collect();
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
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 20))
        .draw()
        .map_err(|e| err(&e))?;
    Ok(chart)
}

/// One bar of [`ranked_bars`], with its 95% interval when there is one.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub ci: Option<(f64, f64)>,
}

/// Horizontal bars, largest on top; negative values extend left of zero. An interval is
/// drawn as a whisker across the bar's end, and the value label moves past it.
pub fn ranked_bars(path: &Path, title: &str, x_desc: &str, bars: &[Bar], decimals: usize) -> Result<()> {
    register_font();
    let err = |e: &dyn std::fmt::Display| draw_error(path, e);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let k = bars.len().max(1) as f64;
    let ends = |b: &Bar| b.ci.map_or((b.value, b.value), |(l, h)| (l.min(b.value), h.max(b.value)));
    let lo = bars.iter().map(|b| ends(b).0).fold(0.0f64, f64::min);
    let hi = bars.iter().map(|b| ends(b).1).fold(0.0f64, f64::max);
    let pad = 0.18 * (hi - lo).max(1e-9);
    let x_range = (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad);
    let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
    let mut chart = rows_chart(&root, path, title, x_desc, &labels, x_range)?;
    for (i, bar) in bars.iter().enumerate() {
        let v = &bar.value;
        let y = k - i as f64 - 1.0;
        let colour = if *v < 0.0 { RED } else { BLUE };
        chart
            .draw_series(std::iter::once(Rectangle::new([(0.0, y + 0.18), (*v, y + 0.82)], colour.filled())))
            .map_err(|e| err(&e))?;
        if let Some((l, h)) = bar.ci {
            let ink = BLACK.stroke_width(2);
            let whisker = [
                vec![(l, y + 0.5), (h, y + 0.5)],
                vec![(l, y + 0.32), (l, y + 0.68)],
                vec![(h, y + 0.32), (h, y + 0.68)],
            ];
            chart.draw_series(whisker.into_iter().map(|pts| PathElement::new(pts, ink))).map_err(|e| err(&e))?;
        }
        let (low_end, high_end) = ends(bar);
        let at = if *v < 0.0 { low_end - pad * 0.6 } else { high_end + pad * 0.05 };
        chart
            .draw_series(std::iter::once(Text::new(format!("{v:.decimals$}"), (at, y + 0.62), (FONT, 19))))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// One wave of [`trend`]: the headline and its 95% interval.
pub struct Wave {
    pub label: String,
    pub value: f64,
    pub ci: (f64, f64),
}

/// A benchmark's values by wave index, drawn as a dashed line.
pub struct Reference {
    pub label: String,
    pub points: Vec<(usize, f64)>,
}

/// Okabe–Ito colours for the benchmark lines (safe for colour-blind readers).
const REFERENCE_COLOURS: [RGBColor; 4] =
    [RGBColor(230, 159, 0), RGBColor(204, 121, 167), RGBColor(0, 158, 115), RGBColor(213, 94, 0)];

/// The headline by wave: a line with its 95% band, and each benchmark as a dashed line
/// named in a legend column of its own, so the legend never sits on the data.
pub fn trend(
    path: &Path,
    title: &str,
    y_desc: &str,
    waves: &[Wave],
    references: &[Reference],
    decimals: usize,
) -> Result<()> {
    register_font();
    let err = |e: &dyn std::fmt::Display| draw_error(path, e);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (plot, legend) = root.split_horizontally(SIZE.0 - 260);
    let values =
        waves.iter().flat_map(|w| [w.ci.0, w.ci.1]).chain(references.iter().flat_map(|r| r.points.iter().map(|p| p.1)));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let pad = 0.15 * (hi - lo).max(1.0);
    let k = waves.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&plot)
        .caption(display(title), (FONT, 30).into_font().style(FontStyle::Bold))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(75)
        .build_cartesian_2d(-0.5..k - 0.5, (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    let labels: Vec<String> = waves.iter().map(|w| display(&w.label)).collect();
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
        .y_desc(y_desc)
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 20))
        .draw()
        .map_err(|e| err(&e))?;
    let band: Vec<(f64, f64)> = waves
        .iter()
        .enumerate()
        .map(|(i, w)| (i as f64, w.ci.1))
        .chain(waves.iter().enumerate().rev().map(|(i, w)| (i as f64, w.ci.0)))
        .collect();
    chart.draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.18).filled()))).map_err(|e| err(&e))?;
    let line: Vec<(f64, f64)> = waves.iter().enumerate().map(|(i, w)| (i as f64, w.value)).collect();
    chart.draw_series(LineSeries::new(line.clone(), BLUE.stroke_width(3))).map_err(|e| err(&e))?;
    chart.draw_series(line.iter().map(|&p| Circle::new(p, 6, BLUE.filled()))).map_err(|e| err(&e))?;
    let centred = Pos::new(HPos::Center, VPos::Bottom);
    chart
        .draw_series(line.iter().map(|&(x, y)| {
            Text::new(format!("{y:.decimals$}"), (x, y + 0.25 * pad), (FONT, 19).into_font().color(&BLACK).pos(centred))
        }))
        .map_err(|e| err(&e))?;
    let mut entries = vec![("ours, with 95% interval".to_string(), BLUE)];
    for (r, colour) in references.iter().zip(REFERENCE_COLOURS.iter().cycle()) {
        let pts: Vec<(f64, f64)> = r.points.iter().map(|&(i, v)| (i as f64, v)).collect();
        if pts.len() == 1 {
            chart.draw_series(std::iter::once(Cross::new(pts[0], 9, colour.stroke_width(3)))).map_err(|e| err(&e))?;
        } else {
            chart.draw_series(DashedLineSeries::new(pts, 12, 7, colour.stroke_width(3))).map_err(|e| err(&e))?;
        }
        entries.push((r.label.clone(), *colour));
    }
    for (i, (name, colour)) in entries.iter().enumerate() {
        let y = 120 + 40 * i as i32;
        legend.draw(&Rectangle::new([(10, y + 9), (40, y + 15)], colour.filled())).map_err(|e| err(&e))?;
        legend.draw(&Text::new(display(name), (50, y + 2), (FONT, 18).into_font())).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// One bar of [`waterfall`]: a level (the two waves' headlines) or a step between them.
pub struct Step {
    pub label: String,
    pub from: f64,
    pub to: f64,
    pub level: bool,
}

/// Why the headline moved, as a horizontal waterfall read top to bottom: the earlier
/// wave's level, each driver's step (green when it moves the headline the good way, red
/// the other), what ratings do not explain, and the later wave's level.
pub fn waterfall(
    path: &Path,
    title: &str,
    x_desc: &str,
    steps: &[Step],
    decimals: usize,
    higher_is_better: bool,
) -> Result<()> {
    register_font();
    let err = |e: &dyn std::fmt::Display| draw_error(path, e);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let k = steps.len().max(1) as f64;
    let lo = steps.iter().map(|s| s.from.min(s.to)).fold(f64::INFINITY, f64::min).min(0.0);
    let hi = steps.iter().map(|s| s.from.max(s.to)).fold(f64::NEG_INFINITY, f64::max).max(0.0);
    let pad = 0.12 * (hi - lo).max(1e-9);
    let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
    let x_range = (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad);
    let mut chart = rows_chart(&root, path, title, x_desc, &labels, x_range)?;
    for (i, s) in steps.iter().enumerate() {
        let y = k - i as f64 - 1.0;
        let colour = if s.level {
            BLUE
        } else if (s.to >= s.from) == higher_is_better {
            GREEN
        } else {
            RED
        };
        let (a, b) = (s.from.min(s.to), s.from.max(s.to));
        chart
            .draw_series(std::iter::once(Rectangle::new([(a, y + 0.2), (b, y + 0.8)], colour.filled())))
            .map_err(|e| err(&e))?;
        if i + 1 < steps.len() {
            let ink = GREY.stroke_width(1);
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(s.to, y + 0.2), (s.to, y - 0.2)], ink)))
                .map_err(|e| err(&e))?;
        }
        let text = if s.level { format!("{:.decimals$}", s.to) } else { format!("{:+.decimals$}", s.to - s.from) };
        chart
            .draw_series(std::iter::once(Text::new(text, (b + pad * 0.08, y + 0.62), (FONT, 19))))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// One driver on the importance–performance matrix.
pub struct Point {
    pub label: String,
    /// Performance: mean rating.
    pub x: f64,
    /// Importance: share of R², %.
    pub y: f64,
}

/// The importance–performance matrix: performance across, importance up, dashed lines at
/// the drivers' means, the four quadrants named, and each point labelled where its label
/// overlaps no other label or point (the first free spot of eight around it).
pub fn quadrant(path: &Path, title: &str, x_desc: &str, points: &[Point]) -> Result<()> {
    register_font();
    let err = |e: &dyn std::fmt::Display| draw_error(path, e);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let n = points.len().max(1) as f64;
    let (mx, my) = (points.iter().map(|p| p.x).sum::<f64>() / n, points.iter().map(|p| p.y).sum::<f64>() / n);
    let span = |v: &dyn Fn(&Point) -> f64, mid: f64| {
        let (lo, hi) = points.iter().map(v).fold((mid, mid), |(a, b), x| (a.min(x), b.max(x)));
        let pad = 0.25 * (hi - lo).max(1e-6);
        (lo - pad)..(hi + pad)
    };
    let (xr, yr) = (span(&|p| p.x, mx), span(&|p| p.y, my));
    let mut chart = ChartBuilder::on(&root)
        .caption(display(title), (FONT, 30).into_font().style(FontStyle::Bold))
        .margin(25)
        .x_label_area_size(55)
        .y_label_area_size(75)
        .build_cartesian_2d(xr.clone(), yr.clone())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(235, 235, 235))
        .x_desc(x_desc)
        .y_desc("importance: share of R², %")
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 20))
        .x_label_formatter(&|x| format!("{x:.prec$}", prec = if xr.end - xr.start < 1.0 { 2 } else { 1 }))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| err(&e))?;
    let dash = GREY.stroke_width(2);
    chart.draw_series(DashedLineSeries::new([(mx, yr.start), (mx, yr.end)], 10, 6, dash)).map_err(|e| err(&e))?;
    chart.draw_series(DashedLineSeries::new([(xr.start, my), (xr.end, my)], 10, 6, dash)).map_err(|e| err(&e))?;
    let corner = |x: f64, y: f64, h: HPos, v: VPos, text: &str, colour: RGBColor| {
        Text::new(text.to_string(), (x, y), (FONT, 22).into_font().color(&colour).pos(Pos::new(h, v)))
    };
    let (dx, dy) = (0.02 * (xr.end - xr.start), 0.03 * (yr.end - yr.start));
    chart
        .draw_series([
            corner(xr.start + dx, yr.end - dy, HPos::Left, VPos::Top, "Fix first", RED),
            corner(xr.end - dx, yr.end - dy, HPos::Right, VPos::Top, "Keep it up", GREEN),
            corner(xr.end - dx, yr.start + dy, HPos::Right, VPos::Bottom, "Possible overkill", GREY),
            corner(xr.start + dx, yr.start + dy, HPos::Left, VPos::Bottom, "Low priority", GREY),
        ])
        .map_err(|e| err(&e))?;
    chart.draw_series(points.iter().map(|p| Circle::new((p.x, p.y), 7, BLUE.filled()))).map_err(|e| err(&e))?;

    // Labels in pixels: the plot area, the points and the corner names are taken.
    let (px, py) = (chart.plotting_area().get_pixel_range().0, chart.plotting_area().get_pixel_range().1);
    let at = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let mut taken: Vec<[i32; 4]> = points
        .iter()
        .map(|p| {
            let (x, y) = at(p.x, p.y);
            [x - 8, y - 8, x + 8, y + 8]
        })
        .collect();
    taken.push([px.start, py.start, px.start + 130, py.start + 40]);
    taken.push([px.end - 140, py.start, px.end, py.start + 40]);
    taken.push([px.end - 200, py.end - 40, px.end, py.end]);
    taken.push([px.start, py.end - 40, px.start + 150, py.end]);
    let overlap = |a: &[i32; 4], b: &[i32; 4]| {
        let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0);
        let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0);
        w * h
    };
    let font = (FONT, 19).into_font();
    for p in points {
        let text = display(&p.label);
        let w = (text.chars().count() as f64 * 10.5) as i32 + 4;
        let (x, y) = at(p.x, p.y);
        let candidates = [
            (x + 11, y - 11),
            (x - w - 11, y - 11),
            (x - w / 2, y - 34),
            (x - w / 2, y + 11),
            (x + 11, y - 30),
            (x + 11, y + 6),
            (x - w - 11, y - 30),
            (x - w - 11, y + 6),
        ];
        let cost = |&(lx, ly): &(i32, i32)| {
            let r = [lx, ly, lx + w, ly + 22];
            let outside =
                (px.start - r[0]).max(0) + (r[2] - px.end).max(0) + (py.start - r[1]).max(0) + (r[3] - py.end).max(0);
            taken.iter().map(|t| overlap(&r, t)).sum::<i32>() + 1000 * outside
        };
        let best = *candidates.iter().min_by_key(|c| cost(c)).expect("eight candidates");
        taken.push([best.0, best.1, best.0 + w, best.1 + 22]);
        root.draw(&Text::new(text, best, font.clone())).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
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
        let bar = |label: &str, value: f64, ci| super::Bar { label: label.to_string(), value, ci };
        let bars = [
            bar("Χρόνος αναμονής", 31.2, Some((27.0, 35.5))),
            bar("Качество", 24.0, Some((20.1, 28.0))),
            bar("کیفیت خدمات", 18.5, None),
            bar("Problem solving", 9.1, Some((6.0, 12.2))),
        ];
        super::ranked_bars(&path, "Drivers · Οδηγοί · Факторы · عوامل", "share, %", &bars, 1).unwrap();
        let png = std::fs::read(&path).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    }
}
