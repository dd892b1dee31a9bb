//! The share of promoters, passives and detractors (or the positive and negative
//! classes) per group, as stacked bars.

use super::*;

/// Stacked bars of the outcome's three answer bands per group (detractors / passives /
/// promoters for NPS), worst at the bottom, with the headline on top.
/// `bands`: each band's words, low to high; `prefix` comes before the headline above a
/// bar ("NPS +12.3").
pub fn composition(
    c: Canvas,
    title: &str,
    y_desc: &str,
    bands: &[String; 3],
    prefix: &str,
    outcome: &Outcome,
    rows: &[ScoreStats],
) -> Result<()> {
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
        .y_desc(y_desc)
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
                match (prefix, outcome.headline_value(r.score)) {
                    ("", value) => value,
                    (prefix, value) => format!("{prefix} {value}"),
                },
                (i as f64 + 0.5, 106.0),
                c.bold(21).color(&BLACK).pos(centred),
            )))
            .map_err(|e| c.err(e))?;
    }
    let entries: Vec<(String, RGBColor)> = worst_first(outcome)
        .into_iter()
        .rev()
        .map(|(band, colour, _)| (bands[band as usize].clone(), colour))
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
