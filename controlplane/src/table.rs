//! Tabular `print` output as RouterOS v7 renders it: a `Flags:` legend of the flags that
//! occur, a `Columns:` line, a header, then one row per item with its number and flag
//! letters; numbers right-aligned (counters grouped by thousands with spaces), text left.
//! The same table renders as JSON for scripts.

use serde_json::{Map, Value};

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text, left-aligned.
    Text(String),
    /// A plain number, right-aligned (`1500`).
    Num(u64),
    /// A counter, right-aligned with thousands grouped by spaces (`2 101 838`).
    Counter(u64),
}

impl Cell {
    fn render(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(n) => n.to_string(),
            Cell::Counter(n) => group_thousands(*n),
        }
    }

    fn right_aligned(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Num(n) | Cell::Counter(n) => Value::from(*n),
        }
    }
}

/// `2101838` → `2 101 838`, as RouterOS prints counters.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// One row: the item's print number, its flag letters, its cells.
#[derive(Debug, Clone)]
pub struct Row {
    /// Print number (editable items have one).
    pub number: Option<usize>,
    /// Flag letters, in legend order.
    pub flags: String,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

/// A `print` listing.
#[derive(Debug, Clone)]
pub struct Table {
    /// Every flag the menu knows: letter and upper-case name, in legend order.
    pub legend: Vec<(char, &'static str)>,
    /// Column titles (`NAME`, `ACTUAL-MTU`).
    pub columns: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<Row>,
}

impl Table {
    /// Renders as a RouterOS console shows it.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let used: Vec<String> = self
            .legend
            .iter()
            .filter(|(c, _)| self.rows.iter().any(|r| r.flags.contains(*c)))
            .map(|(c, name)| format!("{c} - {name}"))
            .collect();
        if !used.is_empty() {
            out.push_str(&format!("Flags: {}\n", used.join("; ")));
        }
        out.push_str(&format!("Columns: {}\n", self.columns.join(", ")));

        let num_w = self
            .rows
            .iter()
            .filter_map(|r| r.number.map(|n| n.to_string().len()))
            .max()
            .unwrap_or(1)
            .max(1);
        let flag_w = self.rows.iter().map(|r| r.flags.len()).max().unwrap_or(0);
        let rendered: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.cells.iter().map(Cell::render).collect())
            .collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                rendered
                    .iter()
                    .filter_map(|r| r.get(i).map(String::len))
                    .chain(std::iter::once(self.columns[i].len()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let right: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.cells.get(i))
                    .any(Cell::right_aligned)
            })
            .collect();

        let mut line = format!("{:>num_w$} {:flag_w$}", "#", "");
        for (i, title) in self.columns.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            line.push(' ');
            line.push_str(&pad(title, widths[i], right[i]));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        for (row, cells) in self.rows.iter().zip(&rendered) {
            let num = row.number.map(|n| n.to_string()).unwrap_or_default();
            let mut line = format!("{num:>num_w$} {:flag_w$}", row.flags);
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                line.push(' ');
                line.push_str(&pad(cell, widths[i], right[i]));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Renders as a JSON array of objects keyed by lower-case column names, with `.nr` and
    /// one boolean per flag of the legend.
    pub fn render_json(&self) -> String {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let mut m = Map::new();
                if let Some(n) = r.number {
                    m.insert(".nr".into(), Value::from(n));
                }
                for (c, name) in &self.legend {
                    m.insert(name.to_lowercase(), Value::Bool(r.flags.contains(*c)));
                }
                for (title, cell) in self.columns.iter().zip(&r.cells) {
                    m.insert(title.to_lowercase(), cell.json());
                }
                Value::Object(m)
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn pad(s: &str, width: usize, right: bool) -> String {
    if right {
        format!("{s:>width$}")
    } else {
        format!("{s:<width$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_like_routeros() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1 000");
        assert_eq!(group_thousands(2101838093), "2 101 838 093");
    }

    #[test]
    fn renders_flags_columns_and_alignment() {
        let t = Table {
            legend: vec![('X', "DISABLED"), ('R', "RUNNING")],
            columns: vec!["NAME", "ACTUAL-MTU"],
            rows: vec![
                Row {
                    number: Some(0),
                    flags: "R".into(),
                    cells: vec![Cell::Text("ether1".into()), Cell::Num(1500)],
                },
                Row {
                    number: Some(1),
                    flags: "".into(),
                    cells: vec![Cell::Text("ether10".into()), Cell::Num(9000)],
                },
            ],
        };
        let expected = "\
Flags: R - RUNNING
Columns: NAME, ACTUAL-MTU
#   NAME     ACTUAL-MTU
0 R ether1         1500
1   ether10        9000
";
        assert_eq!(t.render_text(), expected);
        let json: Value = serde_json::from_str(&t.render_json()).unwrap();
        assert_eq!(json[0]["name"], "ether1");
        assert_eq!(json[0]["running"], true);
        assert_eq!(json[1]["actual-mtu"], 9000);
        assert_eq!(json[1]["running"], false);
    }
}
