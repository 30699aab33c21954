//! `elastic`: an enrich source index (`index` mapping, `bulk` NDJSON with
//! one document per zone, `_id` = zone), a `match` enrich `policy` on
//! `zone`, and an ingest `pipeline` of three processors.
//!
//! Semantics in Elasticsearch's terms: the first script
//! ([`CANDIDATES_SCRIPT`]) takes the host from the first non-empty field of
//! `params.fields`, lower-cases it, drops one trailing dot, refuses a name
//! with an empty label, and lists its suffixes of 2 .. min(labels − 1,
//! `max_labels`) labels (never the host itself: the apex does not match);
//! the `enrich` processor looks them up (a list becomes a terms query); the
//! second script ([`VERDICT_SCRIPT`]) keeps the longest zone found (enrich
//! returns hits in no defined order) and marks a service host as
//! `provider-service`, not dynamic DNS. The result is
//! `dynamicdns.{host, is_dyndns, zone, provider, category, tier}`.
//! Differences: no URL parsing (give host fields such as
//! `url.domain`), no IDNA, host bytes not validated; a document key with
//! literal dots (`"dns.question.name": …`) is not found, only nested
//! objects (as ECS documents are). The scripts use only the part of
//! Painless that is also Java (no `def`, regex, `?.` or generics), so they
//! can be checked on a JVM.

use std::fmt::Write as _;

use super::{json_str, ExportData, ExportError, Options};
use crate::export::tier_name;

/// The enrich source index and policy name.
pub const INDEX: &str = "dynamicdns-zones";

/// The ECS fields the host is read from by default.
pub const DEFAULT_FIELDS: &[&str] =
    &["dns.question.name", "url.domain", "tls.client.server_name", "destination.domain"];

/// The first script: the host and its candidate zones.
pub const CANDIDATES_SCRIPT: &str = r#"// dynamicdns: the host and its candidate zones (its suffixes of 2 .. max_labels labels, never the host itself)
String host = null;
List fields = (List) params.get("fields");
for (int f = 0; f < fields.size() && host == null; f++) {
  String path = (String) fields.get(f);
  Object cur = ctx;
  int start = 0;
  while (cur != null) {
    int dot = path.indexOf(".", start);
    String key = dot < 0 ? path.substring(start) : path.substring(start, dot);
    if (cur instanceof Map) { cur = ((Map) cur).get(key); } else { cur = null; }
    if (dot < 0) { break; }
    start = dot + 1;
  }
  if (cur instanceof List && ((List) cur).size() > 0) { cur = ((List) cur).get(0); }
  if (cur instanceof String && ((String) cur).trim().length() > 0) { host = ((String) cur).trim(); }
}
if (host != null) {
  String h = host.toLowerCase();
  if (h.endsWith(".")) { h = h.substring(0, h.length() - 1); }
  List cands = new ArrayList();
  if (h.startsWith(".") == false && h.contains("..") == false) {
    int maxLabels = ((Integer) params.get("max_labels")).intValue();
    int pos = h.lastIndexOf(".");
    int labels = 1;
    while (pos > 0) {
      int prev = h.lastIndexOf(".", pos - 1);
      labels++;
      if (prev < 0 || labels > maxLabels) { break; }
      cands.add(h.substring(prev + 1));
      pos = prev;
    }
  }
  Map d = new HashMap();
  d.put("host", h);
  if (cands.size() > 0) { d.put("_candidates", cands); }
  ctx.put("dynamicdns", d);
}
"#;

/// The second script: the longest zone found; service hosts are not DDNS.
pub const VERDICT_SCRIPT: &str = r#"// dynamicdns: the longest zone found wins; a provider service host is not a dynamic-DNS host
Object dv = ctx.get("dynamicdns");
if (dv instanceof Map) {
  Map d = (Map) dv;
  Object ms = d.get("_matches");
  Map best = null;
  if (ms instanceof Map) { best = (Map) ms; }
  if (ms instanceof List) {
    List l = (List) ms;
    for (int i = 0; i < l.size(); i++) {
      Map m = (Map) l.get(i);
      if (best == null || ((String) m.get("zone")).length() > ((String) best.get("zone")).length()) { best = m; }
    }
  }
  d.remove("_matches");
  d.remove("_candidates");
  if (best == null) {
    d.put("is_dyndns", false);
  } else {
    d.put("zone", best.get("zone"));
    d.put("provider", best.get("provider"));
    d.put("tier", best.get("tier"));
    List service = (List) params.get("service_hosts");
    if (service.contains(d.get("host"))) {
      d.put("is_dyndns", false);
      d.put("category", "provider-service");
    } else {
      d.put("is_dyndns", true);
      d.put("category", best.get("category"));
    }
  }
}
"#;

/// The `_meta` object naming the data and its licences.
fn meta(data: &ExportData<'_>) -> serde_json::Value {
    let v = data.version();
    let licences: serde_json::Map<String, serde_json::Value> = data
        .sources()
        .iter()
        .map(|s| {
            (
                s.name.to_string(),
                serde_json::Value::from(if s.license.is_empty() { "none" } else { s.license }),
            )
        })
        .collect();
    serde_json::json!({
        "generator": format!("dynamicdns {} zones export --format elastic --tier {}", env!("CARGO_PKG_VERSION"), tier_name(data.tier())),
        "data_version": v.version,
        "lookup_sha256": v.lookup_sha256,
        "zones": data.zones().len(),
        "licenses": licences,
    })
}

/// One part of the Elastic export.
pub(super) fn export(
    data: &ExportData<'_>,
    options: &Options,
    part: &str,
    out: &mut String,
) -> Result<(), ExportError> {
    let doc = match part {
        "bulk" => {
            for r in data.zones() {
                let sources: Vec<String> =
                    r.sources.split(';').filter(|s| !s.is_empty()).map(json_str).collect();
                let _ = writeln!(
                    out,
                    "{{\"index\":{{\"_index\":\"{INDEX}\",\"_id\":{}}}}}",
                    json_str(r.zone)
                );
                let _ = writeln!(
                    out,
                    "{{\"zone\":{},\"provider\":{},\"category\":{},\"tier\":{},\"sources\":[{}]}}",
                    json_str(r.zone),
                    json_str(r.provider),
                    json_str(r.category),
                    json_str(r.tier.as_str()),
                    sources.join(",")
                );
            }
            return Ok(());
        }
        "index" => serde_json::json!({
            "mappings": {
                "dynamic": "strict",
                "_meta": meta(data),
                "properties": {
                    "zone": {"type": "keyword"}, "provider": {"type": "keyword"},
                    "category": {"type": "keyword"}, "tier": {"type": "keyword"},
                    "sources": {"type": "keyword"}
                }
            }
        }),
        "policy" => serde_json::json!({
            "match": {
                "indices": INDEX,
                "match_field": "zone",
                "enrich_fields": ["provider", "category", "tier", "sources"]
            }
        }),
        _ => {
            let fields: Vec<String> = match &options.elastic_fields {
                Some(f) => f.clone(),
                None => DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
            };
            let hosts: Vec<&str> =
                data.matching_service_hosts().iter().map(|(s, _)| s.host).collect();
            let v = data.version();
            let mut m = meta(data);
            m["enrich_policy"] = INDEX.into();
            serde_json::json!({
                "description": format!(
                    "dynamicdns {}: mark hosts strictly below a dynamic-DNS zone (zone data {}, sha256 {}; sources and licences in _meta)",
                    env!("CARGO_PKG_VERSION"), v.version, v.short_sha()
                ),
                "_meta": m,
                "processors": [
                    {"script": {"tag": "dynamicdns-candidates", "lang": "painless", "source": CANDIDATES_SCRIPT,
                                "params": {"fields": fields, "max_labels": data.max_labels()}}},
                    {"enrich": {"tag": "dynamicdns-enrich", "policy_name": INDEX, "field": "dynamicdns._candidates",
                                "target_field": "dynamicdns._matches", "max_matches": data.max_labels().clamp(1, 128),
                                "ignore_missing": true}},
                    {"script": {"tag": "dynamicdns-verdict", "lang": "painless", "source": VERDICT_SCRIPT,
                                "params": {"service_hosts": hosts}}}
                ]
            })
        }
    };
    out.push_str(&serde_json::to_string_pretty(&doc).unwrap_or_default());
    out.push('\n');
    Ok(())
}
