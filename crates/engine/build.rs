//! Compiles the shipped lists of the repository's `lookups/` into static
//! hash tables, so the binary needs no file and no parsing to start: the
//! zone list (`dynamic_dns_providers.csv`) and the provider service hosts
//! (`dynamic_dns_service_hosts.csv`), both written by `cargo xtask zones
//! build`. A bad row fails the build, naming the file and the line.
//!
//! It also fixes the build id that `| dynamicdnsinfo` reports
//! (`DYNAMICDNS_BUILD_ID`): the value of `DYNAMICDNS_BUILD` when the build
//! sets it (`cargo xtask package` sets the commit), else `dev`. Nothing
//! else of the build's environment (time, host, path) enters the binary, so
//! the same commit still gives the same bytes.
//!
//! It also embeds the data version (`data/VERSION`) with the sha256 of the
//! two lists as built (so an export never names other bytes than it was
//! made from), and the Suricata sid registry (`data/suricata_sids.csv`).

use std::fmt::Write as _;
use std::path::PathBuf;

use dynamicdns_zonetable::{TableBuilder, Tier, ZoneInfo};

const ZONES: &str = "../../lookups/dynamic_dns_providers.csv";
const SERVICE: &str = "../../lookups/dynamic_dns_service_hosts.csv";
const VERSION: &str = "../../data/VERSION";
const SIDS: &str = "../../data/suricata_sids.csv";
const SIGMA: &str = "../../data/sources/sigma.csv";

/// Which of the two Sigma rules each zone of `data/sources/sigma.csv` came
/// from (0: the proxy DynDNS rule, 1: the low-reputation eTLD rule), sorted.
fn sigma_zones() -> String {
    let mut rows: Vec<(String, u8)> = read(SIGMA, &["zone", "source_ref"])
        .into_iter()
        .map(|(line, row)| {
            let rule = if row[1].contains("proxy_download_susp_dyndns.yml") {
                0
            } else if row[1].contains("net_dns_low_reputation_etld.yml") {
                1
            } else {
                panic!("{SIGMA}: line {line}: unknown Sigma rule {:?}", row[1])
            };
            (row[0].clone(), rule)
        })
        .collect();
    rows.sort();
    let mut src = String::from(
        "/// `data/sources/sigma.csv`: (zone, Sigma rule index), sorted by zone.\n\
         pub(crate) static SIGMA_ZONES: &[(&str, u8)] = &[\n",
    );
    for (zone, rule) in rows {
        writeln!(src, "({zone:?}, {rule}),").unwrap();
    }
    src.push_str("];\n");
    src
}

/// The lowercase hex sha256 of a file.
fn sha256_hex(path: &str) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    hmac_sha256::Hash::hash(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `data/VERSION` as generated code: the version, the sha256 the file
/// records for each list and the sha256 of the lists as built.
fn data_version() -> String {
    let text = std::fs::read_to_string(VERSION).unwrap_or_else(|e| panic!("{VERSION}: {e}"));
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{VERSION}: no `{key}` line"))
            .to_string()
    };
    let version = field("version");
    let ok = version.len() == 10
        && version.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'.',
            _ => b.is_ascii_digit(),
        });
    assert!(ok, "{VERSION}: version {version:?} is not YYYY.MM.DD");
    format!(
        "/// `data/VERSION`: the data version and the lists' sha256 (recorded, built).\n\
         pub(crate) const DATA_VERSION: &str = {version:?};\n\
         pub(crate) const RECORDED_LOOKUP_SHA256: &str = {:?};\n\
         pub(crate) const RECORDED_SERVICE_SHA256: &str = {:?};\n\
         pub(crate) const LOOKUP_SHA256: &str = {:?};\n\
         pub(crate) const SERVICE_SHA256: &str = {:?};\n",
        field("lookup-sha256"),
        field("service-hosts-sha256"),
        sha256_hex(ZONES),
        sha256_hex(SERVICE),
    )
}

/// The sid registry as a static slice sorted by zone: `(zone, index)`.
fn sid_registry() -> String {
    let text = std::fs::read_to_string(SIDS).unwrap_or_else(|e| panic!("{SIDS}: {e}"));
    let mut rows: Vec<(String, u32)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line == "zone,index" || line.is_empty() {
            continue;
        }
        let (zone, index) = line
            .split_once(',')
            .and_then(|(z, n)| Some((z.to_string(), n.parse::<u32>().ok()?)))
            .unwrap_or_else(|| panic!("{SIDS}: line {}: not zone,index", i + 1));
        assert!(seen.insert(index), "{SIDS}: line {}: index {index} used twice", i + 1);
        rows.push((zone, index));
    }
    rows.sort();
    assert!(rows.windows(2).all(|w| w[0].0 != w[1].0), "{SIDS}: a zone is listed twice");
    let mut src = String::from(
        "/// `data/suricata_sids.csv`: (zone, index), sorted by zone.\n\
         pub(crate) static SID_INDEX: &[(&str, u32)] = &[\n",
    );
    for (zone, index) in rows {
        writeln!(src, "({zone:?}, {index}),").unwrap();
    }
    src.push_str("];\n");
    src
}

/// The rows of a CSV file as (line, values of `columns`).
fn read(path: &str, columns: &[&str]) -> Vec<(usize, Vec<String>)> {
    let mut rdr = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let headers = rdr.headers().unwrap_or_else(|e| panic!("{path}: {e}")).clone();
    let cols: Vec<usize> = columns
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h == *c)
                .unwrap_or_else(|| panic!("{path}: no `{c}` column"))
        })
        .collect();
    rdr.records()
        .enumerate()
        .map(|(i, rec)| {
            let rec = rec.unwrap_or_else(|e| panic!("{path}: {e}"));
            (i + 2, cols.iter().map(|&c| rec.get(c).unwrap_or("").to_string()).collect())
        })
        .collect()
}

/// The build id: `DYNAMICDNS_BUILD` if set and non-empty, else `dev`. It
/// ends up in CSV cells and `key: value` lines, so only a short word of
/// `[0-9A-Za-z._+-]` is accepted; anything else fails the build.
fn build_id() -> String {
    println!("cargo:rerun-if-env-changed=DYNAMICDNS_BUILD");
    let id = match std::env::var("DYNAMICDNS_BUILD") {
        Ok(id) if !id.is_empty() => id,
        _ => return "dev".to_string(),
    };
    let ok = id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'));
    assert!(ok, "DYNAMICDNS_BUILD={id:?}: want at most 64 bytes of [0-9A-Za-z._+-]");
    id
}

/// Writes `zone_counts.rs`: the table's zones in total, per tier and per
/// category (an empty category counts as `ddns`, as the engine reads it),
/// for `health::ZoneCounts::shipped` — counted here once instead of in every
/// `| dynamicdnsinfo` run (a pass over the table costs 5–25 ms in a release
/// build, measured, against a process start-up of about 1 ms).
fn write_counts(table: &dynamicdns_zonetable::ZoneTable, out: &std::path::Path) {
    let (mut core, mut extended, mut ddns, mut vendor, mut vpn) = (0, 0, 0, 0, 0);
    for e in table.entries() {
        match e.tier() {
            Tier::Core => core += 1,
            Tier::Extended => extended += 1,
        }
        match table.category_name(e) {
            "" | "ddns" => ddns += 1,
            "vendor-ddns" => vendor += 1,
            "vpn-vendor" => vpn += 1,
            _ => {}
        }
    }
    let src = format!(
        "/// The shipped list's zone counts, made by `build.rs`.\n\
         const SHIPPED: ZoneCounts = ZoneCounts {{ total: {}, core: {core}, extended: {extended}, \
         ddns: {ddns}, vendor_ddns: {vendor}, vpn_vendor: {vpn} }};\n",
        table.len()
    );
    std::fs::write(out.join("zone_counts.rs"), src).expect("write zone_counts.rs");
}

fn main() {
    println!("cargo:rustc-env=DYNAMICDNS_BUILD_ID={}", build_id());
    println!("cargo:rerun-if-changed={ZONES}");
    println!("cargo:rerun-if-changed={SERVICE}");
    println!("cargo:rerun-if-changed={VERSION}");
    println!("cargo:rerun-if-changed={SIDS}");
    println!("cargo:rerun-if-changed={SIGMA}");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));

    let mut zones = TableBuilder::new();
    for (line, row) in read(ZONES, &["zone", "provider", "category", "tier", "sources"]) {
        let [zone, provider, category, tier, sources] = &row[..] else { unreachable!() };
        let tier = Tier::parse(tier)
            .unwrap_or_else(|| panic!("{ZONES}: line {line}: unknown tier {tier:?}"));
        let info = ZoneInfo { provider, category, tier, sources };
        if let Err(e) = zones.add(zone, info) {
            panic!("{ZONES}: line {line}: zone {zone:?}: {e}");
        }
    }
    let zones = zones.build();
    write_counts(&zones, &out);
    let (blob, mut src) = zones.write_rust("zone_table", "zones.blob");
    std::fs::write(out.join("zones.blob"), blob).expect("write zones.blob");

    // Service hosts: exact names; the table's provider, category, tier and
    // sources, plus each host's zone and role in arrays beside it.
    let mut hosts = TableBuilder::new();
    let mut side = String::from("/// Zone and role of each service host, by table position.\n");
    side.push_str("pub(crate) static SERVICE_SIDE: &[(&str, &str)] = &[\n");
    for (line, row) in read(SERVICE, &["host", "provider", "zone", "role", "category", "source"]) {
        let [host, provider, zone, role, category, source] = &row[..] else { unreachable!() };
        let info = ZoneInfo { provider, category, tier: Tier::Core, sources: source };
        if let Err(e) = hosts.add(host, info) {
            panic!("{SERVICE}: line {line}: host {host:?}: {e}");
        }
        if dynamicdns_zonetable::name::problem(zone.as_bytes()).is_some() || role.is_empty() {
            panic!("{SERVICE}: line {line}: bad zone {zone:?} or empty role");
        }
        writeln!(side, "({zone:?}, {role:?}),").unwrap();
    }
    side.push_str("];\n");
    let rows = side.lines().count() - 3;
    let hosts = hosts.build();
    // The side array is indexed by table position: one row per host.
    assert_eq!(hosts.len(), rows, "{SERVICE}: a host is listed twice");
    let (blob, hosts_src) = hosts.write_rust("service_table", "service.blob");
    std::fs::write(out.join("service.blob"), blob).expect("write service.blob");
    src.push_str(&hosts_src);
    src.push_str(&side);
    std::fs::write(out.join("zones_table.rs"), src).expect("write zones_table.rs");
    let export = [data_version(), sid_registry(), sigma_zones()].concat();
    std::fs::write(out.join("export_data.rs"), export).expect("write export_data.rs");
}
