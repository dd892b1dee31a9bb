//! The headline by wave, with its interval and the benchmarks as reference lines.

use super::*;

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
