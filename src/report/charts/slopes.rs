//! Each driver's share from one wave to the next, one line per driver, the end labels
//! spread a line apart.

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_labels_are_spread_a_line_apart() {
        let ys = spread(&[300, 300, 301, 305, 306, 590], 24, 60..600);
        assert!(ys.windows(2).all(|w| w[1] - w[0] >= 24), "{ys:?}");
        assert!(*ys.last().unwrap() <= 600 - 12, "{ys:?}");
    }
}
