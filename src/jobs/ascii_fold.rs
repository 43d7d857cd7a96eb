//! Token files carry printable ASCII only (both referee readers choke on anything else), but
//! user names are often accented. Names are informational in a token file, so Latin letters
//! with diacritics are written without them (García → Garcia) and the review says so; a
//! name with characters that have no such spelling (e.g. 王) keeps the token out instead.
//! Logins are never folded: in `user-id` modes they are the password.

/// The name spelled in printable ASCII, or `None` when a character has no ASCII spelling.
pub fn fold_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            out.push_str(fold_char(c)?);
        }
    }
    Some(out)
}

/// True when [`fold_name`] would change the name.
pub fn needs_folding(name: &str) -> bool {
    !name.chars().all(|c| (' '..='~').contains(&c))
}

fn fold_char(c: char) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("àáâãäåāăą", "a"),
        ("ÀÁÂÃÄÅĀĂĄ", "A"),
        ("çćĉċč", "c"),
        ("ÇĆĈĊČ", "C"),
        ("ďđð", "d"),
        ("ĎĐÐ", "D"),
        ("èéêëēĕėęě", "e"),
        ("ÈÉÊËĒĔĖĘĚ", "E"),
        ("ĝğġģ", "g"),
        ("ĜĞĠĢ", "G"),
        ("ĥħ", "h"),
        ("ĤĦ", "H"),
        ("ìíîïĩīĭįı", "i"),
        ("ÌÍÎÏĨĪĬĮİ", "I"),
        ("ĵ", "j"),
        ("Ĵ", "J"),
        ("ķ", "k"),
        ("Ķ", "K"),
        ("ĺļľŀł", "l"),
        ("ĹĻĽĿŁ", "L"),
        ("ñńņňŉ", "n"),
        ("ÑŃŅŇ", "N"),
        ("òóôõöøōŏő", "o"),
        ("ÒÓÔÕÖØŌŎŐ", "O"),
        ("ŕŗř", "r"),
        ("ŔŖŘ", "R"),
        ("śŝşšș", "s"),
        ("ŚŜŞŠȘ", "S"),
        ("ţťŧț", "t"),
        ("ŢŤŦȚ", "T"),
        ("ùúûüũūŭůűų", "u"),
        ("ÙÚÛÜŨŪŬŮŰŲ", "U"),
        ("ŵ", "w"),
        ("Ŵ", "W"),
        ("ýÿŷ", "y"),
        ("ÝŸŶ", "Y"),
        ("źżž", "z"),
        ("ŹŻŽ", "Z"),
        ("æ", "ae"),
        ("Æ", "AE"),
        ("œ", "oe"),
        ("Œ", "OE"),
        ("ß", "ss"),
        ("þ", "th"),
        ("Þ", "TH"),
        ("’‘", "'"),
    ];
    TABLE
        .iter()
        .find(|(from, _)| from.contains(c))
        .map(|(_, to)| *to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_latin_diacritics_and_refuses_the_rest() {
        assert_eq!(fold_name("García").as_deref(), Some("Garcia"));
        assert_eq!(fold_name("Łukasz Żółć").as_deref(), Some("Lukasz Zolc"));
        assert_eq!(fold_name("Søren Ærø").as_deref(), Some("Soren AEro"));
        assert_eq!(
            fold_name("Straße O’Neill").as_deref(),
            Some("Strasse O'Neill")
        );
        assert_eq!(fold_name("plain").as_deref(), Some("plain"));
        assert_eq!(fold_name("王"), None);
        assert_eq!(fold_name("tab\there"), None);
        assert!(needs_folding("José") && !needs_folding("Jose"));
    }
}
