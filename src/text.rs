//! Text that people read back (names, descriptions): printable, so that what is shown is what was
//! stored — no NUL or other control characters, and no bidirectional controls that make a name
//! read differently than it is written (Unicode TR #9; CVE-2021-42574's trick).

/// Unicode's bidirectional embedding, override and isolate controls.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// One line of printable text (a name).
pub fn is_printable_line(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || is_bidi_control(c))
}

/// Printable text that may run over several lines (a description).
pub fn is_printable_text(text: &str) -> bool {
    !text.chars().any(|c| (c.is_control() && c != '\n' && c != '\r' && c != '\t') || is_bidi_control(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_printable_line() {
        assert!(is_printable_line("Zapier — automation, ünïcode and emoji 🚀"));
        for bad in ["Zap\u{0}ier", "Zap\u{7}ier", "Zap\nier", "Zap\u{202e}reipaz", "a\u{2066}b", "\u{85}"] {
            assert!(!is_printable_line(bad), "{bad:?}");
        }
        assert!(is_printable_text("Line one\nline two\ttabbed"));
        assert!(!is_printable_text("nul\u{0}"));
        assert!(!is_printable_text("\u{202e}"));
    }
}
