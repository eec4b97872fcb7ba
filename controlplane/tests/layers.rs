//! The control plane's layers (docs/architecture.md draws them): each module uses only those
//! above it, so dependencies point one way and no import cycle can form. Read from the
//! sources: every `crate::<module>` a file names outside its tests.

use std::path::Path;

/// The layers, top first; modules on one line do not use each other.
const LAYERS: &[&[&str]] = &[
    &["config", "route"],
    &["plan"],
    &["rib"],
    &["system"],
    &["bgp", "ldp", "ospf"],
    &["northbound"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The source of `path` without its test module and comments (a doc link is no use); a
/// test module in a file of its own (`tests.rs`) is left out whole, as an inline one is.
fn code(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let s = std::fs::read_to_string(path).unwrap_or_default();
    let s = match s.find("#[cfg(test)]\nmod tests") {
        Some(i) => &s[..i],
        None => &s[..],
    };
    s.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_uses_only_the_layers_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for f in &all {
        let rel = f.strip_prefix(&src).unwrap_or(f);
        let first = rel.iter().next().and_then(|c| c.to_str()).unwrap_or("");
        let module = first.trim_end_matches(".rs");
        let Some(mine) = layer(module) else { continue };
        seen += 1;
        let text = code(f);
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let used: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let Some(theirs) = layer(&used) else { continue };
            if used != module && theirs >= mine {
                wrong.push(format!("{} uses crate::{used}", rel.display()));
            }
        }
    }
    assert!(seen > 30, "the sources were found ({seen} files)");
    assert!(
        wrong.is_empty(),
        "uses against the layers:\n{}",
        wrong.join("\n")
    );
}
