//! Shares by segment: a driver per row, a group per column, the headers wrapped to fit.

use super::*;

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
    use super::super::test_layout::*;
    use super::*;

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
}
