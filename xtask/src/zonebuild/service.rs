//! Rule 10, provider service hosts: `data/service_hosts.csv` (curated: the
//! hosts DDNS clients call — update endpoints, check-IP servers, API and
//! web hosts — and the providers' name servers, each row citing where it is named) is checked row by row
//! and written as the shipped lookup `lookups/dynamic_dns_service_hosts.csv`
//! (`host,provider,zone,role,category,source`, category
//! `provider-service`). The binary gives exactly these hosts
//! `isDynDNS=False` with their provider and zone, so the devices that run
//! DDNS clients can still be found.

use std::path::Path;

use dynamicdns_zonetable::name;

use super::names::Names;
use super::{line_error, read_table, Csv, ZoneBuildError};

/// The roles a service host may have.
pub const ROLES: &[&str] = &["update", "check-ip", "web", "api", "nameserver"];

/// The category the binary reports for a service host.
pub const CATEGORY: &str = "provider-service";

/// The shipped lookup's header.
const HEADER: [&str; 6] = ["host", "provider", "zone", "role", "category", "source"];

/// Reads, checks and writes the service-host list: a bad row is an error
/// naming the file and the line.
pub(crate) fn build(data_dir: &Path, names: &Names) -> Result<Vec<u8>, ZoneBuildError> {
    let path = data_dir.join("service_hosts.csv");
    let rows = read_table(&path, &["host", "provider", "zone", "role", "source"])?;
    let mut out = Csv::new(HEADER)?;
    let mut last: Option<String> = None;
    for (line, row) in rows {
        let err = |problem: String| line_error(&path, line, problem);
        let [host, provider, zone, role, source] = <[String; 5]>::try_from(row)
            .map_err(|_| err("wrong number of columns read".to_string()))?;
        for (what, n) in [("host", &host), ("zone", &zone)] {
            if let Some(p) = name::problem(n.as_bytes()) {
                return Err(err(format!("{what} {n:?} {p}")));
            }
        }
        if host != zone && !host.ends_with(&format!(".{zone}")) {
            return Err(err(format!("host {host:?} is not {zone:?} or a name below it")));
        }
        if !ROLES.contains(&role.as_str()) {
            return Err(err(format!("role {role:?} is not one of {}", ROLES.join(", "))));
        }
        if provider.trim().is_empty() {
            return Err(err(format!("host {host:?} has no provider")));
        }
        let provider = names.harmonise(&provider);
        check_sources(&source).map_err(err)?;
        if let Some(prev) = &last {
            if *prev == host {
                return Err(err(format!("host {host:?} is listed twice")));
            }
            if *prev > host {
                return Err(err(format!("host {host:?} is out of order (rows sort by host)")));
            }
        }
        out.row([host.as_str(), &provider, &zone, &role, CATEGORY, &source])?;
        last = Some(host);
    }
    out.finish()
}

/// Every citation of a row's `source`, ` ; `-separated, is a repository
/// file (`owner/repo@<hex commit>:path`) or an http(s) URL.
pub(super) fn check_sources(source: &str) -> Result<(), String> {
    if source.trim().is_empty() {
        return Err("no source: every row cites where the host is named".to_string());
    }
    for part in source.split(" ; ") {
        let ok_url = part.starts_with("https://") || part.starts_with("http://");
        let ok_repo = part.split_once('@').is_some_and(|(repo, rest)| {
            repo.split('/').count() == 2
                && rest.split_once(':').is_some_and(|(commit, path)| {
                    commit.len() >= 7
                        && commit.bytes().all(|b| b.is_ascii_hexdigit())
                        && !path.is_empty()
                })
        });
        if !(ok_url || ok_repo) {
            return Err(format!(
                "source {part:?} is neither owner/repo@<commit>:path nor an http(s) URL"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_must_be_citations() {
        assert!(check_sources("ddclient/ddclient@f4dcf6fc8e4b:ddclient.in").is_ok());
        assert!(check_sources("a/b@0123abc:x ; https://example.com/doc").is_ok());
        assert!(check_sources("").is_err());
        assert!(check_sources("ddclient").is_err());
        assert!(check_sources("a/b@nothex:x").is_err());
        assert!(check_sources("a/b@0123abc:").is_err());
        assert!(check_sources("ftp://x").is_err());
    }
}
