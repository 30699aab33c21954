//! The Splunk app's configuration (`default/`, `app/`, `bin/`, `lookups/`)
//! parsed and cross-checked, without Splunk:
//!
//! - every file parses as a .conf file (stanzas, `key = value`, `\`
//!   continuations), with no duplicate stanza or key;
//! - every key of every stanza is one its file knows (the tables below,
//!   from Splunk's `*.conf.spec` and, for Enterprise Security's alert
//!   actions, from ES's own content);
//! - every macro, command and lookup used by a saved search, a macro, a
//!   workflow action or a drilldown exists in the app (or is a built-in
//!   command);
//! - versions agree (Cargo.toml, app.conf, app.manifest), the command and
//!   external lookup point at the launcher in `bin/`, lookups name files
//!   that exist with the columns they match on, the correlation searches
//!   are scheduled, disabled, bounded in time and carry the ES 7 and ES 8
//!   keys (detection metadata with unique UUIDs, entities, risk drilldown),
//!   the analytic story names existing searches;
//! - the dashboards and navigation are well-formed Simple XML 1.1, every
//!   search in them uses only defined macros, lookups and commands, every
//!   `$token$` is defined, the navigation names existing views;
//! - every dashboard token is inert where it stands (`|s` in SPL, `|u` in
//!   links), the Web search names the dynamic DNS host (a tstats "null" is
//!   missing), the searches beyond one name's zone find planted events in
//!   the real logs and nothing in the untouched ones, every correlation
//!   search has its contentctl YAML, and the README's allowlist example and
//!   permissions are what the binary and metadata do;
//! - no shipped file or stanza is named like one of ESCU's, no file users
//!   edit is shipped, the icons have Splunk's sizes, and the README
//!   documents what the confs do (risk scheme, Incident Review fields,
//!   binary declaration).

mod app;
mod commands;
mod escu;
mod keys;
mod lookups;
mod searches;
mod signals;
mod spl;
mod tuning;
mod views;
