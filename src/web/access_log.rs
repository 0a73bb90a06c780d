//! The access log, with secrets taken out: invitation codes (`?t=`) and any other
//! credential-like query value are replaced before the request line reaches a log, so
//! anyone who reads the logs cannot answer in someone's name or act as an evaluator.

use actix_web::dev::ServiceRequest;

/// Query keys whose values are credentials. Matched without regard to case.
const SECRET_KEYS: &[&str] = &[
    "t",
    "token",
    "access_token",
    "code",
    "key",
    "password",
    "secret",
    "session",
];

/// What stands in a log for a removed value.
pub const REDACTED: &str = "[redacted]";

/// `k=v&k2=v2` with every credential value replaced by [`REDACTED`]. Keys are compared
/// after percent-decoding, so `%74=` (an encoded `t`) is caught as well.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret(k) => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_secret(key: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
    SECRET_KEYS
        .iter()
        .any(|s| decoded.trim().eq_ignore_ascii_case(s))
}

/// The request line as the access log writes it: method, path, redacted query, version.
pub fn request_line(req: &ServiceRequest) -> String {
    let query = req.query_string();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", redact_query(query))
    };
    format!(
        "{} {}{} {:?}",
        req.method(),
        req.path(),
        query,
        req.version()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_codes_and_tokens_are_removed_and_the_rest_kept() {
        assert_eq!(redact_query("t=AbC123&lang=en"), "t=[redacted]&lang=en");
        assert_eq!(redact_query("lang=en&T=x"), "lang=en&T=[redacted]");
        assert_eq!(redact_query("%74=secret"), "%74=[redacted]");
        assert_eq!(
            redact_query("access_token=x&limit=5"),
            "access_token=[redacted]&limit=5"
        );
        assert_eq!(redact_query("limit=5"), "limit=5");
        // A key without a value is kept as it is.
        assert_eq!(redact_query("t"), "t");
    }
}
