//! `zeek`: a script that adds the verdict fields to `dns.log` (Zeek 4.1 or
//! later: it uses the stream's `DNS::log_policy` hook, which sees every
//! record, replies and unmatched queries included, and may modify it).
//!
//! Semantics in Zeek's terms ([`ZONE_OF`]): the query is lower-cased and
//! one trailing dot dropped; a name with an empty label has no zone; the
//! suffixes of 2 .. min(labels − 1, `max_zone_labels`) labels are looked up
//! in the zone table and the last (longest) found wins; the host itself is
//! never a candidate (the apex does not match). A service host keeps zone
//! and provider, with `isDynDNS` F and category `provider-service`. The
//! Rust matcher's extras (URLs, IDNA, debug-log names) do not apply to
//! `dns.log` queries.
//!
//! Inline mode (default for core) holds the zones in a table constructor.
//! File mode (default for all: a 117k-entry constructor is impractical)
//! reads them with the Input framework from the `zones` part, a Zeek ASCII
//! TSV beside the script, re-read when it changes; the table is loaded
//! asynchronously, so the first moments after start-up see no zones.

use std::fmt::Write as _;

use super::{comment, ExportData, ExportError, ZeekData};
use crate::export::Format;
use crate::verdict::Field;

// The script adds the verdict fields under their default names.
const IS_DYNDNS: &str = Field::IsDynDns.default_name();
const PROVIDER: &str = Field::Provider.default_name();
const ZONE: &str = Field::Zone.default_name();
const CATEGORY: &str = Field::Category.default_name();
const TIER: &str = Field::Tier.default_name();
use crate::zoneset::TierSelection;

/// The zones part's file name.
pub(super) const ZONES_FILE: &str = "dynamicdns-zones.tsv";

/// The verdict functions, as the script holds them (a test transliterates
/// exactly this text).
pub const ZONE_OF: &str = r#"function normalize(host: string): string
	{
	local h = to_lower(host);
	if ( |h| > 0 && sub_bytes(h, |h|, 1) == "." )
		h = sub_bytes(h, 1, |h| - 1);
	return h;
	}

function zone_of(host: string): string
	{
	local h = normalize(host);
	# An empty label (leading dot, "..") makes the name malformed: no zone.
	if ( |h| == 0 || sub_bytes(h, 1, 1) == "." || strstr(h, "..") > 0 )
		return "";
	local labels = split_string(h, /\./);
	local n = |labels|;
	if ( n < 3 )
		return "";
	# Suffixes of 2 .. n-1 labels: never the host itself (the apex is no DDNS host);
	# the last (longest) one found wins.
	local best = "";
	local suffix = labels[n - 1];
	local k = 2;
	while ( k < n && k <= max_zone_labels )
		{
		suffix = labels[n - k] + "." + suffix;
		if ( suffix in zones )
			best = suffix;
		++k;
		}
	return best;
	}
"#;

/// A Zeek string literal.
fn lit(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if c.is_control() => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The Zeek export: the script, or (file mode) the zones TSV.
pub(super) fn export(
    data: &ExportData<'_>,
    mode: ZeekData,
    part: &str,
    out: &mut String,
) -> Result<(), ExportError> {
    if mode == ZeekData::Inline && data.tier() == TierSelection::All {
        return Err(ExportError::NotOffered(
            "--format zeek --zeek-data inline --tier all would be a script of about 10 MB; use \
             --zeek-data file (the default for --tier all: the zones in a TSV the script reads) \
             or --tier core"
                .to_string(),
        ));
    }
    if part == "zones" {
        zones_tsv(data, out);
    } else {
        script(data, mode, out);
    }
    Ok(())
}

fn script(data: &ExportData<'_>, mode: ZeekData, out: &mut String) {
    let extra = match mode {
        ZeekData::Inline => " --zeek-data inline",
        ZeekData::File => " --zeek-data file",
    };
    let mut lines = data.provenance(Format::Zeek, extra);
    lines.push(String::new());
    lines.push(format!("Adds {IS_DYNDNS}, {PROVIDER}, {ZONE}, {CATEGORY} and {TIER} to dns.log."));
    lines.push(
        "Load it with \"@load ./dynamicdns.zeek\" (Zeek 4.1 or later: it uses DNS::log_policy)."
            .into(),
    );
    if mode == ZeekData::File {
        lines.push(format!(
            "The zones are read from {ZONES_FILE} beside this script (--part zones)."
        ));
    }
    comment(out, "##!", &lines);
    out.push_str(
        "\nmodule DynamicDNS;\n\nexport {\n\
         \t## A zone's provider (unset when no source names one), category and tier.\n\
         \ttype Zone: record {\n\
         \t\tprovider: string &optional;\n\
         \t\tcategory: string;\n\
         \t\ttier: string;\n\
         \t};\n\n",
    );
    match mode {
        ZeekData::Inline => {
            out.push_str("\t## Dynamic-DNS zones, lower case, without a trailing dot.\n");
            out.push_str("\tconst zones: table[string] of Zone = {\n");
            for r in data.zones() {
                let provider = if r.provider.is_empty() {
                    String::new()
                } else {
                    format!("$provider={}, ", lit(r.provider))
                };
                let _ = writeln!(
                    out,
                    "\t\t[{}] = [{provider}$category={}, $tier={}],",
                    lit(r.zone),
                    lit(r.category),
                    lit(r.tier.as_str())
                );
            }
            out.push_str("\t} &redef;\n\n");
        }
        ZeekData::File => {
            out.push_str(
                "\t## Index of the zone table as the Input framework reads it (column \"zone\").\n\
                 \ttype ZoneIdx: record {\n\t\tzone: string;\n\t};\n\n\
                 \t## Dynamic-DNS zones, lower case, without a trailing dot (read from zones_file).\n\
                 \tglobal zones: table[string] of Zone = table();\n\n",
            );
            let _ = writeln!(
                out,
                "\t## Where the zone table is read from.\n\tconst zones_file = @DIR + \"/{ZONES_FILE}\" &redef;\n"
            );
        }
    }
    out.push_str("\t## Hosts a provider runs for its own service (update, check-IP, web, API).\n");
    out.push_str("\tconst service_hosts: set[string] = {\n");
    for (s, _) in data.matching_service_hosts() {
        let _ = writeln!(out, "\t\t{},", lit(s.host));
    }
    out.push_str("\t} &redef;\n\n");
    let _ = writeln!(
        out,
        "\t## The most labels any zone has; the walk looks no further.\n\tconst max_zone_labels = {} &redef;\n",
        data.max_labels()
    );
    out.push_str(
        "\t## The longest zone the host lies strictly below, or \"\" when there is none.\n\
         \tglobal zone_of: function(host: string): string;\n}\n\n",
    );
    let _ = write!(
        out,
        "redef record DNS::Info += {{\n\
         \t## T when the query is a host below a dynamic-DNS zone.\n\t{IS_DYNDNS}: bool &log &optional;\n\
         \t## The provider that runs the zone.\n\t{PROVIDER}: string &log &optional;\n\
         \t## The zone (longest match).\n\t{ZONE}: string &log &optional;\n\
         \t## ddns, vendor-ddns, vpn-vendor or provider-service.\n\t{CATEGORY}: string &log &optional;\n\
         \t## core or extended.\n\t{TIER}: string &log &optional;\n}};\n\n"
    );
    out.push_str(ZONE_OF);
    let _ = write!(
        out,
        "\nhook DNS::log_policy(rec: DNS::Info, id: Log::ID, filter: Log::Filter)\n\
         \t{{\n\
         \tif ( ! rec?$query || rec?${IS_DYNDNS} )\n\t\treturn;\n\
         \tlocal z = zone_of(rec$query);\n\
         \tif ( z == \"\" )\n\t\t{{\n\t\trec${IS_DYNDNS} = F;\n\t\treturn;\n\t\t}}\n\
         \tlocal info = zones[z];\n\
         \trec${ZONE} = z;\n\
         \tif ( info?$provider )\n\t\trec${PROVIDER} = info$provider;\n\
         \trec${TIER} = info$tier;\n\
         \tif ( normalize(rec$query) in service_hosts )\n\t\t{{\n\
         \t\trec${IS_DYNDNS} = F;\n\t\trec${CATEGORY} = \"provider-service\";\n\t\t}}\n\
         \telse\n\t\t{{\n\t\trec${IS_DYNDNS} = T;\n\t\trec${CATEGORY} = info$category;\n\t\t}}\n\
         \t}}\n"
    );
    if mode == ZeekData::File {
        out.push_str(
            "\nevent zeek_init()\n\t{\n\
             \tInput::add_table([$source=zones_file, $name=\"dynamicdns_zones\", $idx=ZoneIdx,\n\
             \t                  $val=Zone, $destination=zones, $mode=Input::REREAD]);\n\t}\n",
        );
    }
}

/// A value in a Zeek ASCII TSV cell (tab, newline, backslash escaped).
fn tsv_cell(s: &str) -> String {
    match s {
        "" => "(empty)".to_string(),
        "-" => "\\x2d".to_string(),
        _ => {
            let mut o = String::with_capacity(s.len());
            for c in s.chars() {
                match c {
                    '\\' => o.push_str("\\x5c"),
                    '\t' => o.push_str("\\x09"),
                    c if c.is_control() => o.push_str(&format!("\\x{:02x}", c as u32)),
                    c => o.push(c),
                }
            }
            o
        }
    }
}

/// The zones part: Zeek's ASCII format as the Input framework reads it.
fn zones_tsv(data: &ExportData<'_>, out: &mut String) {
    out.push_str("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdynamicdns_zones\n");
    // The reader skips # lines other than #fields.
    let p = data.provenance(Format::Zeek, " --zeek-data file --part zones");
    for l in &p {
        let _ = writeln!(out, "# {l}");
    }
    out.push_str(
        "#fields\tzone\tprovider\tcategory\ttier\n#types\tstring\tstring\tstring\tstring\n",
    );
    for r in data.zones() {
        let provider = if r.provider.is_empty() { "-".to_string() } else { tsv_cell(r.provider) };
        let _ = writeln!(
            out,
            "{}\t{provider}\t{}\t{}",
            tsv_cell(r.zone),
            tsv_cell(r.category),
            r.tier.as_str()
        );
    }
}
