//! Why the headline moved: the first wave's figure, each driver's part of the change
//! and the rest, to the last wave's figure.

use super::*;

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
