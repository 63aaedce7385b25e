//! "Chrome on Linux": a browser and system, read from a User-Agent header for people.

/// Describes a user agent as "browser on system", or says it is unknown.
pub fn describe(user_agent: &str) -> String {
    if user_agent.trim().is_empty() {
        return "Unknown device".into();
    }
    let Some(parsed) = woothee::parser::Parser::new().parse(user_agent) else {
        return "Other device".into();
    };
    let known = |name: &str| !name.is_empty() && name != woothee::woothee::VALUE_UNKNOWN;
    match (known(parsed.name), known(parsed.os)) {
        (true, true) => format!("{} on {}", parsed.name, parsed.os),
        (true, false) => parsed.name.to_owned(),
        (false, true) => format!("A browser on {}", parsed.os),
        (false, false) => "Other device".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_read_as_browser_on_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/120.0.0.0 Safari/537.36";
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

        assert_eq!(describe(chrome), "Chrome on Linux");
        assert_eq!(describe(firefox), "Firefox on Windows 10");
        assert_eq!(describe(""), "Unknown device");
        assert_eq!(describe("curl/8.5.0"), "HTTP Library");
        assert_eq!(describe("\u{1}"), "Other device");
    }
}
