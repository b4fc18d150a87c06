//! Text a client chose, made safe to log: no forged lines, no terminal escapes.

use std::fmt::{self, Write as _};

/// Displays `T` with every control character, line break and invisible formatting
/// character escaped, so attacker-controlled text (a login name, a user agent, a path,
/// a hook's reject reason, an error that embeds input) cannot forge a log line, recolour
/// a terminal or hide text.
///
/// `\n`, `\r` and `\t` become those two-character escapes, `\` becomes `\\` (so an
/// escape in the log always means one was made), and every other control or format
/// character (ANSI's ESC, NUL, DEL, C1 controls, bidi overrides, zero-width characters,
/// U+2028/U+2029) becomes `\u{…}`. Everything else, other scripts included, is written
/// as is. Every `tracing` call in auth-hooks logs such text through it (`%LogSafe(&x)`);
/// do the same in your own hooks.
///
/// ```
/// use auth_hooks::LogSafe;
///
/// let name = "ada\n2026-01-01 INFO forged\u{1b}[31m";
/// assert_eq!(
///     LogSafe(name).to_string(),
///     r"ada\n2026-01-01 INFO forged\u{1b}[31m"
/// );
/// assert_eq!(LogSafe("Zoë 李").to_string(), "Zoë 李");
/// ```
#[derive(Clone, Copy)]
pub struct LogSafe<T>(pub T);

impl<T: fmt::Display> fmt::Display for LogSafe<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping(f), "{}", self.0)
    }
}

impl<T: fmt::Display> fmt::Debug for LogSafe<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Escapes what is written through it.
struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (at, c) in s.char_indices() {
            if !needs_escape(c) {
                continue;
            }
            self.0.write_str(&s[plain..at])?;
            match c {
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                '\\' => self.0.write_str("\\\\")?,
                other => write!(self.0, "\\u{{{:x}}}", u32::from(other))?,
            }
            plain = at + c.len_utf8();
        }
        self.0.write_str(&s[plain..])
    }
}

/// Control characters and the escape character itself, and those that hide text.
fn needs_escape(c: char) -> bool {
    c == '\\' || hides_text(c)
}

/// Whether `c` is a control character or one that shows nothing and yet changes text:
/// every default-ignorable code point of Unicode (zero-width characters and joiners,
/// bidi marks and overrides, the soft hyphen, fillers, variation selectors, tag
/// characters), the other invisible format characters, line and paragraph separators,
/// and the blank braille pattern.
///
/// [`LogSafe`] escapes them, and [`normalize_login`](crate::normalize_login) drops them,
/// so `ada` and `a\u{200b}da` are one account rather than two that look alike.
///
/// ```
/// use auth_hooks::hides_text;
///
/// assert!(hides_text('\u{200b}') && hides_text('\u{202e}') && hides_text('\n'));
/// assert!(!hides_text('é') && !hides_text('李') && !hides_text(' '));
/// ```
pub fn hides_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Default_Ignorable_Code_Point (Unicode 16 DerivedCoreProperties.txt).
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
                // Other format characters that show nothing on their own.
                | '\u{600}'..='\u{605}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{890}'..='\u{891}'
                | '\u{8e2}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{fff9}'..='\u{fffb}'
                // Line and paragraph separators, and the blank braille pattern.
                | '\u{2028}'..='\u{2029}'
                | '\u{2800}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_line_breaks_and_bidi_are_escaped() {
        let forged = "a\r\nb\u{0}\u{7f}\u{9b}\u{202e}\u{2028}\\n\tc";
        let safe = LogSafe(forged).to_string();
        assert_eq!(safe, r"a\r\nb\u{0}\u{7f}\u{9b}\u{202e}\u{2028}\\n\tc");
        assert!(!safe.chars().any(needs_escape_raw), "{safe}");
    }

    #[test]
    fn displayable_values_are_escaped_too() {
        let error = std::io::Error::other("bad name `x\ny`");
        assert_eq!(LogSafe(&error).to_string(), r"bad name `x\ny`");
        assert_eq!(format!("{:?}", LogSafe("q\u{1b}")), r"q\u{1b}");
    }

    /// What must never reach a log unescaped (a backslash may: it starts an escape).
    fn needs_escape_raw(c: char) -> bool {
        c != '\\' && needs_escape(c)
    }
}
