//! Importance against performance: the drivers on the two axes, labels placed so none
//! overlaps another or a point, leader lines to the ones set apart.

use super::*;

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
pub fn quadrant(
    c: Canvas,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    corners: [String; 4],
    points: &[Point],
) -> Result<()> {
    let [fix, keep, overkill, low] = corners;
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
        .y_desc(y_desc)
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
            corner(xr.start + dx, yr.end - dy, HPos::Left, VPos::Top, &fix, VERMILLION),
            corner(xr.end - dx, yr.end - dy, HPos::Right, VPos::Top, &keep, GREEN),
            corner(xr.end - dx, yr.start + dy, HPos::Right, VPos::Bottom, &overkill, GREY),
            corner(xr.start + dx, yr.start + dy, HPos::Left, VPos::Bottom, &low, GREY),
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
    // The corners' names as the font measures them (a template may translate them), with
    // the inset they are drawn at.
    let wide = |text: &str| extent(&font_at(22, false), &display(text)).0 + 40;
    let corner_names = [
        [area[0], area[1], area[0] + wide(&fix), area[1] + 40],
        [area[2] - wide(&keep), area[1], area[2], area[1] + 40],
        [area[2] - wide(&overkill), area[3] - 40, area[2], area[3]],
        [area[0], area[3] - 40, area[0] + wide(&low), area[3]],
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

#[cfg(test)]
mod tests {
    use super::super::test_layout::*;
    use super::*;

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
}
