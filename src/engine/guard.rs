//! Who may call the inbox: not a web page. A page in the developer's browser can POST to
//! `http://127.0.0.1:4010` without a CORS preflight (`content-type: text/plain`), and through
//! DNS rebinding it can do so under a name of its own. Wix's servers never send `Origin`, and
//! every browser sends it on a POST; a rebinding page's requests carry its own name in `Host`.
//! So, as webpack-dev-server's `allowedHosts` and Vite's `server.allowedHosts` do, a request is
//! refused (403, flagged in the log) when it carries an `Origin` header, or when its `Host` is
//! neither a loopback name or address (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`) nor a
//! name the developer allowed (`--allow-host NAME`; `.example.com` allows the domain and its
//! subdomains). A request without `Host` (HTTP/1.0 tools) is not a browser's and is let through.

use super::{Reply, Value, json};
use std::net::IpAddr;

/// The host part of a `Host` header value: without its port, and without the brackets of an
/// IPv6 address; lowercase.
pub fn host_name(host: &str) -> String {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        }
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `name` (from [`host_name`]) is this machine by every reading: `localhost`, a name
/// under `.localhost` (RFC 6761 keeps them on loopback), or a loopback address.
pub fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether `name` is allowed by one of `allowed` (each a name, or `.domain` for the domain and
/// every name under it).
fn allowed_by(name: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| {
        let a = host_name(a);
        match a.strip_prefix('.') {
            Some(domain) => name == domain || name.ends_with(&a),
            None => name == a,
        }
    })
}

/// A request's `Origin` and `Host` judged: `Ok` to go on, or the 403 that says why.
pub fn check_caller(
    origin: Option<&str>,
    host: Option<&str>,
    allowed: &[String],
) -> Result<(), Reply> {
    if let Some(origin) = origin {
        return Err(refusal(
            "ORIGIN_REFUSED",
            &format!(
                "refused: the request carries Origin: {origin}, so a web page sent it; Wix's servers never send Origin, and the inbox does not answer browsers"
            ),
            json!({ "origin": origin }),
        ));
    }
    let Some(host) = host else {
        return Ok(());
    };
    let name = host_name(host);
    if is_loopback_name(&name) || allowed_by(&name, allowed) {
        return Ok(());
    }
    Err(refusal(
        "HOST_NOT_ALLOWED",
        &format!(
            "refused: Host {host:?} is not this machine's name (localhost, 127.0.0.1, [::1]) nor an allowed host: a page could reach the inbox under it through DNS rebinding. If you called it through a tunnel or by another name, start ActionBench with --allow-host {name}, or in the window add it under Allowed hosts in the left panel"
        ),
        json!({ "host": host, "allowedHosts": allowed }),
    ))
}

fn refusal(code: &str, message: &str, data: Value) -> Reply {
    Reply::json(
        403,
        json!({ "message": message,
                "details": { "applicationError": { "code": code, "description": message, "data": data } } }),
    )
}

/// Cleans the names given with `--allow-host` (or the window's setting): trimmed, without
/// empty ones; a name with a scheme or a path is refused, naming it.
pub fn parse_allowed_hosts<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, String> {
    let mut out = vec![];
    for n in names {
        let n = n.trim();
        if n.is_empty() {
            continue;
        }
        if n.contains("://") || n.contains('/') {
            return Err(format!(
                "--allow-host {n:?}: give a host name (abc.trycloudflare.com), not a URL"
            ));
        }
        if n.contains('*') {
            return Err(format!(
                "--allow-host {n:?}: write .example.com to allow a domain and its subdomains"
            ));
        }
        out.push(n.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_lose_their_port_and_brackets() {
        assert_eq!(host_name("LocalHost:4010"), "localhost");
        assert_eq!(host_name("[::1]:4010"), "::1");
        assert_eq!(host_name("[::1]"), "::1");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("abc.trycloudflare.com."), "abc.trycloudflare.com");
    }

    #[test]
    fn loopback_names_pass_and_others_are_refused() {
        for ok in [
            "localhost",
            "localhost:4010",
            "127.0.0.1:4010",
            "127.8.9.10",
            "[::1]:80",
            "app.localhost",
        ] {
            assert!(check_caller(None, Some(ok), &[]).is_ok(), "{ok}");
        }
        for bad in [
            "attacker.example",
            "10.0.0.5:4010",
            "0.0.0.0",
            "localhost.attacker.example",
            "[::2]",
        ] {
            let r = check_caller(None, Some(bad), &[]).expect_err(bad);
            assert_eq!(r.status, 403);
            assert_eq!(
                r.body
                    .pointer("/details/applicationError/code")
                    .and_then(Value::as_str),
                Some("HOST_NOT_ALLOWED")
            );
        }
    }

    #[test]
    fn any_origin_is_refused_even_from_loopback() {
        let r = check_caller(Some("http://localhost:3000"), Some("localhost:4010"), &[])
            .expect_err("origin");
        assert_eq!(r.status, 403);
        assert!(
            r.body["message"]
                .as_str()
                .is_some_and(|m| m.contains("Origin"))
        );
        assert!(check_caller(Some("null"), None, &[]).is_err());
    }

    #[test]
    fn allowed_hosts_and_domains() {
        let allowed =
            parse_allowed_hosts(["abc.trycloudflare.com", " .ngrok-free.app "]).expect("names");
        assert!(check_caller(None, Some("abc.trycloudflare.com"), &allowed).is_ok());
        assert!(check_caller(None, Some("ABC.trycloudflare.com:443"), &allowed).is_ok());
        assert!(check_caller(None, Some("xyz.trycloudflare.com"), &allowed).is_err());
        assert!(check_caller(None, Some("a1b2.ngrok-free.app"), &allowed).is_ok());
        assert!(check_caller(None, Some("ngrok-free.app"), &allowed).is_ok());
        assert!(check_caller(None, Some("evilngrok-free.app"), &allowed).is_err());
        assert!(parse_allowed_hosts(["https://x.example"]).is_err());
        assert!(parse_allowed_hosts(["*.x.example"]).is_err());
    }

    #[test]
    fn no_host_is_not_a_browser() {
        assert!(check_caller(None, None, &[]).is_ok());
    }
}
