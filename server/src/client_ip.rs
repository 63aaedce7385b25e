//! The client's IP address: the socket's peer, or, behind a reverse proxy that is trusted
//! by configuration, the address that proxy reports in `X-Forwarded-For`.
//!
//! The header is only believed when the request comes from a trusted proxy, and then read
//! from the right: the last address that is not itself a trusted proxy is the client.
//! (Entries further left were written by the client and can say anything.)

use std::{net::IpAddr, net::SocketAddr, sync::Arc};

use app::client::ClientIp;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};

/// The proxies whose `X-Forwarded-For` is believed (`SESAME_TRUSTED_PROXIES`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<Vec<IpAddr>>);

pub async fn determine(
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    // IPv4 peers of a dual-stack listener arrive as ::ffff:a.b.c.d; read them as IPv4.
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_canonical());
    if let Some(peer) = peer {
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let ip = client_ip(peer, &forwarded, &proxies.0);
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

fn client_ip(peer: IpAddr, forwarded_for: &str, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded_for.rsplit(',') {
        let Some(ip) = parse_entry(entry.trim()) else {
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:5678`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let ip = entry.parse::<IpAddr>().ok();
    let ip = ip.or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP address")
    }

    proptest::proptest! {
        #[test]
        fn any_forwarded_header_yields_the_peer_or_an_address_it_lists(header in "\\PC{0,200}") {
            let proxy = ip("10.0.0.1");
            let found = client_ip(proxy, &header, &[proxy]);
            let listed = header.split(',').any(|entry| entry.trim().parse() == Ok(found));
            proptest::prop_assert!(found == proxy || listed);
        }
    }

    #[test]
    fn without_trusted_proxies_the_socket_peer_is_the_client() {
        assert_eq!(client_ip(ip("203.0.113.9"), "198.51.100.1", &[]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];

        assert_eq!(client_ip(ip("10.0.0.1"), "198.51.100.7", &proxies), ip("198.51.100.7"));
        let spoofed = "1.2.3.4, 198.51.100.7, 10.0.0.2";
        assert_eq!(client_ip(ip("10.0.0.1"), spoofed, &proxies), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("10.0.0.1"), "", &proxies), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), "garbage", &proxies), ip("10.0.0.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), "198.51.100.7:5678", &proxies), ip("198.51.100.7"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), "::ffff:10.0.0.2, ::ffff:198.51.100.8", &proxies),
            ip("198.51.100.8")
        );
        assert_eq!(client_ip(ip("10.0.0.1"), "[2001:db8::7]:443", &proxies), ip("2001:db8::7"));
    }
}
