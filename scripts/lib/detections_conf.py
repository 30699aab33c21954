"""Writes the app's default/savedsearches.conf, analyticstories.conf and
macros.conf from what `contentctl build` made of detections/ and from
detections/app_overlay.conf (what contentctl's YAML cannot carry).

contentctl's stanzas are taken as they are, except:
- the keys of ESCU's own app go: contentctl's [default] placeholder stanza,
  action.escu.* (ESCU's alert action, not defined in this app) and
  allow_skew (each search keeps its own minute of the hour);
- disabled and alert.suppress say 1/0, not true/false;
- a notable's _entities name the risk objects of action.risk.param._risk
  (contentctl writes N/A), and ES 7's single drilldown keys repeat the
  first of drilldown_searches;
- the overlay's filter_macro, annotations.*, providing_technologies and
  plain keys (see its header);
- stanzas are sorted (correlation searches, then the other saved searches;
  the story, then its searches; macros by name), keys in the order below,
  and so are the story's searches.

Usage: detections_conf.py BUILT_DEFAULT_DIR OVERLAY OUT_DIR
"""

import json
import re
import sys

FILES = ("savedsearches.conf", "analyticstories.conf", "macros.conf")

HEADER = """\
# Generated from detections/ (contentctl YAML) and detections/app_overlay.conf
# by scripts/detections.sh --write (scripts/lib/detections_conf.py): do not
# edit this file, edit the YAML and regenerate. The test command fails when
# this file and the YAML disagree. What the keys mean: detections/README.md.
"""

NOTES = {
    "savedsearches.conf": """\
# Every search ships disabled: enable it in ES (Security content > Content
# Management) or Settings > Searches, reports, and alerts. Tune the
# correlation searches with the `dynamicdns_allowlist` macro, each search's
# own *_filter macro and lookups/dynamicdns_allowlist.csv, in local/.
""",
    "analyticstories.conf": """\
# The story is "Dynamic DNS (dynamicdns)", not ESCU's "Dynamic DNS": two
# stanzas of one name would merge key by key. A custom conf: app.conf
# [triggers] and server.conf [shclustering] name it.
""",
    "macros.conf": """\
# Tune in Settings > Advanced search > Search macros (local/macros.conf),
# never in default/.
""",
}

# The app's key order; keys not listed follow in contentctl's order.
ORDER = """description search disabled enableSched cron_schedule dispatch.earliest_time
dispatch.latest_time schedule_window realtime_schedule is_visible counttype relation quantity
alert.digest_mode alert.suppress alert.suppress.fields alert.suppress.period
action.correlationsearch.enabled action.correlationsearch.detection_type
action.correlationsearch.label action.correlationsearch.annotations
action.correlationsearch.metadata action.notable action.notable.param._entities
action.notable.param.rule_title action.notable.param.rule_description
action.notable.param.security_domain action.notable.param.severity
action.notable.param.nes_fields action.notable.param.drilldown_name
action.notable.param.drilldown_search action.notable.param.drilldown_earliest_offset
action.notable.param.drilldown_latest_offset action.notable.param.drilldown_searches
action.risk action.risk.param._risk action.risk.param._risk_message
action.risk.param._risk_score action.risk.param.verbose
category last_updated version references maintainers spec_version searches
type asset_type confidence explanation how_to_implement annotations
known_false_positives providing_technologies definition""".split()

# The annotation keys analyticstories.conf carries (contentctl's mappings).
MAPPINGS = ("cis20", "kill_chain_phases", "mitre_attack", "nist")
ALL = "correlation searches"


def parse_conf(path):
    """{stanza: {key: value}} in file order; continued lines joined by \\n."""
    stanzas, cur = {}, None
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("["):
            cur = stanzas.setdefault(line[1 : line.rindex("]")], {})
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        while value.endswith("\\") and i < len(lines):
            value = value[:-1] + "\n" + lines[i]
            i += 1
        cur[key.strip()] = value.strip()
    return stanzas


def write_conf(path, name, stanzas):
    rank = {k: n for n, k in enumerate(ORDER)}
    out = [HEADER, NOTES[name]]
    for stanza, keys in stanzas:
        out.append(f"\n[{stanza}]\n")
        for key in sorted(keys, key=lambda k: rank.get(k, len(rank))):
            value = keys[key].replace("\n", "\\\n")
            out.append(f"{key} = {value}\n")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(out))


def dumps(value):
    return json.dumps(value, ensure_ascii=False)


def merge_annotations(text, extra, only=None):
    """contentctl's annotation JSON with the overlay's lists put first."""
    ann = json.loads(text)
    for key, values in extra.items():
        if only is None or key in only:
            ann[key] = values + [v for v in ann.get(key, []) if v not in values]
    return dumps(dict(sorted(ann.items())))


def overlay_for(overlay, stanza, correlation):
    """The overlay keys of one saved search: [correlation searches], then its own."""
    keys = dict(overlay.get(ALL, {})) if correlation else {}
    keys.update(overlay.get(stanza, {}))
    extra = {k[len("annotations.") :]: json.loads(v) for k, v in keys.items() if k.startswith("annotations.")}
    return keys, extra


def main(built_dir, overlay_path, out_dir):
    overlay = parse_conf(overlay_path)
    built = parse_conf(f"{built_dir}/savedsearches.conf")
    built.pop("default", None)
    unknown = set(overlay) - set(built) - {ALL}
    if unknown:
        sys.exit(f"{overlay_path}: no saved search named {sorted(unknown)} in contentctl's build")
    filters, saved, detail = {}, [], {}
    for name, s in built.items():
        correlation = "action.correlationsearch.enabled" in s
        keys, extra = overlay_for(overlay, name, correlation)
        detail[name] = (keys, extra)
        s = {k: v for k, v in s.items() if not k.startswith("action.escu") and k != "allow_skew"}
        for k in ("disabled", "alert.suppress"):
            if k in s:
                s[k] = {"true": "1", "false": "0"}.get(s[k], s[k])
        if correlation:
            risk_objects = [o for o in json.loads(s["action.risk.param._risk"]) if "risk_object_field" in o]
            s["action.notable.param._entities"] = dumps([dict(o, risk_score=0) for o in risk_objects])
            first = json.loads(s["action.notable.param.drilldown_searches"])[0]
            for k in ("name", "search", "earliest_offset", "latest_offset"):
                s[f"action.notable.param.drilldown_{k}"] = first[k]
            s["action.correlationsearch.annotations"] = merge_annotations(s["action.correlationsearch.annotations"], extra)
            old = re.search(r"`(\w+_filter)`\s*$", s["search"]).group(1)
            filters[old] = (keys.get("filter_macro", old), name)
            new = filters[old][0]
            s = {k: v.replace(f"`{old}`", f"`{new}`") for k, v in s.items()}
        for k, v in keys.items():
            if k not in ("filter_macro", "providing_technologies") and not k.startswith("annotations."):
                s[k] = v
        saved.append(((not correlation, name), name, s))
    write_conf(f"{out_dir}/savedsearches.conf", "savedsearches.conf", [(n, s) for _, n, s in sorted(saved)])

    stories = parse_conf(f"{built_dir}/analyticstories.conf")
    out = []
    for name, s in stories.items():
        search = name.removeprefix("savedsearch://")
        if search != name:
            keys, extra = detail[search]
            s["annotations"] = merge_annotations(s["annotations"], extra, MAPPINGS)
            if "providing_technologies" in keys and s["providing_technologies"] == "null":
                s["providing_technologies"] = keys["providing_technologies"]
        else:
            # (contentctl lists them in the order it validated them)
            s["searches"] = dumps(sorted(json.loads(s["searches"])))
        out.append(((search != name, name), name, s))
    write_conf(f"{out_dir}/analyticstories.conf", "analyticstories.conf", [(n, s) for _, n, s in sorted(out)])

    macros = {}
    for name, m in parse_conf(f"{built_dir}/macros.conf").items():
        if name in filters:
            name, search = filters[name]
            m["description"] = f'Tuning point of the correlation search "{search}".'
        macros[name] = m
    write_conf(f"{out_dir}/macros.conf", "macros.conf", sorted(macros.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
