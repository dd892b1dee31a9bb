//! Ranked horizontal bars: the drivers' shares of R², or any one number per driver.

use super::*;

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
