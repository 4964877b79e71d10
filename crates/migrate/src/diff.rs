//! A unified diff of two texts by lines (`diff -u` layout, 3 lines of
//! context), from a longest common subsequence. Configuration files are
//! small; past [`MAX_LINES`] lines on either side the diff is one hunk that
//! replaces everything, so memory stays bounded.

use std::fmt::Write;

/// The largest side the LCS table is built for (its size is the product).
pub const MAX_LINES: usize = 4000;
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Same(usize, usize),
    Del(usize),
    Add(usize),
}

fn script(a: &[&str], b: &[&str]) -> Vec<Line> {
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        return (0..a.len())
            .map(Line::Del)
            .chain((0..b.len()).map(Line::Add))
            .collect();
    }
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the LCS length of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Line::Same(i, j));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[at(i, j + 1)] > lcs[at(i + 1, j)]) {
            out.push(Line::Add(j));
            j += 1;
        } else {
            out.push(Line::Del(i));
            i += 1;
        }
    }
    out
}

/// `a` → `b` as a unified diff with headers `--- from` / `+++ to`; empty
/// when they are equal.
pub fn unified(a: &str, b: &str, from: &str, to: &str) -> String {
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let s = script(&al, &bl);
    let changed: Vec<usize> = (0..s.len())
        .filter(|&k| !matches!(s[k], Line::Same(..)))
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    // Hunks: runs of changes less than 2*CONTEXT apart, with context.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &k in &changed {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(s.len());
        match hunks.last_mut() {
            Some(h) if lo <= h.1 => h.1 = hi,
            _ => hunks.push((lo, hi)),
        }
    }
    let mut out = format!("--- {from}\n+++ {to}\n");
    for (lo, hi) in hunks {
        // Where the hunk starts on each side: the next line of each.
        let (mut a0, mut b0) = (0, 0);
        for l in &s[..lo] {
            match l {
                Line::Same(..) => {
                    a0 += 1;
                    b0 += 1;
                }
                Line::Del(_) => a0 += 1,
                Line::Add(_) => b0 += 1,
            }
        }
        let part = &s[lo..hi];
        let an = part.iter().filter(|l| !matches!(l, Line::Add(_))).count();
        let bn = part.iter().filter(|l| !matches!(l, Line::Del(_))).count();
        let start = |s0: usize, n: usize| if n == 0 { s0 } else { s0 + 1 };
        let _ = writeln!(out, "@@ -{},{an} +{},{bn} @@", start(a0, an), start(b0, bn));
        for l in part {
            let _ = match *l {
                Line::Same(i, _) => writeln!(out, " {}", al[i]),
                Line::Del(i) => writeln!(out, "-{}", al[i]),
                Line::Add(j) => writeln!(out, "+{}", bl[j]),
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a\nb\n", "a\nb\n", "x", "y"), "");
    }

    #[test]
    fn an_appended_block_is_one_hunk_with_context() {
        let a = "1\n2\n3\n4\n5\n";
        let b = "1\n2\n3\n4\n5\n\n[[evpn.vni]]\nvni = 10100\n";
        let d = unified(a, b, "old", "new");
        assert_eq!(
            d,
            "--- old\n+++ new\n@@ -3,3 +3,6 @@\n 3\n 4\n 5\n+\n+[[evpn.vni]]\n+vni = 10100\n"
        );
    }

    #[test]
    fn a_changed_line_is_removed_and_added() {
        let d = unified("a\nb\nc\n", "a\nB\nc\n", "o", "n");
        assert_eq!(d, "--- o\n+++ n\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    }
}
