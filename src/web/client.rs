//! The client address behind a request, for per-client limits: the peer address, or,
//! when the peer is a trusted reverse proxy (`CHORUS_TRUSTED_PROXIES`), the nearest
//! `X-Forwarded-For` entry that is not itself a trusted proxy. Untrusted peers cannot
//! choose their address by sending the header.

use std::net::IpAddr;

use actix_web::HttpRequest;

pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // Right to left: each trusted proxy appended the address it saw.
    Some(
        forwarded
            .iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .copied()
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().expect("addr"))
            .insert_header(("X-Forwarded-For", "1.2.3.4, 203.0.113.9, 10.0.0.2"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[proxy]), "203.0.113.9".parse().ok());
        assert_eq!(
            client_ip(&req, &[]),
            Some(proxy),
            "untrusted peer: header ignored"
        );
        let direct = TestRequest::default()
            .peer_addr("198.51.100.7:5000".parse().expect("addr"))
            .insert_header(("X-Forwarded-For", "1.2.3.4"))
            .to_http_request();
        assert_eq!(client_ip(&direct, &[proxy]), "198.51.100.7".parse().ok());
    }
}
