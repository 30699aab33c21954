"""Checks that the app's hand-kept Enterprise Security content says what the
contentctl project in detections/ says, by comparing the app's default/
conf files with what `contentctl build` generated from the YAML:

- the same correlation searches, with the same SPL (whitespace aside, and
  the final tuning macro: contentctl names it <snake_name>_filter, the app
  keeps the names users already override, KEPT_FILTERS below);
- the same detection id and version, risk objects and scores, threat
  objects, risk message, description and drilldown searches;
- the same MITRE techniques (contentctl refuses a technique next to one of
  its sub-techniques; the app also lists the technique, which ES rolls up
  anyway);
- the same analytic story members, how-to-implement and false positives;
- the same definitions of every macro both define.

Usage: detections_agree.py BUILT_DEFAULT_DIR APP_DEFAULT_DIR
Exit 1 with one line per difference.
"""

import json
import re
import sys

# The app's filter macros from before the YAML, kept for users' overrides:
# contentctl's name -> the app's.
KEPT_FILTERS = {
    "host_resolved_dynamic_dns_domain_filter": "dynamicdns_host_resolved_dynamic_dns_domain_filter",
    "client_resolved_dynamic_dns_domain_filter": "dynamicdns_client_resolved_dynamic_dns_domain_filter",
    "web_traffic_to_dynamic_dns_host_filter": "dynamicdns_web_traffic_to_dynamic_dns_host_filter",
    "sysmon_dns_query_for_dynamic_dns_domain_filter": "dynamicdns_sysmon_dns_query_filter",
}


def parse_conf(path):
    """Stanzas of a .conf file: {name: {key: value}}, continuations joined."""
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
        cur[key.strip()] = value
    return stanzas


def spl(text, filters=None):
    """SPL with whitespace collapsed and filter macros renamed to the app's."""
    text = " ".join(text.split())
    for built, app in (filters or {}).items():
        text = text.replace(f"`{built}`", f"`{app}`")
    return text


def main(built_dir, app_dir):
    problems = []
    built = parse_conf(f"{built_dir}/savedsearches.conf")
    app = parse_conf(f"{app_dir}/savedsearches.conf")
    rules = lambda c: {n: s for n, s in c.items() if "action.correlationsearch.enabled" in s}
    b_rules, a_rules = rules(built), rules(app)
    if set(b_rules) != set(a_rules):
        problems.append(f"correlation searches differ: YAML only {sorted(set(b_rules) - set(a_rules))}, "
                        f"conf only {sorted(set(a_rules) - set(b_rules))}")
    for name in sorted(set(b_rules) & set(a_rules)):
        b, a = b_rules[name], a_rules[name]
        filt = re.search(r"`([a-z0-9_]+_filter)`\s*$", b["search"]).group(1)
        rename = {filt: KEPT_FILTERS.get(filt, filt)}

        def same(what, x, y):
            if x != y:
                problems.append(f"[{name}] {what}: YAML {x!r} != conf {y!r}")

        same("search", spl(b["search"], rename), spl(a["search"]))
        bm = json.loads(b["action.correlationsearch.metadata"])
        am = json.loads(a["action.correlationsearch.metadata"])
        for k in ("detection_id", "detection_version"):
            same(k, bm[k], am[k])
        # (contentctl orders the threat objects by name; order means nothing)
        risk = lambda s: sorted(json.dumps(o, sort_keys=True) for o in json.loads(s["action.risk.param._risk"]))
        same("_risk", risk(b), risk(a))
        same("_risk_message", b["action.risk.param._risk_message"], a["action.risk.param._risk_message"])
        same("description", b["description"], a["description"])
        same("security_domain", b["action.notable.param.security_domain"], a["action.notable.param.security_domain"])
        bd = [(d["name"], spl(d["search"], rename)) for d in json.loads(b["action.notable.param.drilldown_searches"])]
        ad = [(d["name"], spl(d["search"])) for d in json.loads(a["action.notable.param.drilldown_searches"])]
        same("drilldown_searches", bd, ad)
        ba = json.loads(b["action.correlationsearch.annotations"])["mitre_attack"]
        aa = json.loads(a["action.correlationsearch.annotations"])["mitre_attack"]
        rolled = [t for t in aa if not any(u.startswith(t + ".") for u in aa)]
        same("mitre_attack (techniques with a listed sub-technique rolled up)", ba, rolled)
    b_st = parse_conf(f"{built_dir}/analyticstories.conf")
    a_st = parse_conf(f"{app_dir}/analyticstories.conf")
    for name, s in b_st.items():
        if name not in a_st:
            problems.append(f"analyticstories.conf: no [{name}] in the app")
            continue
        for k in ("how_to_implement", "known_false_positives", "narrative"):
            if k in s and s[k] != a_st[name].get(k):
                problems.append(f"analyticstories.conf [{name}] {k} differs")
        if name.startswith("analytic_story://"):
            b_list = set(json.loads(s["searches"])) if "searches" in s else set(b_rules)
            if b_list != set(json.loads(a_st[name]["searches"])):
                problems.append(f"analyticstories.conf [{name}] searches differ")
    b_mac = parse_conf(f"{built_dir}/macros.conf")
    a_mac = parse_conf(f"{app_dir}/macros.conf")
    for name, m in b_mac.items():
        app_name = KEPT_FILTERS.get(name, name)
        if app_name not in a_mac:
            problems.append(f"macros.conf: the app has no [{app_name}] (YAML [{name}])")
        elif m.get("definition") != a_mac[app_name].get("definition"):
            problems.append(f"macros.conf [{app_name}]: YAML {m.get('definition')!r} != conf {a_mac[app_name].get('definition')!r}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
