//! Splitting a multi-token document into single-token documents the way spec §8 describes:
//! the header unchanged (so `HeaderMAC` stays valid), exactly one `TKN`, and the trailer.
//! Neither referee reads multi-token files; each part must decode in both.

/// One document per `TKN` of `document`, in order. Works on the text, so every byte of the
/// header, the token and the trailer is kept as written.
pub fn split_tokens(document: &str) -> Vec<String> {
    let line_start = |at: usize| document[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let starts: Vec<usize> = document
        .match_indices("<TKN>")
        .map(|(at, _)| line_start(at))
        .collect();
    let Some(last_close) = document.rfind("</TKN>") else {
        return Vec::new();
    };
    let close_end = last_close + "</TKN>".len();
    let end = document[close_end..]
        .find('\n')
        .map_or(close_end, |newline| close_end + newline + 1);
    let (Some(&first), false) = (starts.first(), end <= last_close) else {
        return Vec::new();
    };

    let (header, trailer) = (&document[..first], &document[end..]);
    let ends = starts.iter().skip(1).copied().chain([end]);
    starts
        .iter()
        .zip(ends)
        .map(|(&start, stop)| format!("{header}{}{trailer}", &document[start..stop]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_header_and_trailer_around_each_token() {
        let document = "<?xml version=\"1.0\"?>\n<TKNBatch>\n  <TKNHeader>\n    <X>1</X>\n  </TKNHeader>\n  <TKN>\n    <SN>1</SN>\n  </TKN>\n  <TKN>\n    <SN>2</SN>\n  </TKN>\n  <TKNTrailer>\n  </TKNTrailer>\n</TKNBatch>\n";
        let parts = split_tokens(document);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[1],
            "<?xml version=\"1.0\"?>\n<TKNBatch>\n  <TKNHeader>\n    <X>1</X>\n  </TKNHeader>\n  <TKN>\n    <SN>2</SN>\n  </TKN>\n  <TKNTrailer>\n  </TKNTrailer>\n</TKNBatch>\n"
        );
        assert!(parts[0].contains("<SN>1</SN>") && !parts[0].contains("<SN>2</SN>"));
    }
}
